"""sitemap.xml (an index and its parts) and the Google News sitemap."""

from datetime import timedelta
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


def test_index_lists_every_part_on_the_site_address(client):
    ArticleFactory()
    root = parse(client.get("/sitemap.xml"))
    assert root.tag == f"{NS}sitemapindex"
    parts = [s.findtext(f"{NS}loc") for s in root.findall(f"{NS}sitemap")]
    assert parts == [
        f"{SITE}/sitemap-{name}.xml"
        for name in ("pages", "articles", "sections", "tags", "authors")
    ]
    for part in parts:
        assert client.get(part.removeprefix(SITE)).status_code == 200


def test_index_pages_a_long_part(client, monkeypatch):
    monkeypatch.setattr(sitemaps.ArticleSitemap, "limit", 2)
    ArticleFactory.create_batch(5)
    root = parse(client.get("/sitemap.xml"))
    parts = [s.findtext(f"{NS}loc") for s in root.findall(f"{NS}sitemap")]
    assert f"{SITE}/sitemap-articles.xml?p=3" in parts
    assert len(locations(client, "/sitemap-articles.xml?p=3")) == 1


def test_articles_part_lists_published_stories_with_their_last_change(client):
    story = ArticleFactory(published_at=timezone.now() - timedelta(days=2))
    story.updated_materially_at = timezone.now() - timedelta(days=1)
    story.save()
    DraftFactory()
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    root = parse(client.get("/sitemap-articles.xml"))
    (url,) = root.findall(f"{NS}url")
    assert url.findtext(f"{NS}loc") == SITE + story.get_absolute_url()
    lastmod = timezone.localtime(story.updated_materially_at).isoformat()
    assert url.findtext(f"{NS}lastmod") == lastmod
    scheduled.published_at = timezone.now() - timedelta(seconds=1)
    scheduled.save()
    assert SITE + scheduled.get_absolute_url() in locations(
        client, "/sitemap-articles.xml"
    )


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
    ArticleFactory.create_batch(3)
    # The articles part: a count for its pages, one page of stories.
    with django_assert_num_queries(2):
        client.get("/sitemap-articles.xml")
    # The index: per part with rows, a count and the newest change.
    with django_assert_num_queries(8):
        client.get("/sitemap.xml")
    ArticleFactory.create_batch(30, authors=AuthorFactory.create_batch(2))
    with django_assert_num_queries(2):
        client.get("/sitemap-articles.xml")
    with django_assert_num_queries(8):
        client.get("/sitemap.xml")


def test_junk_sitemap_pages_are_404(client):
    ArticleFactory()
    assert client.get("/sitemap-articles.xml", {"p": "abc"}).status_code == 404
    assert client.get("/sitemap-articles.xml", {"p": "99"}).status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


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
