"""Every link the site makes to itself for use elsewhere (canonical links, social
cards, structured data, feeds, sitemaps, republished copies) is on SITE_URL, through
one helper (articles.links.absolute_url), whichever host name the request used."""

import re

import pytest
from django.contrib.syndication.views import Feed
from django.urls import URLResolver, get_resolver, reverse

from articles.feeds import SiteFeed
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


def site_feeds(patterns=None, namespace=""):
    """Every feed the site serves, found in its URLconf: (URL name, pattern, feed)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else ""
            yield from site_feeds(pattern.url_patterns, inner or namespace)
        elif isinstance(pattern.callback, Feed):
            yield f"{namespace}{pattern.name}", pattern.pattern, pattern.callback


def test_every_feed_is_a_site_feed_with_every_link_on_site_url(client, site):
    feeds = list(site_feeds())
    names = {name for name, _pattern, _feed in feeds}
    assert {
        "articles:feed",
        "articles:section-feed-atom",
        "articles:author-feed",
        "articles:updates-feed",
        "articles:corrections-feed",
    } <= names
    # What each feed's <slug> names, by the first word of its URL name: a new feed
    # with a slug fails here until it is added.
    slugs = {
        "section": site.section.slug,
        "tag": site.tags.get().slug,
        "author": site.byline_authors[0].slug,
        "updates": site.slug,
    }
    for name, pattern, feed in feeds:
        assert isinstance(feed, SiteFeed), name
        kwargs = {}
        if "slug" in pattern.converters:
            kwargs["slug"] = slugs[name.split(":")[-1].split("-")[0]]
        url = reverse(name, kwargs=kwargs)
        response = client.get(url, HTTP_HOST=REQUEST_HOST)
        assert response.status_code == 200, url
        content = response.content.decode()
        assert "<item>" in content or "<entry>" in content, url
        assert REQUEST_HOST.split(":")[0] not in content, url
        found = ADDRESS.findall(content)
        others = [
            address
            for address in found
            if not address.startswith(SITE + "/") and not address.startswith(ELSEWHERE)
        ]
        assert others == [], url
        assert f"{SITE}{url}" in found, url  # the feed's own address
