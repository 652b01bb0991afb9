from django.db import models
from django.utils.translation import gettext_lazy as _

from newsroom.memo import memo

from ..links import url_for


class SectionQuerySet(models.QuerySet):
    def in_menu(self):
        """The sections in the site's order, as the worker remembers them for a
        moment (newsroom.memo): every page's navigation shows them. Shared: do not
        change them."""
        return memo.get(("sections",), lambda: list(self.model.objects.all()))


class Section(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Sections are listed by this number.")
    )

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_for("articles:section", slug=self.slug)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        renamed = (
            self.pk is not None
            and Tag.objects.filter(pk=self.pk).exclude(name=self.name).exists()
        )
        super().save(*args, **kwargs)
        if renamed:
            # Tag names are part of each article's search document.
            self.articles.all().update_search_vectors()

    def get_absolute_url(self):
        return url_for("articles:tag", slug=self.slug)
