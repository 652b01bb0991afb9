"""Republishing: the copy other sites paste, and the pixel that counts its readers."""

import html
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Licence, RepublishCount, RepublishPartner
from articles.views import PIXEL
from richtext.republish import for_republishing, without_images
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    ImageFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


def copy_of(client, article):
    response = client.get(article.get_republish_url())
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('<textarea id="republish-html"')
    text = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    return response, html.unescape(text)


def pixel_url(article):
    return reverse("articles:republish-pixel", kwargs={"pk": article.pk})


@pytest.fixture
def story():
    return ArticleFactory(
        headline="Council passes the budget",
        body=(
            '<p>The vote was <a href="/2024/01/02/earlier/">7-2</a>.</p>'
            '<figure class="image"><img src="/media/wire.jpg" alt="A wire photo">'
            "<figcaption>AP Photo</figcaption></figure>"
            '<p>Inline <img src="/media/inline.jpg" alt="chart"> chart.</p>'
            '<figure class="table"><table><tr><td>Yes</td><td>7</td></tr></table>'
            '</figure><p>See <a href="#notes">notes</a>.</p>'
        ),
        authors=[AuthorFactory(name="Ana Ruiz", slug="ana-ruiz")],
        featured_image=ImageFactory(may_redistribute=True, credit="Ana Ruiz"),
    )


def test_copy_has_headline_byline_body_attribution_and_pixel(client, story):
    response, copy = copy_of(client, story)
    url = SITE + story.get_absolute_url()
    assert "<h1>Council passes the budget</h1>" in copy
    assert f'by <a href="{SITE}/author/ana-ruiz/">Ana Ruiz</a>' in copy
    assert '<a href="http://127.0.0.1:8000/">Newsroom</a>' in copy
    assert f'This <a href="{url}">article</a> first appeared on' in copy
    assert "Creative Commons BY-NC-ND 3.0" in copy
    assert f'<img src="{SITE}{pixel_url(story)}" width="1" height="1" alt=""' in copy
    # Relative links made absolute, so they work on the other site.
    assert f'<a href="{SITE}/2024/01/02/earlier/">7-2</a>' in copy
    assert f'<a href="{url}#notes">notes</a>' in copy
    assert "<td>Yes</td>" in copy  # tables stay
    # The page tells republishers where the canonical link goes.
    page = response.content.decode()
    assert html.escape(f'<link rel="canonical" href="{url}">') in page
    assert response["X-Robots-Tag"] == "noindex"


def test_body_images_are_left_out_and_the_reader_told(client, story):
    response, copy = copy_of(client, story)
    assert "wire.jpg" not in copy and "AP Photo" not in copy
    assert "inline.jpg" not in copy
    assert "Inline  chart." in copy
    assert "images we may not share" in response.content.decode()


def test_featured_image_only_when_we_may_pass_it_on(client, story):
    _response, copy = copy_of(client, story)
    image = story.featured_image
    assert f'<img src="{SITE}{image.fallback_url()}"' in copy
    assert "(Ana Ruiz)" in copy
    image.may_redistribute = False
    image.save()
    _response, copy = copy_of(client, story)
    assert image.fallback_url() not in copy
    assert "<figure>" not in copy


def test_without_images_keeps_everything_else():
    body = (
        '<p>One</p><figure class="image image-style-side"><img src="/a.jpg" alt="a">'
        '<figcaption>Cap</figcaption></figure><figure class="table"><table><tbody>'
        '<tr><td><img src="/b.jpg" alt="b"> cell</td></tr></tbody></table></figure>'
        "<p>Two</p>"
    )
    assert without_images(body) == (
        '<p>One</p><figure class="table"><table><tbody><tr><td> cell</td></tr>'
        "</tbody></table></figure><p>Two</p>"
    )


def test_copy_is_sanitized_even_if_the_database_is_not():
    dirty = (
        '<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:x()">a</a></p>'
    )
    clean = for_republishing(dirty, "https://example.org/story/")
    assert "script" not in clean and "onclick" not in clean
    assert "javascript:" not in clean


