"""
RSS and Atom feeds, each a small class over `published()`.

Story feeds (the site, a section, a tag, an author) carry each story's full text,
since the licence lets anyone republish it, with every link absolute; each RSS feed
has an Atom twin (`class XAtomFeed(Atom, XFeed)`). A developing story's updates and
the corrections log have feeds of their own, at the end.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext_lazy as _

from richtext.republish import absolute_links

from .links import absolute_url
from .models import Article, Author, Correction, Section, Tag
from .structured_data import date_modified

# Stories per feed: about two days of news for a small newsroom.
FEED_LENGTH = 20


def html_text(text):
    """Plain text made HTML for a description: only what HTML needs escaped, so an
    apostrophe or a quotation mark stays itself for a reader that shows the text
    as it is (escape() would write them &#x27; and &quot;)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with each story's full text (content:encoded) and every author."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
            "xmlns:dc": "http://purl.org/dc/elements/1.1/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, _url in item["authors"]:
            handler.addQuickElement("dc:creator", name)
        handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(Atom1Feed):
    """Atom with each story's full text and every author."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for name, url in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", name)
            handler.addQuickElement("uri", url)
            handler.endElement("author")
        handler.addQuickElement("content", item["content"], {"type": "html"})


class SiteFeed(Feed):
    """The base of every feed: each link in it is on SITE_URL, whichever host name
    the request used. Django's Feed puts the request's host in front of a relative
    link, so `item_link()` here and every feed's `link()` return absolute_url()s,
    and the feed's own address is set here."""

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed["feed_url"] = absolute_url(request.path)
        return feed

    def item_link(self, item):
        return absolute_url(item.get_absolute_url())

    def item_body(self, item):
        """The item's rich text with every link absolute, for elsewhere."""
        return absolute_links(item.body, self.item_link(item))


class StoryFeed(SiteFeed):
    """Published stories, newest first, in full. Subclasses choose which with
    `stories()`, and name the feed."""

    feed_type = RssWithContent

    def stories(self, obj):
        return Article.objects.published()

    def title(self, obj):
        return settings.SITE_NAME

    def link(self, obj):
        return absolute_url(reverse("articles:home"))

    def description(self, obj):
        return _("The latest stories from %(site)s.") % {"site": settings.SITE_NAME}

    def feed_copyright(self, obj):
        return _(
            "%(site)s. Stories are published under the Creative Commons license "
            "named in each, unless noted otherwise."
        ) % {"site": settings.SITE_NAME}

    def items(self, obj):
        return (
            self.stories(obj)
            .for_list(body=True)  # a feed carries the whole story
            .prefetch_related("tags")
            .order_by("-published_at", "-pk")[:FEED_LENGTH]
        )

    def item_title(self, article):
        # Plain text: an RSS title and an Atom title (type="text") are read as
        # text, so the XML writer's escaping is the only one. Django's default
        # escapes once more, and readers then show "district&#x27;s".
        return article.headline

    def item_description(self, article):
        # Readers take descriptions (Atom: summary type="html") as HTML.
        return html_text(article.description())

    def item_guid(self, article):
        # Stays the same when the slug or the date in the address changes.
        host = absolute_url("/").split("/")[2].split(":")[0]
        first = article.first_published_at or article.published_at
        return f"tag:{host},{first:%Y-%m-%d}:article:{article.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return date_modified(article)

    def item_categories(self, article):
        section = [article.section.name] if article.section else []
        return section + [tag.name for tag in article.tags.all()]

    def item_copyright(self, article):
        return article.get_licence_display()

    def item_extra_kwargs(self, article):
        content = render_to_string(
            "articles/includes/_feed_content.html",
            {
                "article": article,
                "url": self.item_link(article),
                "body": self.item_body(article),
                "SITE_NAME": settings.SITE_NAME,
            },
        )
        return {
            "content": content,
            "authors": [
                (author.name, absolute_url(author.get_absolute_url()))
                for author in article.byline_authors
            ],
        }


class Atom:
    """Makes a story feed an Atom feed: `class XAtomFeed(Atom, XFeed): pass`."""

    feed_type = AtomWithContent

    def subtitle(self, obj):
        return self.description(obj)


class LatestFeed(StoryFeed):
    """Every story, as it is published."""

    def get_object(self, request):
        return None


class LatestAtomFeed(Atom, LatestFeed):
    pass


class PageFeed(StoryFeed):
    """The stories of the page (a section, a tag, an author) that `model`'s slug in
    the feed's address names: subclasses choose them with `stories()`."""

    model = None

    def get_object(self, request, slug):
        return get_object_or_404(self.model, slug=slug)

    def title(self, obj):
        return f"{obj.name} · {settings.SITE_NAME}"

    def link(self, obj):
        return absolute_url(obj.get_absolute_url())


class SectionFeed(PageFeed):
    model = Section

    def stories(self, section):
        return super().stories(section).filter(section=section)

    def description(self, section):
        return section.description or _("The latest %(section)s stories.") % {
            "section": section.name
        }


class SectionAtomFeed(Atom, SectionFeed):
    pass


class TagFeed(PageFeed):
    model = Tag

    def stories(self, tag):
        return super().stories(tag).filter(tags=tag)

    def description(self, tag):
        return _("Stories about %(tag)s.") % {"tag": tag.name}


class TagAtomFeed(Atom, TagFeed):
    pass


class AuthorFeed(PageFeed):
    model = Author

    def stories(self, author):
        return super().stories(author).filter(bylines__author=author)

    def description(self, author):
        return _("Stories by %(author)s.") % {"author": author.name}


class AuthorAtomFeed(Atom, AuthorFeed):
    pass


# A developing story's updates, and the corrections log ---------------------------


class StoryUpdatesFeed(SiteFeed):
    """The updates of one story, newest first: follow a developing story by feed."""

    feed_type = Atom1Feed

    def get_object(self, request, slug):
        return get_object_or_404(Article.objects.published(), slug=slug)

    def title(self, article):
        return _("Updates: %(headline)s") % {"headline": article.headline}

    def link(self, article):
        return absolute_url(article.get_absolute_url())

    def subtitle(self, article):
        return article.dek

    def items(self, article):
        return (
            article.updates.visible()
            .select_related("author")
            .order_by("-published_at", "-pk")[:50]
        )

    def item_title(self, update):
        return update.title()

    def item_description(self, update):
        return self.item_body(update)

    def item_pubdate(self, update):
        return update.published_at

    def item_author_name(self, update):
        return update.author.name if update.author else None


class CorrectionsFeed(SiteFeed):
    """Every correction the newsroom publishes, as it publishes it."""

    feed_type = Atom1Feed

    def title(self):
        return _("Corrections · %(site)s") % {"site": settings.SITE_NAME}

    def link(self):
        return absolute_url(reverse("articles:corrections"))

    def subtitle(self):
        return _("Corrections, clarifications, editor's notes and retractions.")

    def items(self):
        return Correction.objects.published().select_related("article")[:50]

    def item_title(self, correction):
        return f"{correction.get_kind_display()}: {correction.article.headline}"

    def item_description(self, correction):
        return self.item_body(correction)

    def item_pubdate(self, correction):
        return correction.published_at
