import reversion
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from richtext.fields import RichTextField
from richtext.plain import plain_text
from richtext.sanitize import sanitize

from ..links import url_for
from .media import Image
from .people import Author
from .query import ArticleQuerySet, Status
from .taxonomy import Section, Tag

# A meta description longer than this is cut by search engines.
DESCRIPTION_LENGTH = 160
# How many updates an article page shows; older ones are a click away.
UPDATES_ON_PAGE = 50
# What an editor writes in a story and a revision keeps, compares and restores
# (with the bylines and pull quotes, which are rows of their own).
EDITORIAL_FIELDS = (
    "headline",
    "slug",
    "dek",
    "body",
    "section",
    "tags",
    "featured_image",
    "licence",
    "seo_title",
    "seo_description",
    "canonical_url",
)


class Licence(models.TextChoices):
    CC_BY_NC_ND_3 = "cc-by-nc-nd-3.0", _("Creative Commons BY-NC-ND 3.0")
    CC_BY_NC_ND_4 = "cc-by-nc-nd-4.0", _("Creative Commons BY-NC-ND 4.0")
    CC_BY_4 = "cc-by-4.0", _("Creative Commons BY 4.0")
    ALL_RIGHTS_RESERVED = "all-rights-reserved", _("All rights reserved")

    @property
    def url(self):
        return LICENCE_URLS.get(self, "")


LICENCE_URLS = {
    Licence.CC_BY_NC_ND_3: "https://creativecommons.org/licenses/by-nc-nd/3.0/",
    Licence.CC_BY_NC_ND_4: "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
}


