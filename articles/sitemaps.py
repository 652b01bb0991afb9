"""
Sitemaps for search engines, each a small class over `published()`.

- /sitemap.xml: an index of the parts below, each split into pages of LIMIT URLs;
- /news-sitemap.xml: Google News, the stories of the last 48 hours.

Every address is built from SITE_URL, not from the host name a request used, so
crawlers see one canonical address for each page.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.db.models import Exists, Max, OuterRef
from django.db.models.functions import Coalesce, Greatest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from .models import Article, Author, Section, Tag

# URLs per sitemap page; the protocol allows 50,000, smaller pages are cheaper.
LIMIT = 5000


class SiteSitemap(Sitemap):
    limit = LIMIT

    @property
    def protocol(self):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


def modified():
    """When a story last changed for readers: its publish time, or a later
    material update (Article.updated_materially_at)."""
    return Greatest("published_at", Coalesce("updated_materially_at", "published_at"))


class ArticleSitemap(SiteSitemap):
    def items(self):
        return (
            Article.objects.published()
            .annotate(modified=modified())
            .only("slug", "published_at", "updated_materially_at", "created_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, article):
        return article.modified

    def get_latest_lastmod(self):
        # The newest change in one query (Sitemap's default reads every article).
        return (
            Article.objects.published().aggregate(latest=Max(modified())).get("latest")
        )


def with_published(model, link):
    """Rows of `model` that have at least one published story (through `link`, the
    path from an article to the row), with the time of the newest as `latest`."""
    stories = Article.objects.published().filter(**{link: OuterRef("pk")})
    return (
        model.objects.filter(Exists(stories))
        .annotate(latest=stories.order_by("-published_at").values("published_at")[:1])
        .order_by("pk")
    )


class ListPageSitemap(SiteSitemap):
    """The pages listing stories: sections, tags, authors with published stories."""

    model = None
    link = None

    def items(self):
        return with_published(self.model, self.link).only("slug")

    def lastmod(self, obj):
        return obj.latest

    def get_latest_lastmod(self):
        stories = Article.objects.published().filter(**{f"{self.link}__isnull": False})
        return stories.aggregate(latest=Max("published_at"))["latest"]


class SectionSitemap(ListPageSitemap):
    model, link = Section, "section"


class TagSitemap(ListPageSitemap):
    model, link = Tag, "tags"


class AuthorSitemap(ListPageSitemap):
    model, link = Author, "bylines__author"


class PageSitemap(SiteSitemap):
    """The front page and the pages about the newsroom."""

    def items(self):
        return ["articles:home", "articles:latest", "articles:about"]

    def location(self, name):
        return reverse(name)


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


@x_robots_tag
def index(request):
    """The sitemap index, every part and page of it on SITE_URL (Django's own index
    takes the host from the request)."""
    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        url = settings.SITE_URL + reverse("articles:sitemap", args=[section])
        lastmod = sitemap.get_latest_lastmod()
        entries.append(SitemapIndexItem(url, lastmod))
        entries += [
            SitemapIndexItem(f"{url}?p={page}", lastmod)
            for page in range(2, sitemap.paginator.num_pages + 1)
        ]
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": entries},
        content_type="application/xml",
    )


def part(request, section):
    # Django's template with the time of day too: news changes within a day.
    return sitemap_view(
        request, SITEMAPS, section=section, template_name="articles/sitemap.xml"
    )


# Google News --------------------------------------------------------------------

# Google News reads stories of the last two days, at most a thousand.
NEWS_WINDOW = timedelta(hours=48)
NEWS_LIMIT = 1000


def news_language():
    """The language as Google News wants it: ISO 639 (zh-cn and zh-tw apart)."""
    language = get_language().lower()
    return language if language in ("zh-cn", "zh-tw") else language.split("-")[0]


class NewsSitemap(SiteSitemap):
    limit = NEWS_LIMIT

    def items(self):
        return (
            Article.objects.published()
            .filter(published_at__gte=timezone.now() - NEWS_WINDOW)
            .only("headline", "slug", "published_at", "created_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, article):
        return article.published_at


def news(request):
    response = sitemap_view(
        request,
        {"news": NewsSitemap},
        template_name="articles/news_sitemap.xml",
    )
    response.context_data["publication"] = settings.SITE_NAME
    response.context_data["language"] = news_language()
    return response
