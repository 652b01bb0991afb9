"""JSON-LD and social cards: NewsArticle for stories, WebSite with SearchAction."""

import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles import structured_data
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    ImageFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


def json_ld(page):
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL
    )
    return [json.loads(block) for block in blocks]


@pytest.fixture
def story():
    article = ArticleFactory(
        headline="Council passes the budget",
        dek="Libraries open on Sundays.",
        featured_image=ImageFactory(alt_text="The council chamber"),
        authors=[
            AuthorFactory(name="Ana Ruiz", slug="ana", title="City reporter"),
            AuthorFactory(name="Ben Cole", slug="ben", title=""),
        ],
        published_at=timezone.now() - timedelta(hours=5),
    )
    article.tags.set([TagFactory(name="Budget"), TagFactory(name="Libraries")])
    return article


def test_article_page_has_news_article_json_ld(client, story):
    story.updated_materially_at = timezone.now() - timedelta(hours=1)
    story.save()
    (data,) = json_ld(client.get(story.get_absolute_url()).content.decode())
    url = SITE + story.get_absolute_url()
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Council passes the budget"
    assert data["url"] == url
    assert data["mainEntityOfPage"]["@id"] == url
    assert data["datePublished"] == story.published_at.isoformat()
    assert data["dateModified"] == story.updated_materially_at.isoformat()
    assert data["author"] == [
        {
            "@type": "Person",
            "@id": f"{SITE}/author/ana/",
            "name": "Ana Ruiz",
            "url": f"{SITE}/author/ana/",
            "jobTitle": "City reporter",
        },
        {
            "@type": "Person",
            "@id": f"{SITE}/author/ben/",
            "name": "Ben Cole",
            "url": f"{SITE}/author/ben/",
        },
    ]
    publisher = data["publisher"]
    assert publisher["@type"] == "NewsMediaOrganization"
    assert publisher["name"] == "Newsroom"
    assert publisher["logo"]["url"] == f"{SITE}/static/img/logo.png"
    assert publisher["logo"]["width"] == 600
    (image,) = data["image"]
    assert image["url"] == SITE + story.featured_image.fallback_url()
    # The size of the rendition named (the largest up to 1200 pixels wide).
    assert image["width"] == 480 and image["height"] == 270
    assert data["keywords"] == ["Budget", "Libraries"]
    assert data["isAccessibleForFree"] is True
    assert data["license"] == story.licence_url


def test_date_modified_is_the_publish_time_without_material_changes(story):
    story.headline = "Council passes the budget, 7-2"  # a typo-level edit
    story.save()
    data = structured_data.news_article(story)
    assert data["dateModified"] == data["datePublished"]


def test_json_ld_cannot_close_its_script_element(client):
    article = ArticleFactory(headline="</script><script>alert(1)</script>")
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page
    (data,) = json_ld(page)
    assert data["headline"] == "</script><script>alert(1)</script>"


def test_long_headlines_are_cut_for_search_engines(story):
    story.headline = "Word " * 40
    assert len(structured_data.news_article(story)["headline"]) == 110


def test_article_page_has_canonical_open_graph_and_twitter_tags(client, story):
    page = client.get(story.get_absolute_url()).content.decode()
    url = SITE + story.get_absolute_url()
    image = SITE + story.featured_image.fallback_url()
    for tag in (
        f'<link rel="canonical" href="{url}">',
        '<meta property="og:type" content="article">',
        '<meta property="og:title" content="Council passes the budget">',
        '<meta property="og:description" content="Libraries open on Sundays.">',
        f'<meta property="og:url" content="{url}">',
        f'<meta property="og:image" content="{image}">',
        '<meta property="og:image:alt" content="The council chamber">',
        '<meta property="article:tag" content="Budget">',
        '<meta name="twitter:card" content="summary_large_image">',
    ):
        assert tag in page, tag


def test_canonical_override_points_elsewhere(client):
    article = ArticleFactory(canonical_url="https://partner.example/original")
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<link rel="canonical" href="https://partner.example/original">' in page
    (data,) = json_ld(page)
    assert data["mainEntityOfPage"]["@id"] == "https://partner.example/original"


def test_seo_title_and_description_win_for_social_cards(client):
    article = ArticleFactory(seo_title="Short title", seo_description="Short text")
    page = client.get(article.get_absolute_url()).content.decode()
    assert '<meta property="og:title" content="Short title">' in page
    assert '<meta name="description" content="Short text">' in page


def test_staff_preview_of_a_draft_has_no_structured_data(admin_client):
    draft = DraftFactory()
    page = admin_client.get(draft.get_absolute_url()).content.decode()
    assert json_ld(page) == []
    assert '<meta name="robots" content="noindex">' in page


def test_front_page_has_website_with_search_action(client):
    (data,) = json_ld(client.get(reverse("articles:home")).content.decode())
    assert data["@type"] == "WebSite"
    action = data["potentialAction"]
    assert action["@type"] == "SearchAction"
    assert action["target"]["urlTemplate"] == f"{SITE}/search/?q={{search_term_string}}"
    assert action["query-input"] == "required name=search_term_string"
    assert data["publisher"]["@type"] == "NewsMediaOrganization"
