"""
Sitemaps for search engines, each a small class over `published()`.

- /sitemap.xml: an index of the parts: the site's own pages, sections, tags and
  authors, and the stories of each month (/sitemap-articles-2024-03.xml), as news
  sites do: every part stays small and cheap however long the archive grows, and
  the index tells crawlers which months changed;
- /news-sitemap.xml: Google News, the stories of the last 48 hours.

Every address is built from SITE_URL, not from the host name a request used, so
crawlers see one canonical address for each page.
"""

from datetime import datetime, time, timedelta
from math import ceil
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import SitemapIndexItem, x_robots_tag
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.db.models import Count, Exists, Max, OuterRef
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from .links import absolute_url
from .models import Article, Author, Section, Tag
from .structured_data import date_modified

# URLs per sitemap page; the protocol allows 50,000, smaller pages are cheaper.
LIMIT = 5000


class SiteSitemap(Sitemap):
    limit = LIMIT

    @property
    def protocol(self):
        return urlsplit(absolute_url("/")).scheme

    def get_domain(self, site=None):
        return urlsplit(absolute_url("/")).netloc


def modified():
    """When a story last changed for readers: its publish time, or a later
    material update (Article.updated_materially_at)."""
    return Greatest("published_at", Coalesce("updated_materially_at", "published_at"))


class ArticleSitemap(SiteSitemap):
    """The stories published in one month, in the newsroom's time zone."""

    def __init__(self, month):
        self.month = month

    def items(self):
        start = timezone.make_aware(datetime.combine(self.month, time.min))
        after = (self.month + timedelta(days=31)).replace(day=1)
        end = timezone.make_aware(datetime.combine(after, time.min))
        return (
            Article.objects.published()
            .filter(published_at__gte=start, published_at__lt=end)
            .only("slug", "published_at", "updated_materially_at", "created_at")
            .order_by("-published_at", "-pk")
        )

    def lastmod(self, article):
        return date_modified(article)


def article_months():
    """Each month with published stories, newest first: (its first day, how many
    stories, their last change), in one grouped query."""
    here = timezone.get_current_timezone()
    rows = (
        Article.objects.published()
        .annotate(month=TruncMonth("published_at", tzinfo=here))
        .order_by()
        .values("month")
        .annotate(count=Count("pk"), latest=Max(modified()))
        .order_by("-month")
    )
    return [
        (timezone.localtime(row["month"]).date(), row["count"], row["latest"])
        for row in rows
    ]


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
        # The newest story with one: read down the publish-time index, not counted
        # over every story.
        return (
            Article.objects.published()
            .filter(**{f"{self.link}__isnull": False})
            .order_by("-published_at")
            .values_list("published_at", flat=True)
            .first()
        )


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
    "sections": SectionSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}


@x_robots_tag
def index(request):
    """The sitemap index, every part and page of it on SITE_URL (Django's own index
    takes the host from the request)."""

    def part(section, pages, lastmod):
        url = absolute_url(reverse("articles:sitemap", args=[section]))
        return [SitemapIndexItem(url, lastmod)] + [
            SitemapIndexItem(f"{url}?p={page}", lastmod) for page in range(2, pages + 1)
        ]

    entries = []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        pages = sitemap.paginator.num_pages
        entries += part(section, pages, sitemap.get_latest_lastmod())
    for month, count, latest in article_months():
        pages = ceil(count / ArticleSitemap.limit)
        entries += part(f"articles-{month:%Y-%m}", pages, latest)
    return TemplateResponse(
        request,
        "sitemap_index.xml",
        {"sitemaps": entries},
        content_type="application/xml",
    )


def part(request, section):
    sitemaps = dict(SITEMAPS)
    if section.startswith("articles-"):
        try:
            month = datetime.strptime(section, "articles-%Y-%m").date()
        except ValueError:
            raise Http404("No such month.") from None
        if not 1000 <= month.year <= 9000:
            raise Http404("No such month.")
        sitemaps[section] = ArticleSitemap(month)
    # Django's template with the time of day too: news changes within a day.
    return sitemap_view(
        request, sitemaps, section=section, template_name="articles/sitemap.xml"
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
