import reversion
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..links import url_for
from .media import Image


class Author(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    title = models.CharField(
        _("title"),
        max_length=150,
        blank=True,
        help_text=_("e.g. “Education reporter”."),
    )
    bio = models.TextField(_("bio"), blank=True)
    photo = models.ForeignKey(
        Image,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        verbose_name=_("user account"),
        help_text=_("The staff account of this author, if they have one."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_for("articles:author", slug=self.slug)


@reversion.register()
class Byline(models.Model):
    article = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="bylines"
    )
    author = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        related_name="bylines",
        verbose_name=_("author"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("byline")
        verbose_name_plural = _("bylines")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="byline_author_once_per_article"
            )
        ]

    def __str__(self):
        return self.author.name