def test_markup_in_the_headline_is_escaped_in_the_copy(client):
    article = ArticleFactory(headline="</textarea><script>alert(1)</script>")
    response = client.get(article.get_republish_url())
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert page.count("</textarea>") == 2  # the two fields' own


def test_not_licensed_stories_cannot_be_republished(client):
    article = ArticleFactory(licence=Licence.ALL_RIGHTS_RESERVED)
    response = client.get(article.get_republish_url())
    assert response.status_code == 404
    assert "not licensed for republishing" in response.content.decode()


def test_republish_page_of_a_draft_is_a_404(client):
    assert client.get(DraftFactory().get_republish_url()).status_code == 404


def test_republish_url_with_a_wrong_date_redirects(client, story):
    response = client.get(f"/1999/01/01/{story.slug}/republish/")
    assert response.status_code == 301
    assert response["Location"] == story.get_republish_url()


def test_republish_page_query_count(client, story, django_assert_num_queries):
    # Every page (menu, appeals); the story with section and picture; bylines.
    with django_assert_num_queries(4):
        client.get(story.get_republish_url())


# The counting pixel --------------------------------------------------------------


@pytest.fixture
def partner():
    """A site an editor confirmed republishes our stories."""
    return RepublishPartner.objects.create(host="partner.example")


def test_pixel_counts_views_per_site_and_day(client, story, partner):
    for referer in (
        "https://partner.example/news/budget",
        "https://partner.example/other-page",
        "https://PARTNER.example./x",
        "https://news.partner.example/x",
        "https://other.example/",
    ):
        response = client.get(pixel_url(story), HTTP_REFERER=referer)
        assert response.status_code == 200
        assert response.content == PIXEL
        assert response["Content-Type"] == "image/gif"
    client.get(pixel_url(story))  # the browser did not say where
    counts = {c.host: c.views for c in RepublishCount.objects.filter(article=story)}
    # Sites nobody confirmed are counted together, with the views of unknown ones.
    assert counts == {"partner.example": 4, "": 2}
    assert {c.day for c in RepublishCount.objects.all()} == {timezone.localdate()}


