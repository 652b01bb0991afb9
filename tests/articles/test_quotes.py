"""Quotes: speakers, pull quotes in stories, quote and speaker pages, share images,
and the admin that manages them."""

import io
import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from pytest_django.asserts import assertContains

from articles import share_images
from articles.images import process_upload
from articles.management.commands.load_demo import demo_picture
from articles.models import QUOTE_MAX_LENGTH, Image, PullQuote, Quote, Speaker, Status
from articles.share_images import (
    ACCENT_BAR,
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAPER,
    SANS_BOLD,
    SERIF,
    WIDTH,
)
from tests.articles.test_admin import admin_form_data
from tests.factories import (
    ArticleFactory,
    DraftFactory,
    PullQuoteFactory,
    QuoteFactory,
    SpeakerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UKRAINIAN_NAME = "Володимир Зеленський"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor(client):
    user = UserFactory(role="Editor")
    client.force_login(user)
    return user


def html(response):
    assert response.status_code == 200, response
    return response.content.decode()


def json_ld(page, kind):
    """The one JSON-LD object of type `kind` on the page (others may be there too:
    the site's own, say)."""
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL
    )
    found = [data for data in map(json.loads, blocks) if data.get("@type") == kind]
    assert len(found) == 1, blocks
    return found[0]


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


class PullQuotePlaces(HTMLParser):
    """The open elements (tag, class) around each pull quote of a page."""

    VOID = {"br", "hr", "img", "meta", "link", "input", "source", "wbr"}

    def __init__(self, page):
        super().__init__()
        self.open, self.places = [], []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        css = dict(attrs).get("class") or ""
        if tag == "aside" and "pull-quote" in css.split():
            self.places.append(list(self.open))
        if tag not in self.VOID:
            self.open.append((tag, css))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return


# Pull quotes on the article page -------------------------------------------------


def test_a_pull_quote_appears_after_the_paragraph_it_is_placed_after(client):
    article = ArticleFactory(body="<p>One.</p><p>Two.</p><p>Three.</p>")
    PullQuoteFactory(article=article, after_paragraph=2, quote__text="Fix the roads.")

    page = html(client.get(article.get_absolute_url()))

    two, aside, three = (
        page.index("<p>Two.</p>"),
        page.index('<aside class="pull-quote">'),
        page.index("<p>Three.</p>"),
    )
    assert two < aside < three
    assert page[two + len("<p>Two.</p>") : aside].strip() == ""
    assert "<p>Fix the roads.</p>" in page[aside:three]


def test_a_pull_quote_past_the_last_paragraph_goes_at_the_end_of_the_body(client):
    article = ArticleFactory(body="<p>One.</p><p>Two.</p>")
    PullQuoteFactory(article=article, after_paragraph=40)

    page = html(client.get(article.get_absolute_url()))

    end_of_body = page.index("<p>Two.</p>") + len("<p>Two.</p>")
    assert page[end_of_body:].lstrip().startswith('<aside class="pull-quote">')
    (place,) = PullQuotePlaces(page).places
    assert place[-1] == ("div", "article__body prose")


def test_pull_quotes_never_land_inside_a_list_a_table_or_a_block_quote(client):
    article = ArticleFactory(
        body="<p>Intro.</p>"
        "<ul><li><p>Item one.</p></li><li><p>Item two.</p></li></ul>"
        "<table><tbody><tr><td><p>Cell.</p></td></tr></tbody></table>"
        "<blockquote><p>Quoted.</p><p>Still quoted.</p></blockquote>"
        "<p>Second paragraph.</p><p>Third paragraph.</p>"
    )
    for n in (1, 2, 3, 4, 5, 6):
        PullQuoteFactory(article=article, after_paragraph=n)

    page = html(client.get(article.get_absolute_url()))

    places = PullQuotePlaces(page).places
    assert len(places) == 6
    for place in places:
        assert place[-1] == ("div", "article__body prose")
        assert not {"ul", "ol", "li", "table", "td", "blockquote"} & {
            tag for tag, _css in place
        }
    # After paragraph 1 means after the intro: before the list, not inside it.
    body = page[page.index('class="article__body prose"') :]
    assert body.index('<aside class="pull-quote">') < body.index("<ul>")
    second = page.index("<p>Second paragraph.</p>")
    assert page.index("</blockquote>") < second
    assert page.index('<aside class="pull-quote">', second) < page.index(
        "<p>Third paragraph.</p>"
    )


def test_a_pull_quote_names_the_speaker_with_their_title_at_the_time_and_date(
    client,
):
    speaker = SpeakerFactory(name="Ana Ruiz", slug="ana-ruiz", title="Governor")
    quote = QuoteFactory(
        speaker=speaker,
        text="Help is on the way.",
        speaker_title="Mayor of Springfield",
        said_on=date(2024, 5, 12),
        source_url="https://example.org/statement",
    )
    article = ArticleFactory()
    PullQuoteFactory(article=article, quote=quote)

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    html_fragment = (
        '<aside class="pull-quote"><figure>'
        '<blockquote class="pull-quote__text" cite="https://example.org/statement">'
        "<p>Help is on the way.</p></blockquote>"
        '<figcaption class="pull-quote__caption quote-attribution">'
        f'<a class="quote-attribution__speaker" href="{speaker.get_absolute_url()}">'
        "Ana Ruiz</a>, "
        '<span class="quote-attribution__title">Mayor of Springfield</span>, '
        '<time datetime="2024-05-12">May 12, 2024</time>'
        "</figcaption></figure></aside>"
    )
    assertContains(response, html_fragment, html=True)


