"""sitemap.xml (an index and its parts) and the Google News sitemap."""

from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import sitemaps
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    SectionFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"
SITE = "http://127.0.0.1:8000"


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own XML)


def locations(client, url):
    root = parse(client.get(url))
    assert root.tag == f"{NS}urlset"
    return [u.findtext(f"{NS}loc") for u in root.findall(f"{NS}url")]


def local(year, month, day):
    return timezone.make_aware(datetime(year, month, day, 12))


def index_entries(client):
    root = parse(client.get("/sitemap.xml"))
    assert root.tag == f"{NS}sitemapindex"
    return {
        s.findtext(f"{NS}loc"): s.findtext(f"{NS}lastmod")
        for s in root.findall(f"{NS}sitemap")
    }


def test_index_lists_the_parts_and_each_month_with_stories(client):
    ArticleFactory(published_at=local(2024, 3, 10))
    ArticleFactory(published_at=local(2024, 3, 31))
    ArticleFactory(published_at=local(2023, 12, 1))
    DraftFactory(published_at=None)
    assert list(index_entries(client)) == [
        f"{SITE}/sitemap-{name}.xml"
        for name in (
            "pages",
            "sections",
            "tags",
            "authors",
            "articles-2024-03",
            "articles-2023-12",
        )
    ]
    for part in index_entries(client):
        assert client.get(part.removeprefix(SITE)).status_code == 200
    assert len(locations(client, "/sitemap-articles-2024-03.xml")) == 2


def test_a_month_says_when_its_stories_last_changed(client):
    story = ArticleFactory(published_at=local(2024, 3, 10))
    story.updated_materially_at = local(2024, 4, 2)
    story.save()
    ArticleFactory(published_at=local(2024, 3, 1))
    lastmod = index_entries(client)[f"{SITE}/sitemap-articles-2024-03.xml"]
    assert lastmod == timezone.localtime(story.updated_materially_at).isoformat()


def test_index_pages_a_long_month(client, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    for day in range(1, 6):
        ArticleFactory(published_at=local(2024, 3, day))
    assert f"{SITE}/sitemap-articles-2024-03.xml?p=3" in index_entries(client)
    assert len(locations(client, "/sitemap-articles-2024-03.xml?p=3")) == 1


def test_articles_part_lists_published_stories_with_their_last_change(client):
    story = ArticleFactory(published_at=timezone.now() - timedelta(days=2))
    story.updated_materially_at = timezone.now() - timedelta(days=1)
    story.save()
    DraftFactory()
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    month = f"/sitemap-articles-{timezone.localdate(story.published_at):%Y-%m}.xml"
    root = parse(client.get(month))
    (url,) = root.findall(f"{NS}url")
    assert url.findtext(f"{NS}loc") == SITE + story.get_absolute_url()
    lastmod = timezone.localtime(story.updated_materially_at).isoformat()
    assert url.findtext(f"{NS}lastmod") == lastmod
    scheduled.published_at = timezone.now() - timedelta(seconds=1)
    scheduled.save()
    month = f"/sitemap-articles-{timezone.localdate(scheduled.published_at):%Y-%m}.xml"
    assert SITE + scheduled.get_absolute_url() in locations(client, month)


def test_list_pages_are_listed_only_with_published_stories(client):
    politics = SectionFactory(slug="politics")
    SectionFactory(slug="empty")
    tag, lonely_tag = TagFactory(slug="budget"), TagFactory(slug="lonely")
    author, idle = AuthorFactory(slug="ana"), AuthorFactory(slug="idle")
    story = ArticleFactory(section=politics, authors=[author])
    story.tags.add(tag)
    draft = DraftFactory(authors=[idle])
    draft.tags.add(lonely_tag)
    assert locations(client, "/sitemap-sections.xml") == [f"{SITE}/section/politics/"]
    assert locations(client, "/sitemap-tags.xml") == [f"{SITE}/tag/budget/"]
    assert locations(client, "/sitemap-authors.xml") == [f"{SITE}/author/ana/"]
    assert f"{SITE}/about/" in locations(client, "/sitemap-pages.xml")


def test_sitemap_query_counts_do_not_grow(client, django_assert_num_queries):
    ArticleFactory.create_batch(3, published_at=local(2024, 3, 10))
    # A month: a count for its pages, one page of stories.
    with django_assert_num_queries(2):
        client.get("/sitemap-articles-2024-03.xml")
    # The index: for sections, tags and authors a count and the newest change;
    # all months in one query.
    with django_assert_num_queries(7):
        client.get("/sitemap.xml")
    for month in range(1, 13):
        ArticleFactory.create_batch(
            3, published_at=local(2023, month, 5), authors=AuthorFactory.create_batch(2)
        )
    with django_assert_num_queries(2):
        client.get("/sitemap-articles-2023-05.xml")
    with django_assert_num_queries(7):
        client.get("/sitemap.xml")


@pytest.mark.parametrize(
    "url",
    [
        "/sitemap-articles-2024-03.xml?p=abc",
        "/sitemap-articles-2024-03.xml?p=99",
        "/sitemap-articles-2024-13.xml",
        "/sitemap-articles-0001-01.xml",
        "/sitemap-articles-9999-12.xml",
        "/sitemap-articles-soon.xml",
        "/sitemap-articles.xml",
        "/sitemap-nothing.xml",
    ],
)
def test_junk_sitemap_addresses_are_404(client, url):
    ArticleFactory(published_at=local(2024, 3, 10))
    assert client.get(url).status_code == 404


def test_news_sitemap_lists_the_last_two_days(client, settings):
    settings.SITE_NAME = "The Riverside Ledger"
    fresh = ArticleFactory(
        headline="Bridge & tunnel <news>",
        published_at=timezone.now() - timedelta(hours=5),
    )
    ArticleFactory(published_at=timezone.now() - timedelta(hours=49))
    DraftFactory()
    ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    root = parse(client.get(reverse("articles:news-sitemap")))
    (url,) = root.findall(f"{NS}url")
    assert url.findtext(f"{NS}loc") == SITE + fresh.get_absolute_url()
    news = url.find(f"{NEWS}news")
    publication = news.find(f"{NEWS}publication")
    assert publication.findtext(f"{NEWS}name") == "The Riverside Ledger"
    assert publication.findtext(f"{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == "Bridge & tunnel <news>"
    published = news.findtext(f"{NEWS}publication_date")
    assert published == timezone.localtime(fresh.published_at).isoformat()


def test_news_sitemap_language_keeps_chinese_variants(client, settings):
    from django.utils import translation

    with translation.override("zh-hant"):
        assert sitemaps.news_language() == "zh"
    with translation.override("zh-tw"):
        assert sitemaps.news_language() == "zh-tw"
    with translation.override("pt-br"):
        assert sitemaps.news_language() == "pt"
