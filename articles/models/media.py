from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..images import shown_rendition


class Image(models.Model):
    """An uploaded photo or graphic, stored re-encoded and stripped of metadata
    (articles.images), with renditions made by the task worker once the file is
    saved (articles.renditions): until they land, pages show the stored file."""

    file = models.ImageField(
        _("file"),
        upload_to="images/%Y/%m/",
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the image shows, for readers who cannot see it. Required unless "
            "the image is decorative."
        ),
    )
    decorative = models.BooleanField(
        _("decorative"),
        default=False,
        help_text=_("Adds nothing to the story; screen readers skip it."),
    )
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    credit = models.CharField(
        _("credit"),
        max_length=200,
        blank=True,
        help_text=_("Photographer or source, e.g. “Jane Doe / The Newsroom”."),
    )
    may_redistribute = models.BooleanField(
        _("may be redistributed"),
        default=False,
        help_text=_(
            "We hold the rights to let others republish this image with the story. "
            "Leave unticked for wire and agency photos."
        ),
    )
    renditions = models.JSONField(default=list, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("image")
        verbose_name_plural = _("images")
        constraints = [
            models.CheckConstraint(
                condition=~Q(alt_text="") | Q(decorative=True),
                name="image_alt_text_or_decorative",
                violation_error_message=_(
                    "Describe the image in the alt text, or mark it decorative."
                ),
            )
        ]

    def __str__(self):
        return self.alt_text or self.caption or self.file.name

    def save(self, *args, **kwargs):
        file_changed = self.pk is None or (
            Image.objects.filter(pk=self.pk).values_list("file", flat=True).first()
            != self.file.name
        )
        if file_changed:
            self.renditions = []  # the old file's, if any
        super().save(*args, **kwargs)

    def srcset(self, kind="webp"):
        storage = self.file.storage
        return ", ".join(
            f"{storage.url(r[kind])} {r['width']}w" for r in self.renditions
        )

    def srcset_fallback(self):
        return self.srcset("fallback")

    def fallback_url(self):
        """The plain <img src>: the largest rendition up to 1,200 pixels, or the
        stored file until the worker has made them."""
        rendition = shown_rendition(self.renditions)
        if rendition is None:
            return self.file.url
        return self.file.storage.url(rendition["fallback"])