def test_quote_text_is_escaped_everywhere_it_is_shown(client):
    attack = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'
    quote = QuoteFactory(text=attack)
    article = ArticleFactory()
    PullQuoteFactory(article=article, quote=quote)

    pages = [
        html(client.get(article.get_absolute_url())),
        html(client.get(quote.get_absolute_url())),
        html(client.get(reverse("articles:quotes"))),
        html(client.get(quote.speaker.get_absolute_url())),
    ]

    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    # In the structured data, the text survives whole, without closing the script.
    assert json_ld(pages[1], "Quotation")["text"] == attack


def test_the_same_quote_can_be_pulled_into_several_articles(client):
    quote = QuoteFactory(text="Shared words.")
    first, second = ArticleFactory(), ArticleFactory()
    PullQuoteFactory(article=first, quote=quote, after_paragraph=1)
    PullQuoteFactory(article=second, quote=quote, after_paragraph=2)

    for article in (first, second):
        assert "<p>Shared words.</p>" in html(client.get(article.get_absolute_url()))
    page = html(client.get(quote.get_absolute_url()))
    assert first.headline in page and second.headline in page


def test_a_quote_is_placed_once_per_article():
    pull_quote = PullQuoteFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PullQuote.objects.create(article=pull_quote.article, quote=pull_quote.quote)


def test_article_page_query_count_is_the_same_with_0_and_5_pull_quotes(
    client, django_assert_num_queries
):
    bare = ArticleFactory(body="<p>One.</p><p>Two.</p>")
    quoted = ArticleFactory(body="<p>One.</p><p>Two.</p>")
    for n in range(5):
        PullQuoteFactory(
            article=quoted, after_paragraph=n, quote__speaker__name=f"S{n}"
        )
    # The article, whose pull quotes (with their quotes and speakers) are in its
    # stored parts (articles.parts); the page's donation appeals; the section menu.
    # A story without updates or corrections does not look for them.
    for article in (bare, quoted):
        client.get(article.get_absolute_url())  # keeps its parts; none related
        with django_assert_num_queries(3):
            page = html(client.get(article.get_absolute_url()))
    assert page.count('<aside class="pull-quote">') == 5


# Who sees a quote -----------------------------------------------------------------


def test_a_quote_only_in_unpublished_articles_is_not_public(client):
    quote = QuoteFactory(text="Embargoed until Monday.")
    PullQuoteFactory(quote=quote, article=DraftFactory())
    PullQuoteFactory(quote=quote, article=ArticleFactory(published_at=ago(days=-1)))
    speaker = quote.speaker

    assert client.get(quote.get_absolute_url()).status_code == 404
    assert client.get(speaker.get_absolute_url()).status_code == 404
    assert client.get(quote.get_share_image_url()).status_code == 404
    assert "Embargoed" not in html(client.get(reverse("articles:quotes")))
    response = client.get(reverse("articles:quotes"), {"speaker": speaker.slug})
    assert response.status_code == 404


def test_a_quote_becomes_public_with_its_first_published_article(client):
    quote = QuoteFactory()
    draft = DraftFactory()
    PullQuoteFactory(quote=quote, article=draft)
    assert client.get(quote.get_absolute_url()).status_code == 404

    draft.status, draft.published_at = Status.PUBLISHED, ago(minutes=1)
    draft.save()

    assert client.get(quote.get_absolute_url()).status_code == 200


def test_quote_pages_list_only_published_articles(client):
    quote = QuoteFactory()
    live = ArticleFactory(headline="The live story")
    PullQuoteFactory(quote=quote, article=live)
    PullQuoteFactory(quote=quote, article=DraftFactory(headline="The draft story"))
    PullQuoteFactory(
        quote=quote,
        article=ArticleFactory(headline="Tomorrow's story", published_at=ago(days=-1)),
    )

    for url in (
        quote.get_absolute_url(),
        quote.speaker.get_absolute_url(),
        reverse("articles:quotes"),
    ):
        page = html(client.get(url))
        assert "The live story" in page
        assert "The draft story" not in page
        assert "Tomorrow&#x27;s story" not in page


def test_staff_preview_a_quote_that_is_not_public_yet(client, editor):
    quote = QuoteFactory(text="Not out yet.")
    PullQuoteFactory(quote=quote, article=DraftFactory())

    response = client.get(quote.get_absolute_url())
    speaker_page = client.get(quote.speaker.get_absolute_url())
    image = client.get(quote.get_share_image_url())

    assert response.status_code == 200
    assert "This quote is not public" in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex"
    assert "no-store" in response["Cache-Control"]
    assert speaker_page.status_code == 200
    assert "no-store" in speaker_page["Cache-Control"]
    assert image.status_code == 200
    assert "no-store" in image["Cache-Control"]