@reversion.register(
    follow=["bylines", "pull_quotes"],
    exclude=[
        "body_text",
        "search_vector",
        "related_ids",
        "card_parts",
        "story_parts",
        "parts_generation",
        "preview_generation",
    ],
)
class Article(models.Model):
    headline = models.CharField(_("headline"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The last part of the article's address. Unique across the site."),
    )
    dek = models.CharField(
        _("dek"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences under the headline. Required to publish."),
    )
    body = RichTextField(_("body"), blank=True)
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("section"),
        help_text=_("Required to publish."),
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="articles", verbose_name=_("tags")
    )
    authors = models.ManyToManyField(
        Author,
        through="Byline",
        related_name="articles",
        verbose_name=_("authors"),
    )
    featured_image = models.ForeignKey(
        Image,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("featured image"),
    )
    licence = models.CharField(
        _("license"),
        max_length=30,
        choices=Licence.choices,
        default=Licence.CC_BY_NC_ND_3,
        help_text=_("Under Creative Commons, others may republish the story."),
    )
    seo_title = models.CharField(
        _("SEO title"),
        max_length=70,
        blank=True,
        help_text=_("For search engines and social cards. Empty: the headline."),
    )
    seo_description = models.CharField(
        _("SEO description"),
        max_length=160,
        blank=True,
        help_text=_("Empty: the dek."),
    )
    canonical_url = models.URLField(
        _("canonical URL"),
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_(
            "Only for a story first published elsewhere: the original's address."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
    )
    published_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "When readers first see it. Empty: now, when you press Publish. A future "
            "time schedules the article; a past time backdates it (a story first "
            "published elsewhere, an archive import) and is kept as you set it."
        ),
    )
    first_published_at = models.DateTimeField(
        _("first published"), null=True, blank=True, editable=False
    )
    unpublish_at = models.DateTimeField(
        _("unpublish time"),
        null=True,
        blank=True,
        help_text=_(
            "When readers stop seeing it: an embargoed offer, an event listing, a "
            "story published for a limited time. Empty: it stays up."
        ),
    )
    updated_materially_at = models.DateTimeField(
        _("last materially updated"),
        null=True,
        blank=True,
        help_text=_(
            "Shown to readers as “Updated”. Move it for new facts, not for typo fixes."
        ),
    )
    developing = models.BooleanField(
        _("developing story"),
        default=False,
        help_text=_(
            "Shows “This is a developing story. Check back for updates.” with the "
            "time of the latest update. Untick when coverage ends: updates are kept."
        ),
    )
    coverage_started_at = models.DateTimeField(
        _("coverage started"), null=True, blank=True, editable=False
    )
    coverage_ended_at = models.DateTimeField(
        _("coverage ended"), null=True, blank=True, editable=False
    )
    no_appeals = models.BooleanField(
        _("no donation appeals on this story"),
        default=False,
        help_text=_(
            "For tragedies, obituaries and other stories where asking is wrong."
        ),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The body as plain text (richtext.plain_text), written by save(): the search
    # document and its snippets read it, so search sees the words readers see.
    body_text = models.TextField(default="", blank=True, editable=False)
    # Headline, dek, tags and body, weighted, for full-text search (articles.search).
    search_vector = SearchVectorField(null=True, editable=False)
    # The related stories chosen for this one, best first (articles.related); empty
    # (None) until a reader first asks, and again after any save or tag change.
    related_ids = ArrayField(models.BigIntegerField(), null=True, editable=False)
    # The story's teaser and the unchanging parts of its page, rendered once
    # (articles.parts) and forgotten by the database whenever anything they show
    # changes (migration 0012), which also moves parts_generation on.
    card_parts = models.JSONField(null=True, editable=False)
    story_parts = models.JSONField(null=True, editable=False)
    parts_generation = models.PositiveIntegerField(default=0, editable=False)
    # Signed into every preview link (views.preview_link_for); moving it on revokes
    # the links made before (revoke_preview_links). Not kept in revisions, so a
    # restore cannot bring revoked links back.
    preview_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("publish_article", _("Can publish, schedule and unpublish articles")),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # Section pages and the front page's section blocks, newest first.
            models.Index(fields=["section", "-published_at"]),
            # The front page's developing stories: a few among thousands.
            models.Index(
                fields=["-published_at"],
                condition=Q(developing=True),
                name="article_developing",
            ),
            GinIndex(fields=["search_vector"], name="article_search_vector"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_time",
            )
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        # The flag keeps its own history: when coverage started, and when it ended.
        if self.developing and (
            self.coverage_started_at is None or self.coverage_ended_at
        ):
            self.coverage_started_at = self.coverage_started_at or timezone.now()
            self.coverage_ended_at = None
        elif (
            not self.developing
            and self.coverage_started_at
            and not self.coverage_ended_at
        ):
            self.coverage_ended_at = timezone.now()
        self.keep_dates_consistent()
        self.body_text = plain_text(sanitize(self.body))
        if self.pk is not None:
            self.remember_old_slug()
            # Every save moves the edit counter on: an editor's form that was opened
            # at an older number is refused instead of overwriting this save.
            self.version += 1
            # A new section or headline may change which stories belong beside it.
            self.related_ids = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "version",
                    "related_ids",
                    *(["body_text"] if "body" in kwargs["update_fields"] else []),
                }
        super().save(*args, **kwargs)
        Article.objects.filter(pk=self.pk).update_search_vectors()

    def get_absolute_url(self, view="articles:detail"):
        day = timezone.localdate(self.published_at or self.created_at or timezone.now())
        return url_for(
            view,
            year=day.year,
            month=f"{day.month:02d}",
            day=f"{day.day:02d}",
            slug=self.slug,
        )

    def get_republish_url(self):
        return self.get_absolute_url(view="articles:republish")

    def mark_material_change(self, when=None):
        """New facts (an update, a correction) move “last materially updated”;
        a typo fix, which saves the article alone, does not."""
        when = when or timezone.now()
        Article.objects.filter(pk=self.pk).filter(
            Q(updated_materially_at__isnull=True) | Q(updated_materially_at__lt=when)
        ).update(updated_materially_at=when)

    def keep_dates_consistent(self):
        """“First published” and the start of live coverage follow what readers
        see: a story published (or backdated) to a time before its recorded first
        publication was first published then, and coverage that was live from
        the story's first publication (or flagged before it) starts with it."""
        if self.status != Status.PUBLISHED or self.published_at is None:
            return
        first = self.first_published_at
        if first is not None and first <= self.published_at:
            return
        if self.coverage_started_at and (
            first is None or self.coverage_started_at <= first
        ):
            self.coverage_started_at = self.published_at
        self.first_published_at = self.published_at

    def remember_old_slug(self):
        old = Article.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
        if old and old != self.slug and self.first_published_at:
            OldSlug.objects.update_or_create(slug=old, defaults={"article": self})
            OldSlug.objects.filter(slug=self.slug).delete()

    def is_published(self):
        now = timezone.now()
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.unpublish_at is None or self.unpublish_at > now)
        )

    def is_expired(self):
        """Published, but its unpublish time has passed: readers no longer see it."""
        return (
            self.status == Status.PUBLISHED
            and self.unpublish_at is not None
            and self.unpublish_at <= timezone.now()
        )

    def is_scheduled(self):
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    @property
    def licence_url(self):
        return Licence(self.licence).url

    def description(self):
        """What search engines, link previews and feed readers show under the
        title: the SEO description, else the dek, else the body's first words."""
        if self.seo_description or self.dek:
            return self.seo_description or self.dek
        return Truncator(plain_text(self.body, " ")).chars(DESCRIPTION_LENGTH)

    @property
    def state_label(self):
        """The status an editor needs to see, with "Scheduled" told apart."""
        if self.is_scheduled():
            return _("Scheduled")
        if self.is_expired():
            return _("Expired")
        return self.get_status_display()

    # The story's live parts, from the prefetches of for_page() (or a query when an
    # article was loaded without them).

    @cached_property
    def _recent_updates(self):
        """The latest updates (one more tells whether older ones exist): a story
        with a hundred thousand updates renders as fast as one with ten."""
        return list(
            self.updates.visible()
            .filter(pinned=False)
            .select_related("author")
            .order_by("-published_at", "-pk")[: UPDATES_ON_PAGE + 1]
        )

    @cached_property
    def _pinned_updates(self):
        if hasattr(self, "pinned_updates"):
            return self.pinned_updates
        return list(self.updates.visible().filter(pinned=True).select_related("author"))

    @property
    def shown_updates(self):
        return self._pinned_updates + self.timeline

    @cached_property
    def shown_corrections(self):
        if hasattr(self, "visible_corrections"):
            return self.visible_corrections
        return list(self.corrections.visible())

    @property
    def pinned_update(self):
        return next(iter(self._pinned_updates), None)

    @property
    def timeline(self):
        """The latest updates, newest first, without the pinned summary."""
        return self._recent_updates[:UPDATES_ON_PAGE]

    @property
    def has_older_updates(self):
        return len(self._recent_updates) > UPDATES_ON_PAGE

    @property
    def latest_update(self):
        return max(
            self.shown_updates, key=lambda u: (u.published_at, u.pk), default=None
        )

    @property
    def top_corrections(self):
        return [c for c in self.shown_corrections if c.shows_at_top()]

    @property
    def end_corrections(self):
        return [c for c in self.shown_corrections if not c.shows_at_top()]

    @property
    def date_modified(self):
        """When the story last changed in substance: new facts, not typo fixes."""
        moments = [self.published_at, self.updated_materially_at]
        moments += [u.published_at for u in self.shown_updates]
        moments += [c.published_at for c in self.shown_corrections]
        return max((m for m in moments if m), default=None)

    @cached_property
    def byline_authors(self):
        return [byline.author for byline in self.bylines.all()]

    def may_be_republished(self):
        """Under a Creative Commons licence others may republish the story."""
        return bool(self.licence_url)

    # Who may change the story (the steps themselves are articles.workflow).

    def can_edit(self, user):
        if user.has_perm("articles.publish_article"):
            return True
        if not user.has_perm("articles.change_article"):
            return False
        own = (
            self.created_by_id == user.pk
            or self.bylines.filter(author__user=user).exists()
        )
        return own and self.status in (Status.DRAFT, Status.UNPUBLISHED)

    def why_not_editable(self, user):
        """Why `user` may not edit this article, in words for them; None if they
        may. The same rules as can_edit."""
        if self.can_edit(user):
            return None
        if not user.has_perm("articles.change_article"):
            return _("Your role lets you read stories, not change them.")
        own = (
            self.created_by_id == user.pk
            or self.bylines.filter(author__user=user).exists()
        )
        if not own:
            return _(
                "It is not one of yours: only its authors (while it is a draft) and "
                "the editors can change it."
            )
        if self.status == Status.IN_REVIEW:
            return _(
                "It is in review: an editor publishes it or sends it back to you "
                "to change."
            )
        return _(
            "It is published or scheduled: only editors can change it now. Ask an "
            "editor for a change or a correction."
        )

    def clean(self):
        if self.status == Status.PUBLISHED and self.published_at is None:
            raise ValidationError(
                {
                    "published_at": _(
                        "A published or scheduled article needs a publish time. "
                        "To take it down, unpublish it instead."
                    )
                }
            )
        if (
            self.unpublish_at
            and self.published_at
            and self.unpublish_at <= self.published_at
        ):
            raise ValidationError(
                {
                    "unpublish_at": _(
                        "The unpublish time must come after the publish time."
                    )
                }
            )
        if self.canonical_url and self.canonical_url.startswith("http://"):
            raise ValidationError(
                {"canonical_url": _("Use the https:// address of the original.")}
            )


class OldSlug(models.Model):
    """An address an article had before its slug changed: readers' links and search
    engines' copies keep working through a permanent redirect."""

    slug = models.SlugField(_("old slug"), max_length=200, unique=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="old_slugs"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")

    def __str__(self):
        return self.slug
