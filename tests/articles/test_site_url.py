"""Every link the site makes to itself for use elsewhere (canonical links, social
cards, structured data, feeds, sitemaps, republished copies) is on SITE_URL, through
one helper (articles.models.absolute_url), whichever host name the request used."""

import re

import pytest
from django.urls import reverse

from tests.factories import (
    ArticleFactory,
    CorrectionFactory,
    PullQuoteFactory,
    TagFactory,
    UpdateFactory,
)

pytestmark = pytest.mark.django_db

SITE = "https://news.example.org"
# How the reader (or a proxy) reached the site: never to appear in a link.
REQUEST_HOST = "127.0.0.1:8101"
# Every absolute http(s) address in a response.
ADDRESS = re.compile(r"https?://[^\s\"'<>]+")
ELSEWHERE = (
    "https://creativecommons.org/",
    "https://schema.org",
    "http://www.w3.org/",
    "http://www.sitemaps.org/",
    "http://www.google.com/schemas/",
    "http://purl.org/",
    "https://example.org/",
    # Share links (they carry the story's address, on SITE_URL, as a parameter).
    "https://bsky.app/",
    "https://wa.me/",
    "https://www.facebook.com/",
    "https://www.linkedin.com/",
    "https://x.com/",
)


@pytest.fixture
def site(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    article = ArticleFactory(
        slug="flood",
        developing=True,
        body='<p>See <a href="/about/">our rules</a> and '
        '<a href="https://example.org/x">a source</a>.</p>',
    )
    UpdateFactory(article=article, body='<p>Read <a href="/latest/">more</a>.</p>')
    CorrectionFactory(article=article, body='<p>See <a href="/about/">why</a>.</p>')
    PullQuoteFactory(article=article)
    article.tags.add(TagFactory())
    return article


def addresses(client, url):
    response = client.get(url, HTTP_HOST=REQUEST_HOST)
    assert response.status_code == 200, url
    return ADDRESS.findall(response.content.decode())


def test_every_address_made_for_elsewhere_is_on_site_url(client, site):
    quote = site.pull_quotes.get().quote
    pages = [
        site.get_absolute_url(),
        site.get_republish_url(),
        reverse("articles:home"),
        reverse("articles:about"),
        quote.get_absolute_url(),
        quote.speaker.get_absolute_url(),
        reverse("articles:feed"),
        reverse("articles:feed-atom"),
        reverse("articles:section-feed", args=[site.section.slug]),
        reverse("articles:updates-feed", args=[site.slug]),
        reverse("articles:corrections-feed"),
        reverse("articles:sitemap-index"),
        reverse("articles:news-sitemap"),
    ]
    index = addresses(client, reverse("articles:sitemap-index"))
    pages += [url.removeprefix(SITE) for url in index if url.startswith(SITE)]
    for page in pages:
        found = addresses(client, page)
        ours = [url for url in found if url.startswith(SITE + "/")]
        others = [
            url
            for url in found
            if not url.startswith(SITE + "/") and not url.startswith(ELSEWHERE)
        ]
        assert others == [], page
        assert ours, page
    # The live feed and the corrections feed link the story and its updates on SITE_URL
    # too, body links included.
    feed = " ".join(addresses(client, reverse("articles:updates-feed", args=["flood"])))
    assert f"{SITE}/latest/" in feed
    assert f"{SITE}{site.get_absolute_url()}" in feed
    corrections = addresses(client, reverse("articles:corrections-feed"))
    assert f"{SITE}/about/" in corrections