# Quote page ------------------------------------------------------------------------


def test_quote_page_shows_the_quote_with_its_attribution_and_source(client):
    quote = QuoteFactory(
        text="This senseless violence must stop. End the bloodshed now.",
        speaker__name="Ana Ruiz",
        speaker_title="U.N. Secretary-General",
        context="in a statement",
        said_on=date(2024, 5, 12),
        source_url="https://example.org/statement",
    )
    PullQuoteFactory(quote=quote)

    page = html(client.get(quote.get_absolute_url()))

    assert "<p>This senseless violence must stop. End the bloodshed now.</p>" in page
    assert "U.N. Secretary-General" in page
    assert "In a statement" in page
    assert '<time datetime="2024-05-12">May 12, 2024</time>' in page
    assert 'href="https://example.org/statement"' in page
    assert f'href="{quote.speaker.get_absolute_url()}"' in page


def test_quote_page_has_the_share_image_as_its_open_graph_image(client, settings):
    settings.SITE_URL = "https://news.example.org"
    quote = PullQuoteFactory().quote

    page = html(client.get(quote.get_absolute_url()))

    image = f"https://news.example.org{quote.get_share_image_url()}"
    assert f'<meta property="og:image" content="{image}">' in page
    assert '<meta property="og:image:width" content="1200">' in page
    assert '<meta property="og:image:height" content="630">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    canonical = f"https://news.example.org{quote.get_absolute_url()}"
    assert f'<link rel="canonical" href="{canonical}">' in page


def test_quote_page_json_ld_is_a_quotation(client, settings):
    settings.SITE_URL = "https://news.example.org"
    quote = QuoteFactory(
        text="Help is on the way.",
        speaker__name="Ana Ruiz",
        speaker_title="Mayor",
        said_on=date(2024, 5, 12),
        context="speaking to reporters",
        source_url="https://example.org/statement",
    )
    article = ArticleFactory(headline="Help arrives")
    PullQuoteFactory(quote=quote, article=article)
    PullQuoteFactory(quote=quote, article=DraftFactory())

    data = json_ld(html(client.get(quote.get_absolute_url())), "Quotation")

    site = "https://news.example.org"
    person = {
        "@type": "Person",
        "@id": site + quote.speaker.get_absolute_url(),
        "name": "Ana Ruiz",
        "url": site + quote.speaker.get_absolute_url(),
        "jobTitle": "Mayor",
    }
    assert data == {
        "@context": "https://schema.org",
        "@type": "Quotation",
        "@id": site + quote.get_absolute_url(),
        "url": site + quote.get_absolute_url(),
        "text": "Help is on the way.",
        "spokenByCharacter": person,
        "creator": person,
        "dateCreated": "2024-05-12",
        "description": "speaking to reporters",
        "isBasedOn": "https://example.org/statement",
        "image": site + quote.get_share_image_url(),
        "publisher": {"@type": "Organization", "name": "Newsroom", "url": site + "/"},
        "subjectOf": [
            {
                "@type": "NewsArticle",
                "headline": "Help arrives",
                "url": site + article.get_absolute_url(),
            }
        ],
    }


def test_quote_json_ld_leaves_out_what_the_quote_does_not_have(client):
    quote = QuoteFactory(speaker_title="", said_on=None, context="", source_url="")
    PullQuoteFactory(quote=quote)

    data = json_ld(html(client.get(quote.get_absolute_url())), "Quotation")

    assert data["@type"] == "Quotation"
    assert "jobTitle" not in data["spokenByCharacter"]
    assert not {"dateCreated", "isBasedOn", "description"} & data.keys()


def test_quote_page_query_count_does_not_grow_with_articles(
    client, django_assert_num_queries
):
    few = QuoteFactory()
    PullQuoteFactory(quote=few)
    many = QuoteFactory()
    for article in ArticleFactory.create_batch(25):
        PullQuoteFactory(quote=many, article=article)
    # The quote with its speaker (and whether it is public), its published articles,
    # the site's donation appeals.
    for quote in (few, many):
        with django_assert_num_queries(4):  # +1: the section menu
            page = html(client.get(quote.get_absolute_url()))
    listed = page[page.index('<ul class="quote-articles">') :]
    assert listed[: listed.index("</ul>")].count("<li>") == 25


def test_unknown_and_junk_quote_addresses_are_404s(client):
    QuoteFactory()
    for url in (
        "/quotes/999999/",
        "/quotes/99999999999999999999999999/",
        "/quotes/abc/",
        "/quotes/-1/",
        "/quotes/1.5/",
        "/quotes/999999/image.png",
        "/quotes/99999999999999999999999999/image.png",
    ):
        assert client.get(url).status_code == 404, url


# Quotes index ----------------------------------------------------------------------