def test_pixel_keeps_nothing_about_the_reader(client, story, partner):
    response = client.get(
        pixel_url(story),
        HTTP_REFERER="https://partner.example/page?reader=jane@example.org",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"]
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"
    (count,) = RepublishCount.objects.values()
    assert set(count) == {"id", "article_id", "host", "day", "views"}
    assert count["host"] == "partner.example"


def test_pixel_ignores_junk_referers_and_this_site(client, story):
    for referer in (
        "not a url",
        "https://[::1/",
        "http://127.0.0.1:8000/2024/01/01/story/",
        "https://exa mple.org/",
        "https://" + "a" * 300 + ".example/",
    ):
        client.get(pixel_url(story), HTTP_REFERER=referer)
    assert list(RepublishCount.objects.values_list("host", "views")) == [("", 5)]


def test_pixel_does_not_count_unpublished_or_unknown_stories(client):
    draft = DraftFactory()
    scheduled = ArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    for url in (pixel_url(draft), pixel_url(scheduled), "/republish/999999/pixel.gif"):
        response = client.get(url, HTTP_REFERER="https://partner.example/")
        assert response.status_code == 200  # never a broken image on their page
    assert RepublishCount.objects.count() == 0


def test_pixel_head_requests_do_not_count(client, story):
    assert client.head(pixel_url(story)).status_code == 200
    assert client.post(pixel_url(story)).status_code == 405
    assert RepublishCount.objects.count() == 0


def test_pixel_is_one_statement(client, story, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.get(pixel_url(story), HTTP_REFERER="https://partner.example/")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_views_are_all_counted():
    story = ArticleFactory()
    url = pixel_url(story)
    errors = []

    def view():
        try:
            for _ in range(10):
                Client().get(url, HTTP_REFERER="https://partner.example/")
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=view) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    (count,) = RepublishCount.objects.all()
    assert count.views == 80


def test_the_newsroom_reads_republish_counts_in_the_admin(client, partner):
    story = ArticleFactory(headline="Council passes the budget")
    RepublishCount.objects.record(story.pk, "partner.example")
    RepublishCount.objects.record(story.pk, "")
    client.force_login(UserFactory(role="Writer"))
    response = client.get(reverse("admin:articles_republishcount_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "partner.example" in page and "(other or unknown sites)" in page
    assert "Council passes the budget" in page
    add = client.get(reverse("admin:articles_republishcount_add"))
    assert add.status_code == 403


def test_made_up_sites_add_no_rows(client, story):
    for number in range(300):
        client.get(pixel_url(story), HTTP_REFERER=f"https://site{number}.example/")

    assert list(RepublishCount.objects.values_list("host", "views")) == [("", 300)]


def test_a_site_claiming_a_partners_parent_domain_is_not_the_partner(client, story):
    RepublishPartner.objects.create(host="news.partner.example")
    for referer in ("https://partner.example/", "https://evilnews.partner.example/"):
        client.get(pixel_url(story), HTTP_REFERER=referer)
    client.get(pixel_url(story), HTTP_REFERER="https://a.news.partner.example/")

    counts = dict(RepublishCount.objects.values_list("host", "views"))
    assert counts == {"": 2, "news.partner.example": 1}


@pytest.mark.parametrize("pk", ["9" * 19, "9" * 20, "1" + "0" * 30])
def test_pixel_of_an_id_no_row_can_have_is_a_404(client, pk):
    response = client.get(f"/republish/{pk}/pixel.gif")

    assert response.status_code == 404
    assert RepublishCount.objects.count() == 0


def test_editors_confirm_partners_in_the_admin(client):
    editor = UserFactory(role="Editor")
    client.force_login(editor)

    response = client.post(
        reverse("admin:articles_republishpartner_add"),
        {"host": "https://News.Partner.Example./about", "name": "Partner News"},
    )

    assert response.status_code == 302
    partner = RepublishPartner.objects.get()
    assert partner.host == "news.partner.example"
    assert partner.confirmed_by == editor
    bad = client.post(
        reverse("admin:articles_republishpartner_add"),
        {"host": "not a site", "name": ""},
    )
    assert bad.status_code == 200
    assert RepublishPartner.objects.count() == 1


def test_writers_see_partners_but_may_not_confirm_one(client):
    client.force_login(UserFactory(role="Writer"))

    assert (
        client.get(reverse("admin:articles_republishpartner_changelist")).status_code
        == 200
    )
    assert client.get(reverse("admin:articles_republishpartner_add")).status_code == 403


# The canonical link ---------------------------------------------------------------

HOSTILE_URL = 'https://example.org/"><script>alert(1)</script><a href="'


def canonical_tag_of(client, article):
    page = client.get(article.get_republish_url()).content.decode()
    start = page.index('<textarea id="republish-canonical"')
    text = page[page.index(">", start) + 1 : page.index("</textarea>", start)]
    return html.unescape(text)


def test_the_canonical_tag_escapes_the_url_like_our_pages_do(client):
    article = ArticleFactory()
    # Saved around the form's validation, as an old row or an import could be.
    Article.objects.filter(pk=article.pk).update(canonical_url=HOSTILE_URL)
    article.refresh_from_db()

    tag = canonical_tag_of(client, article)

    assert "<script>" not in tag
    assert tag == f'<link rel="canonical" href="{html.escape(HOSTILE_URL)}">'
    # Our own page escapes it the same way.
    page = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page


def test_the_canonical_tag_names_the_original_when_there_is_one(client):
    article = ArticleFactory(canonical_url="https://original.example/story?a=1&b=2")

    tag = canonical_tag_of(client, article)

    assert (
        tag
        == '<link rel="canonical" href="https://original.example/story?a=1&amp;b=2">'
    )


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://files.example.org/story",
        "//example.org/story",
        "data:text/html,<script>alert(1)</script>",
    ],
)
def test_a_canonical_url_is_an_http_or_https_address(url):
    article = ArticleFactory.build(canonical_url=url)

    with pytest.raises(ValidationError) as error:
        article.clean_fields(
            exclude=[f.name for f in Article._meta.fields if f.name != "canonical_url"]
        )

    assert "canonical_url" in error.value.message_dict
