import reversion
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from richtext.fields import RichTextField
from richtext.plain import plain_text

from .article import Article
from .people import Author
from .query import published_q


class StoryPartQuerySet(models.QuerySet):
    """Updates and corrections: parts of a story with their own publish time."""

    def visible(self):
        """Parts whose time has come, whatever their article's state (for the
        article page, which has already decided the article may be seen)."""
        return self.filter(published_at__lte=timezone.now())

    def published(self):
        """Parts readers see: their time has come, on an article readers see."""
        return self.visible().filter(published_q("article__"))


@reversion.register()
class Update(models.Model):
    """A timestamped addition to a developing story."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="updates",
        verbose_name=_("article"),
    )
    headline = models.CharField(_("headline"), max_length=200, blank=True)
    body = RichTextField(_("text"))
    author = models.ForeignKey(
        Author,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("author"),
    )
    published_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Readers see the update from this time. Empty: a draft, seen by no one. "
            "Updates by writers stay drafts until an editor sets the time."
        ),
    )
    pinned = models.BooleanField(
        _("pinned"),
        default=False,
        help_text=_("Shown first, as the “What we know” summary."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoryPartQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-published_at", "-pk"]
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        indexes = [models.Index(fields=["article", "-published_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(pinned=True),
                name="update_one_pinned_per_article",
                violation_error_message=_("A story has one pinned summary at a time."),
            )
        ]

    def __str__(self):
        return self.title()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A scheduled update counts when it appears (the page reads the latest
        # visible update itself); one published now moves the article's time.
        if self.is_published():
            self.article.mark_material_change(self.published_at)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#update-{self.pk}"

    def is_published(self):
        return self.published_at is not None and self.published_at <= timezone.now()

    def title(self):
        """The headline, or for an update without one its first words: in feeds,
        structured data and the admin."""
        return self.headline or Truncator(plain_text(self.body)).words(12)


class CorrectionKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    CLARIFICATION = "clarification", _("Clarification")
    EDITORS_NOTE = "editors-note", _("Editor's note")
    RETRACTION = "retraction", _("Retraction")


@reversion.register()
class Correction(models.Model):
    """A correction, clarification, editor's note or retraction, shown openly on the
    article and on the public corrections page."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="corrections",
        verbose_name=_("article"),
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=CorrectionKind.choices,
        default=CorrectionKind.CORRECTION,
    )
    body = RichTextField(
        _("text"),
        help_text=_("What was wrong and what is right, e.g. “An earlier version…”."),
    )
    prominent = models.BooleanField(
        _("show at the top"),
        default=False,
        help_text=_(
            "Show above the story instead of at its end. Retractions always are."
        ),
    )
    published_at = models.DateTimeField(
        _("publish time"),
        default=timezone.now,
        db_index=True,
        help_text=_("When the correction was made public."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoryPartQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self):
        return f"{self.get_kind_display()}: {Truncator(plain_text(self.body)).words(8)}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.published_at <= timezone.now():
            self.article.mark_material_change(self.published_at)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#correction-{self.pk}"

    def shows_at_top(self):
        return self.prominent or self.kind == CorrectionKind.RETRACTION