def test_quotes_index_lists_public_quotes_newest_first(client):
    old = PullQuoteFactory(quote__said_on=date(2020, 1, 1)).quote
    new = PullQuoteFactory(quote__said_on=date(2024, 1, 1)).quote
    undated = PullQuoteFactory(quote__said_on=None).quote
    QuoteFactory(text="In no article at all.")

    response = client.get(reverse("articles:quotes"))

    assert list(response.context["quotes"]) == [new, old, undated]
    assert "In no article at all." not in response.content.decode()


def test_quotes_index_filters_by_speaker(client):
    ana = SpeakerFactory(name="Ana Ruiz", slug="ana-ruiz")
    ben = SpeakerFactory(name="Ben Okafor", slug="ben-okafor")
    hers = PullQuoteFactory(quote__speaker=ana, quote__text="Ana's words.").quote
    PullQuoteFactory(quote__speaker=ben, quote__text="Ben's words.")

    response = client.get(reverse("articles:quotes"), {"speaker": "ana-ruiz"})

    assert list(response.context["quotes"]) == [hers]
    page = response.content.decode()
    assert "Quotes by Ana Ruiz" in page
    assert '<option value="ana-ruiz" selected>Ana Ruiz</option>' in page
    assert '<option value="ben-okafor">Ben Okafor</option>' in page


def test_quotes_index_pages_keep_the_speaker_filter(client):
    speaker = SpeakerFactory(slug="ana-ruiz")
    for article in ArticleFactory.create_batch(21):
        PullQuoteFactory(article=article, quote__speaker=speaker)

    page = html(client.get(reverse("articles:quotes"), {"speaker": "ana-ruiz"}))

    assert 'href="?speaker=ana-ruiz&amp;page=2">Older quotes</a>' in page
    second = client.get(reverse("articles:quotes"), {"speaker": "ana-ruiz", "page": 2})
    assert len(second.context["quotes"]) == 1


@pytest.mark.parametrize(
    "query",
    [
        {"speaker": "nobody"},
        {"speaker": "\x00"},
        {"speaker": "ana ruiz"},
        {"speaker": "'; drop table articles_quote; --"},
        {"page": "999"},
        {"page": "x'--"},
        {"page": "0"},
        {"page": "1\x00"},
    ],
)
def test_quotes_index_rejects_junk_with_a_404(client, query):
    PullQuoteFactory(quote__speaker__slug="ana-ruiz")
    assert client.get(reverse("articles:quotes"), query).status_code == 404


def test_quotes_index_takes_an_empty_filter_as_no_filter(client):
    quote = PullQuoteFactory().quote
    response = client.get(reverse("articles:quotes"), {"speaker": "", "page": "last"})
    assert list(response.context["quotes"]) == [quote]


def test_quotes_index_says_so_when_there_are_no_quotes(client):
    page = html(client.get(reverse("articles:quotes")))
    assert "No quotes have been published yet." in page


def test_quotes_index_json_ld_lists_the_page_as_quotations(client):
    quotes = [PullQuoteFactory().quote for _ in range(3)]

    data = json_ld(html(client.get(reverse("articles:quotes"))), "ItemList")

    assert data["@type"] == "ItemList"
    assert [item["position"] for item in data["itemListElement"]] == [1, 2, 3]
    assert {item["item"]["@type"] for item in data["itemListElement"]} == {"Quotation"}
    assert {item["item"]["text"] for item in data["itemListElement"]} == {
        quote.text for quote in quotes
    }


def test_quotes_index_query_count_does_not_grow_with_quotes_and_articles(
    client, django_assert_num_queries
):
    speaker = SpeakerFactory(slug="ana-ruiz")
    PullQuoteFactory(quote__speaker=speaker)
    # Count, page of quotes with speakers, their published articles, the speakers
    # of the filter, the site's donation appeals; with a filter, the speaker first.
    with django_assert_num_queries(6):  # +1: the section menu
        html(client.get(reverse("articles:quotes")))
    with django_assert_num_queries(7):  # +1: the section menu
        html(client.get(reverse("articles:quotes"), {"speaker": "ana-ruiz"}))

    articles = ArticleFactory.create_batch(5)
    for n in range(30):
        quote = QuoteFactory(speaker=speaker if n % 2 else SpeakerFactory())
        for article in articles:
            PullQuoteFactory(quote=quote, article=article)
    with django_assert_num_queries(6):  # +1: the section menu
        page = html(client.get(reverse("articles:quotes")))
    assert page.count('class="quote-card"') == 20
    with django_assert_num_queries(7):  # +1: the section menu
        html(client.get(reverse("articles:quotes"), {"speaker": "ana-ruiz"}))


# Speaker page ----------------------------------------------------------------------


