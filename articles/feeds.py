from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .models import Article, Correction
from .richtext import sanitize


class StoryUpdatesFeed(Feed):
    """The updates of one story, newest first: follow a developing story by feed."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Article.objects.published(), slug=slug)

    def title(self, article):
        return _("Updates: %(headline)s") % {"headline": article.headline}

    def link(self, article):
        return article.get_absolute_url()

    def subtitle(self, article):
        return article.dek

    def items(self, article):
        return (
            article.updates.visible()
            .select_related("author")
            .order_by("-published_at", "-pk")[:50]
        )

    def item_title(self, update):
        return update.headline or Truncator(strip_tags(update.body)).words(12)

    def item_description(self, update):
        return sanitize(update.body)

    def item_link(self, update):
        return update.get_absolute_url()

    def item_pubdate(self, update):
        return update.published_at

    def item_author_name(self, update):
        return update.author.name if update.author else None


class CorrectionsFeed(Feed):
    """Every correction the newsroom publishes, as it publishes it."""

    feed_type = Atom1Feed

    def title(self):
        return _("Corrections · %(site)s") % {"site": settings.SITE_NAME}

    def link(self):
        return reverse("articles:corrections")

    def subtitle(self):
        return _("Corrections, clarifications, editor's notes and retractions.")

    def items(self):
        return Correction.objects.published().select_related("article")[:50]

    def item_title(self, correction):
        return f"{correction.get_kind_display()}: {correction.article.headline}"

    def item_description(self, correction):
        return sanitize(correction.body)

    def item_link(self, correction):
        return correction.get_absolute_url()

    def item_pubdate(self, correction):
        return correction.published_at
