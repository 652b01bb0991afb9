import reversion
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext_lazy as _

from .. import share_images
from .article import Article
from .media import Image

# A quote is public once it appears in a published article: a statement saved for a
# story still in the works (or under embargo) must not reach readers before the story.


def _in_published_article(path):
    """Whether the outer row (a quote: path "quote"; a speaker: "quote__speaker")
    appears as a pull quote in a published article."""
    return models.Exists(
        PullQuote.objects.filter(
            article__in=Article.objects.published(), **{path: models.OuterRef("pk")}
        )
    )


def _may_preview_quotes(user):
    """Quotes and speakers not public yet are shown to those who edit them."""
    return (
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("articles.change_quote")
    )


class SpeakerQuerySet(models.QuerySet):
    def with_visibility(self):
        """Annotate `is_public`: whether any quote of the speaker is public."""
        return self.annotate(is_public=_in_published_article("quote__speaker"))

    def public(self):
        """Speakers readers may see: those with at least one public quote."""
        return self.with_visibility().filter(is_public=True)

    def visible_to(self, user):
        """Speakers `user` (None: a reader) may open: public ones, and for those
        who edit quotes, the others too, as a preview."""
        if _may_preview_quotes(user):
            return self.with_visibility()
        return self.public()


class Speaker(models.Model):
    """A public figure whose statements the newsroom quotes."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    title = models.CharField(
        _("current title"),
        max_length=200,
        blank=True,
        help_text=_(
            "e.g. “Mayor of Springfield”. Each quote keeps the title of its day."
        ),
    )
    bio = models.TextField(_("short bio"), blank=True)
    photo = models.ForeignKey(
        Image,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )

    objects = SpeakerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:speaker", kwargs={"slug": self.slug})


QUOTE_MAX_LENGTH = 1000


class QuoteQuerySet(models.QuerySet):
    def with_visibility(self):
        """Annotate `is_public`: whether the quote appears in a published article."""
        return self.annotate(is_public=_in_published_article("quote"))

    def public(self):
        """Quotes readers may see: those in at least one published article."""
        return self.with_visibility().filter(is_public=True)

    def visible_to(self, user):
        """Quotes `user` (None: a reader) may open: public ones, and for those who
        edit quotes, the others too, as a preview."""
        if _may_preview_quotes(user):
            return self.with_visibility()
        return self.public()

    def with_published_articles(self):
        """Prefetch, as `published_articles`, the published articles each quote
        appears in, newest first: one query for any number of quotes."""
        articles = Article.objects.published().order_by("-published_at", "-pk")
        return self.prefetch_related(
            models.Prefetch("articles", queryset=articles, to_attr="published_articles")
        )


class Quote(models.Model):
    """A statement by a speaker: one entity, reused as a pull quote in any number of
    articles and found again by speaker."""

    text = models.TextField(
        _("text"),
        max_length=QUOTE_MAX_LENGTH,
        help_text=_(
            "Exactly as said, without quotation marks. Plain text. Readers see the "
            "quote once it appears in a published article."
        ),
        error_messages={"blank": _("A quote needs its text.")},
    )
    speaker = models.ForeignKey(
        Speaker,
        on_delete=models.PROTECT,
        related_name="quotes",
        verbose_name=_("speaker"),
    )
    speaker_title = models.CharField(
        _("speaker's title at the time"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “U.N. Secretary-General”."),
    )
    said_on = models.DateField(_("said on"), null=True, blank=True)
    context = models.CharField(
        _("context"),
        max_length=300,
        blank=True,
        help_text=_("e.g. “speaking to reporters after talks in Turkey”."),
    )
    source_url = models.URLField(
        _("source link"), blank=True, help_text=_("Where the statement was made.")
    )
    articles = models.ManyToManyField(
        Article,
        through="PullQuote",
        related_name="quotes",
        blank=True,
        verbose_name=_("articles"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        # Newest first; a quote without a date after the dated ones.
        ordering = [
            models.F("said_on").desc(nulls_last=True),
            "-created_at",
            "-pk",
        ]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="quote_text_not_empty",
                violation_error_message=_("A quote needs its text."),
            ),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(
                    Length("text"), QUOTE_MAX_LENGTH
                ),
                name="quote_text_max_length",
                violation_error_message=format_lazy(
                    _("A quote is at most {limit} characters."),
                    limit=QUOTE_MAX_LENGTH,
                ),
            ),
        ]

    def __str__(self):
        return f"{self.speaker}: {Truncator(self.text).chars(60)}"

    def save(self, *args, **kwargs):
        # Quotes are plain text: collapse the stray whitespace of a paste.
        self.text = " ".join(self.text.split())
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:quote", kwargs={"pk": self.pk})

    def get_share_image_url(self):
        """The quote's share image, at an address that changes with what it shows
        (so it can be cached for good)."""
        url = reverse("articles:quote-image", kwargs={"pk": self.pk})
        return f"{url}?v={share_images.fingerprint(self)}"

    def clean_fields(self, exclude=None):
        # Collapsed first, so that whitespace alone counts as no text and the length
        # limit applies to what is saved.
        self.text = " ".join((self.text or "").split())
        super().clean_fields(exclude)

    def clean(self):
        if len(self.text) > QUOTE_MAX_LENGTH:
            raise ValidationError(
                {
                    "text": _(
                        "A quote is at most %(limit)d characters; this one has "
                        "%(count)d. Quote the key part and link to the full "
                        "statement as the source."
                    )
                    % {"limit": QUOTE_MAX_LENGTH, "count": len(self.text)}
                }
            )


@reversion.register()
class PullQuote(models.Model):
    """A quote placed in an article, after paragraph N of its body."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="pull_quotes"
    )
    quote = models.ForeignKey(
        Quote,
        on_delete=models.PROTECT,
        related_name="pull_quotes",
        verbose_name=_("quote"),
    )
    after_paragraph = models.PositiveSmallIntegerField(
        _("after paragraph"),
        default=2,
        help_text=_(
            "Shown after this paragraph of the body (never inside a list, table or "
            "block quote). Past the last paragraph: at the end."
        ),
    )

    class Meta:
        ordering = ["after_paragraph", "pk"]
        verbose_name = _("pull quote")
        verbose_name_plural = _("pull quotes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "quote"], name="pull_quote_once_per_article"
            )
        ]

    def __str__(self):
        return str(self.quote)