def test_speaker_page_lists_their_quotes_newest_first_with_their_articles(client):
    speaker = SpeakerFactory(
        name="Ana Ruiz", title="Governor", bio="Ana Ruiz was elected in 2022."
    )
    older = QuoteFactory(speaker=speaker, said_on=date(2021, 3, 1), text="Older.")
    newer = QuoteFactory(speaker=speaker, said_on=date(2023, 3, 1), text="Newer.")
    PullQuoteFactory(quote=older, article__headline="About the budget")
    PullQuoteFactory(quote=newer, article__headline="About the river")
    PullQuoteFactory(quote__text="Someone else's words.")

    response = client.get(speaker.get_absolute_url())

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [newer, older]
    page = response.content.decode()
    assert '<h1 class="page-title speaker-header__name">Ana Ruiz</h1>' in page
    assert "Governor" in page and "Ana Ruiz was elected in 2022." in page
    assert page.index("Newer.") < page.index("About the river") < page.index("Older.")
    assert "Someone else" not in page
    assert json_ld(page, "ProfilePage")["mainEntity"]["name"] == "Ana Ruiz"


def test_speaker_page_is_paginated_and_rejects_junk_pages(client):
    speaker = SpeakerFactory()
    for article in ArticleFactory.create_batch(21):
        PullQuoteFactory(article=article, quote__speaker=speaker)

    first = client.get(speaker.get_absolute_url())
    second = client.get(speaker.get_absolute_url(), {"page": "2"})

    assert len(first.context["object_list"]) == 20
    assert len(second.context["object_list"]) == 1
    for junk in ("3", "x", "-1", "1\x00"):
        response = client.get(speaker.get_absolute_url(), {"page": junk})
        assert response.status_code == 404, junk


def test_unknown_speaker_is_a_404(client):
    assert client.get("/speakers/nobody-at-all/").status_code == 404
    assert client.get("/speakers/%00/").status_code == 404


def test_speaker_page_shows_their_photo(client):
    photo = Image.objects.create(
        file=process_upload(demo_picture("council")), alt_text="Ana Ruiz in 2023"
    )
    speaker = PullQuoteFactory(quote__speaker__photo=photo).quote.speaker
    photo.refresh_from_db()  # with the renditions its task made

    page = html(client.get(speaker.get_absolute_url()))

    assert '<img class="speaker-header__photo"' in page
    assert 'alt="Ana Ruiz in 2023"' in page
    assert f'srcset="{photo.srcset_fallback()}"' in page


def test_speaker_page_query_count_does_not_grow_with_quotes_and_articles(
    client, django_assert_num_queries
):
    few = SpeakerFactory()
    PullQuoteFactory(quote__speaker=few)
    many = SpeakerFactory()
    articles = ArticleFactory.create_batch(6)
    for n in range(25):
        quote = QuoteFactory(speaker=many, text=f"Quote {n}.")
        for article in articles:
            PullQuoteFactory(quote=quote, article=article)
    # The speaker with their photo (and whether they are public), the count, the
    # page of quotes, their published articles, the site's donation appeals.
    for speaker in (few, many):
        with django_assert_num_queries(6):  # +1: the section menu
            page = html(client.get(speaker.get_absolute_url()))
    assert page.count('class="quote-card"') == 20


# No cookies for readers -----------------------------------------------------------


def test_quote_pages_set_no_cookies_and_do_not_vary_by_cookie(client):
    quote = PullQuoteFactory().quote
    image = client.get(quote.get_share_image_url())
    for response in (
        client.get(quote.get_absolute_url()),
        client.get(reverse("articles:quotes")),
        client.get(quote.speaker.get_absolute_url()),
        client.get(quote.get_absolute_url().rstrip("/") + "/image.png"),
        image,
    ):
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
        # The same for every reader, so a cache may keep one copy for all.
        assert "Cookie" not in response.get("Vary", "")


# Share images ----------------------------------------------------------------------


def png_of(response):
    return b"".join(response.streaming_content)


def test_share_image_is_a_1200_by_630_png_cached_for_good(client):
    quote = PullQuoteFactory().quote

    response = client.get(quote.get_share_image_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "immutable" in response["Cache-Control"]
    assert "max-age=31536000" in response["Cache-Control"]
    image = PILImage.open(io.BytesIO(png_of(response)))
    assert (image.format, image.size) == ("PNG", (1200, 630))


def test_share_image_address_without_the_current_version_redirects(client):
    quote = PullQuoteFactory().quote
    bare = reverse("articles:quote-image", kwargs={"pk": quote.pk})

    for query in ({}, {"v": "0123456789abcdef"}, {"v": "<script>"}):
        response = client.get(bare, query)
        assert response.status_code == 302
        assert response["Location"] == quote.get_share_image_url()
        assert "max-age=300" in response["Cache-Control"]


def test_share_image_is_drawn_once_and_kept_in_storage(client):
    quote = PullQuoteFactory().quote
    name = share_images.storage_name(quote)
    assert not default_storage.exists(name)

    first = png_of(client.get(quote.get_share_image_url()))
    assert default_storage.exists(name)
    with default_storage.open(name) as stored:
        assert stored.read() == first
    assert png_of(client.get(quote.get_share_image_url())) == first
    assert default_storage.listdir(share_images.folder(quote.pk))[1] == [
        name.rsplit("/", 1)[1]
    ]


def test_an_edited_quote_gets_a_new_image_and_the_old_one_is_deleted(
    client, django_capture_on_commit_callbacks
):
    quote = PullQuoteFactory(quote__text="We will fix the roads.").quote
    old_url, old_name = quote.get_share_image_url(), share_images.storage_name(quote)
    client.get(old_url)
    assert default_storage.exists(old_name)

    with django_capture_on_commit_callbacks(execute=True):
        quote.text = "We will fix the roads and the bridges."
        quote.save()

    assert quote.get_share_image_url() != old_url
    assert share_images.storage_name(quote) != old_name
    assert not default_storage.exists(old_name)
    assert client.get(old_url).status_code == 302
    client.get(quote.get_share_image_url())
    assert default_storage.exists(share_images.storage_name(quote))


def test_renaming_a_speaker_redraws_their_quotes_images(
    client, django_capture_on_commit_callbacks
):
    quote = PullQuoteFactory(quote__speaker__name="Ana Ruis").quote
    old_name = share_images.storage_name(quote)
    client.get(quote.get_share_image_url())

    with django_capture_on_commit_callbacks(execute=True):
        speaker = quote.speaker
        speaker.name = "Ana Ruiz"
        speaker.save()

    quote.refresh_from_db()
    assert share_images.storage_name(quote) != old_name
    assert not default_storage.exists(old_name)


def test_a_deleted_quote_takes_its_images_with_it(
    client, django_capture_on_commit_callbacks
):
    quote = QuoteFactory()
    pull_quote = PullQuoteFactory(quote=quote)
    client.get(quote.get_share_image_url())
    name = share_images.storage_name(quote)
    assert default_storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        pull_quote.delete()
        quote.delete()

    assert not default_storage.exists(name)


def test_what_is_drawn_decides_the_image_name(settings):
    quote = QuoteFactory.build(pk=7, text="Words.", speaker=SpeakerFactory.build())
    name = share_images.storage_name(quote)
    assert re.fullmatch(r"quotes/7/[0-9a-f]{16}\.png", name)
    quote.context = "Context is not drawn."
    assert share_images.storage_name(quote) == name
    settings.SITE_NAME = "The Springfield Ledger"
    assert share_images.storage_name(quote) != name


def content(**overrides):
    return {
        "text": "We heard you.",
        "speaker": "Dana Whitfield",
        "subtitle": "Council president · May 12, 2024",
        "site": "Newsroom",
        "layout": share_images.LAYOUT_VERSION,
        **overrides,
    }


def inside_margins(box):
    left, top, right, bottom = box
    return (
        left >= MARGIN_X
        and right <= WIDTH - MARGIN_X
        and top >= MARGIN_TOP
        and bottom <= HEIGHT - MARGIN_BOTTOM
    )


def margins_are_empty(png):
    """Nothing but the paper (and the accent bar at the very top) in the margins."""
    image = PILImage.open(io.BytesIO(png)).convert("RGB")
    paper = PILImage.new("RGB", image.size, PAPER)
    strips = [
        (0, ACCENT_BAR, MARGIN_X, HEIGHT),
        (WIDTH - MARGIN_X, ACCENT_BAR, WIDTH, HEIGHT),
        (0, ACCENT_BAR, WIDTH, MARGIN_TOP),
        (0, HEIGHT - MARGIN_BOTTOM, WIDTH, HEIGHT),
    ]
    return all(
        image.crop(strip).tobytes() == paper.crop(strip).tobytes() for strip in strips
    )


def overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_longest_quote_and_names_stay_inside_the_margins():
    words = "Transparency matters, and accountability is owed to every resident. "
    text = (words * 20)[:QUOTE_MAX_LENGTH].strip()
    long = content(
        text=text,
        speaker="Dr. " + "Maximiliana Wolkenstein-Oberhausen " * 4,
        subtitle="Superintendent of the Springfield Unified School District " * 4,
        site="The Springfield Independent Community Newsroom and Gazette " * 2,
    )

    drawn, _rule = share_images.layout(long)

    assert all(inside_margins(item.box) for item in drawn)
    for index, item in enumerate(drawn):
        assert not any(overlaps(item.box, other.box) for other in drawn[index + 1 :])
    lines = [item.text for item in drawn_quote(drawn)]
    assert text.startswith(lines[0])
    assert lines[-1].endswith("…")  # too long even at the smallest size: cut
    assert margins_are_empty(share_images.render(long))


def test_a_word_wider_than_the_image_is_broken_inside_the_margins():
    long_word = content(text="https://example.org/" + "a" * 400, speaker="X" * 150)

    drawn, _rule = share_images.layout(long_word)

    assert all(inside_margins(item.box) for item in drawn)
    assert margins_are_empty(share_images.render(long_word))


def test_the_font_shrinks_as_the_quote_grows_and_a_quote_that_fits_is_whole():
    short, _rule = share_images.layout(content(text="We heard you."))
    text = " ".join(["The council will vote on the budget next week."] * 6)
    longer, _rule = share_images.layout(content(text=text))

    short_size = max(item.size for item in drawn_quote(short))
    longer_items = drawn_quote(longer)
    assert longer_items[0].size < short_size
    assert " ".join(item.text for item in longer_items) == text


def drawn_quote(drawn):
    """The lines of the quote itself (not the mark, the name, the title or site)."""
    return [
        item
        for item in drawn
        if item.path == SERIF and item.fill == share_images.INK and item.text != "“"
    ]


def test_cyrillic_text_is_drawn_with_real_glyphs():
    for path in (SERIF, SANS_BOLD):
        face = share_images.font(path, 40)
        assert all(
            share_images.has_glyph(face, char)
            for char in UKRAINIAN_NAME + "ЄєІіЇїҐґ’"
            if not char.isspace()
        )
    # The check can fail: DejaVu has no Chinese, so this would be an empty box.
    assert not share_images.has_glyph(share_images.font(SERIF, 40), "中")


def test_a_ukrainian_quote_renders_inside_the_margins_with_its_name():
    ukrainian = content(
        text="Ми вдячні місту за підтримку наших бібліотек і шкіл.",
        speaker=UKRAINIAN_NAME,
        subtitle="Президент України",
    )

    drawn, _rule = share_images.layout(ukrainian)
    png = share_images.render(ukrainian)

    name = next(item for item in drawn if item.text == UKRAINIAN_NAME)
    assert inside_margins(name.box)
    assert margins_are_empty(png)
    # Ink where the name is: drawn, not left blank.
    image = PILImage.open(io.BytesIO(png)).convert("RGB")
    colours = image.crop(name.box).getcolors(maxcolors=100_000)
    assert len(colours) > 2


# Invalid input ---------------------------------------------------------------------


def test_a_quote_needs_its_text():
    for blank in ("", "   \n\t "):
        quote = Quote(text=blank, speaker=SpeakerFactory())
        with pytest.raises(ValidationError) as error:
            quote.full_clean()
        assert error.value.message_dict["text"] == ["A quote needs its text."]


def test_an_over_long_quote_is_refused_with_a_clear_error():
    quote = Quote(text="x" * (QUOTE_MAX_LENGTH + 1), speaker=SpeakerFactory())
    with pytest.raises(ValidationError) as error:
        quote.full_clean()
    assert error.value.message_dict["text"] == [
        "A quote is at most 1000 characters; this one has 1001. Quote the key part "
        "and link to the full statement as the source."
    ]


def test_the_length_limit_counts_the_text_as_it_is_saved():
    text = "word  " * 150 + "x" * 200  # 1100 characters, 950 once collapsed
    quote = Quote(text=text, speaker=SpeakerFactory())
    quote.full_clean()
    assert len(quote.text) == 950


def test_the_database_refuses_empty_and_over_long_quotes_too():
    speaker = SpeakerFactory()
    for text in ("", "x" * (QUOTE_MAX_LENGTH + 1)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Quote.objects.create(text=text, speaker=speaker)


def test_quote_text_is_saved_with_its_whitespace_collapsed():
    quote = QuoteFactory(text="  We heard\n\nyou.  ")
    quote.refresh_from_db()
    assert quote.text == "We heard you."


# Admin -------------------------------------------------------------------------------


def quote_form(client, **overrides):
    page = client.get(reverse("admin:articles_quote_add"))
    return admin_form_data(page, **overrides)


def test_admin_refuses_an_empty_or_over_long_quote_and_keeps_the_text(client, editor):
    speaker = SpeakerFactory()
    add_url = reverse("admin:articles_quote_add")

    empty = client.post(add_url, quote_form(client, text="  ", speaker=speaker.pk))
    long_text = "y" * (QUOTE_MAX_LENGTH + 5)
    long = client.post(add_url, quote_form(client, text=long_text, speaker=speaker.pk))

    assert empty.status_code == 200
    assert empty.context["adminform"].form.errors["text"] == ["This field is required."]
    assert long.status_code == 200
    assert long.context["adminform"].form.errors["text"] == [
        "Ensure this value has at most 1000 characters (it has 1005)."
    ]
    assert long_text in long.content.decode()  # nothing the editor wrote is lost
    assert 'maxlength="' not in long.content.decode().split('name="text"')[1][:200]
    assert not Quote.objects.exists()


def test_admin_saves_a_quote_with_pasted_whitespace_collapsed(client, editor):
    speaker = SpeakerFactory()
    text = "Help   is on\r\n\r\nthe way. " + "z" * 975  # 1001, 995 once collapsed

    response = client.post(
        reverse("admin:articles_quote_add"),
        quote_form(client, text=text, speaker=speaker.pk, said_on="2024-05-12"),
    )

    assert response.status_code == 302
    assert Quote.objects.get().text == "Help is on the way. " + "z" * 975


def test_admin_quote_page_shows_where_it_is_used_and_its_share_image(client, editor):
    quote = QuoteFactory()
    live = ArticleFactory(headline="The live story")
    PullQuoteFactory(quote=quote, article=live, after_paragraph=3)
    PullQuoteFactory(quote=quote, article=DraftFactory(headline="The draft"))

    page = html(client.get(reverse("admin:articles_quote_change", args=[quote.pk])))

    live_link = reverse("admin:articles_article_change", args=[live.pk])
    assert (
        f'<a href="{live_link}">The live story</a> (Published, after paragraph 3)'
        in (page)
    )
    assert "The draft</a> (Draft" in page
    assert f'<img src="{quote.get_share_image_url().replace("&", "&amp;")}"' in page


def test_admin_finds_quotes_by_their_words_and_by_speaker(client, editor):
    ana = QuoteFactory(text="Roads first.", speaker__name="Ana Ruiz")
    QuoteFactory(text="Bridges first.", speaker__name="Ben Okafor")

    by_words = client.get(reverse("admin:articles_quote_changelist"), {"q": "roads"})
    by_name = client.get(reverse("admin:articles_quote_changelist"), {"q": "ruiz"})

    assert list(by_words.context["cl"].result_list) == [ana]
    assert list(by_name.context["cl"].result_list) == [ana]


def test_writers_find_quotes_for_a_pull_quote_by_speaker(client):
    client.force_login(UserFactory(role="Writer"))
    quote = QuoteFactory(text="Roads first.", speaker__name="Ana Ruiz")
    QuoteFactory(text="Bridges first.", speaker__name="Ben Okafor")

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "ruiz",
            "app_label": "articles",
            "model_name": "pullquote",
            "field_name": "quote",
        },
    )

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(quote.pk)]


def test_editors_place_pull_quotes_from_the_article_form(client, editor):
    article = ArticleFactory(body="<p>One.</p><p>Two.</p><p>Three.</p>")
    quote = QuoteFactory(text="Placed from the admin.")
    change = reverse("admin:articles_article_change", args=[article.pk])

    data = admin_form_data(client.get(change))
    data.update(
        {
            "pull_quotes-TOTAL_FORMS": "1",
            "pull_quotes-0-quote": str(quote.pk),
            "pull_quotes-0-after_paragraph": "2",
        }
    )
    response = client.post(change, data)

    assert response.status_code == 302, response.context["errors"]
    assert list(article.pull_quotes.values_list("quote", "after_paragraph")) == [
        (quote.pk, 2)
    ]
    page = html(client.get(article.get_absolute_url()))
    assert page.index("<p>Two.</p>") < page.index("Placed from the admin.")


def test_the_same_quote_twice_in_one_article_is_a_form_error(client, editor):
    article = ArticleFactory()
    quote = QuoteFactory()
    change = reverse("admin:articles_article_change", args=[article.pk])

    data = admin_form_data(client.get(change))
    data.update(
        {
            "pull_quotes-TOTAL_FORMS": "2",
            "pull_quotes-0-quote": str(quote.pk),
            "pull_quotes-0-after_paragraph": "1",
            "pull_quotes-1-quote": str(quote.pk),
            "pull_quotes-1-after_paragraph": "3",
        }
    )
    response = client.post(change, data)

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not article.pull_quotes.exists()


def test_speaker_admin_prepopulates_the_slug_and_links_to_their_quotes(client, editor):
    speaker = SpeakerFactory()
    QuoteFactory.create_batch(3, speaker=speaker)

    add_page = html(client.get(reverse("admin:articles_speaker_add")))
    changelist = html(client.get(reverse("admin:articles_speaker_changelist")))

    assert "prepopulated_fields" in add_page or "data-prepopulated-field" in add_page
    quotes_url = reverse("admin:articles_quote_changelist")
    assert f'<a href="{quotes_url}?speaker__id__exact={speaker.pk}">3</a>' in (
        changelist
    )
    filtered = client.get(quotes_url, {"speaker__id__exact": speaker.pk})
    assert filtered.status_code == 200
    assert len(filtered.context["cl"].result_list) == 3


def test_a_speaker_with_quotes_cannot_be_deleted(client, editor):
    quote = QuoteFactory()
    response = client.post(
        reverse("admin:articles_speaker_delete", args=[quote.speaker.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 200
    assert Speaker.objects.filter(pk=quote.speaker.pk).exists()


# Demo content ----------------------------------------------------------------------


def test_demo_content_has_speakers_quotes_and_pull_quotes(client, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    call_command("load_demo", verbosity=0)
    counts = (Speaker.objects.count(), Quote.objects.count(), PullQuote.objects.count())
    call_command("load_demo", verbosity=0)

    assert (
        Speaker.objects.count(),
        Quote.objects.count(),
        PullQuote.objects.count(),
    ) == counts
    assert counts[0] >= 4 and counts[1] >= 5
    ukrainian = Speaker.objects.get(slug="olena-kovalenko")
    assert ukrainian.name == "Олена Коваленко"
    assert client.get(ukrainian.get_absolute_url()).status_code == 200
    assert Quote.objects.public().count() < Quote.objects.count()  # one held back
