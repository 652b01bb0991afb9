"""Developing stories: the flag, updates, the polling endpoint, corrections, feeds."""

import json
import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, CorrectionKind, Update
from tests.factories import (
    ArticleFactory,
    CorrectionFactory,
    DraftFactory,
    UpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BANNER = "This is a developing story. Check back for updates."
ATOM = "{http://www.w3.org/2005/Atom}"


def page(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def poll(client, article, since, **headers):
    return client.get(
        reverse("articles:updates", args=[article.slug]), {"since": since}, **headers
    )


# The flag ----------------------------------------------------------------------


def test_banner_shows_only_while_the_story_is_developing(client):
    article = ArticleFactory(developing=True)
    update = UpdateFactory(article=article, published_at=ago(minutes=3))
    html = page(client, article)
    assert BANNER in html
    assert f'href="#update-{update.pk}"' in html
    assert article.coverage_started_at is not None

    article.developing = False
    article.save()
    html = page(client, article)
    assert BANNER not in html
    assert "This story is no longer being updated. Coverage ended" in html
    # The time ends the sentence ("5:41 p.m."): no second full stop after it.
    ended = html.split("Coverage ended", 1)[1].split("</p>", 1)[0]
    assert ended.endswith("</time>") and "..<" not in ended
    # Concluding keeps every update.
    assert f'id="update-{update.pk}"' in html


def test_an_ordinary_article_has_no_banner_and_no_updates_section(client):
    html = page(client, ArticleFactory())
    assert BANNER not in html
    assert 'id="updates"' not in html
    assert "live-updates.js" not in html


def test_restarting_coverage_clears_the_end_time():
    article = ArticleFactory(developing=True)
    article.developing = False
    article.save()
    assert article.coverage_ended_at is not None
    article.developing = True
    article.save()
    assert article.coverage_ended_at is None


# Updates -----------------------------------------------------------------------


def test_updates_are_newest_first_with_the_pinned_summary_on_top(client):
    article = ArticleFactory(developing=True)
    old = UpdateFactory(article=article, headline="Old", published_at=ago(hours=2))
    new = UpdateFactory(article=article, headline="New", published_at=ago(minutes=1))
    pinned = UpdateFactory(
        article=article, headline="What we know", pinned=True, published_at=ago(hours=3)
    )
    html = page(client, article)
    ids = re.findall(r'<article class="update[^"]*" id="update-(\d+)"', html)
    assert ids == [str(pinned.pk), str(new.pk), str(old.pk)]
    assert html.count('class="update update--pinned"') == 1


def test_each_update_has_a_permalink():
    update = UpdateFactory()
    assert update.get_absolute_url() == (
        f"{update.article.get_absolute_url()}#update-{update.pk}"
    )


def test_draft_and_scheduled_updates_stay_hidden(client):
    article = ArticleFactory(developing=True)
    UpdateFactory(article=article, headline="A draft update", published_at=None)
    UpdateFactory(
        article=article,
        headline="A scheduled update",
        published_at=timezone.now() + timedelta(hours=1),
    )
    html = page(client, article)
    assert "A draft update" not in html
    assert "A scheduled update" not in html
    assert "Updates will appear here." in html


def test_a_story_has_one_pinned_summary_at_a_time():
    from django.db import IntegrityError

    article = ArticleFactory(developing=True)
    UpdateFactory(article=article, pinned=True)
    with pytest.raises(IntegrityError):
        UpdateFactory(article=article, pinned=True)


def test_article_page_query_count_is_the_same_with_1_and_200_updates(
    client, django_assert_num_queries
):
    one = ArticleFactory(developing=True)
    UpdateFactory(article=one)
    many = ArticleFactory(developing=True)
    Update.objects.bulk_create(
        Update(
            article=many,
            headline=f"Update {n}",
            body="<p>More.</p>",
            author=many.byline_authors[0],
            published_at=ago(minutes=n + 1),
        )
        for n in range(200)
    )
    CorrectionFactory(article=one)
    CorrectionFactory(article=many)
    for article in (one, many):
        client.get(article.get_absolute_url())  # keeps its parts; none related
        # The article (its bylines and tags are in its stored parts), its updates
        # (pinned, latest), its corrections, the donation appeals, the section menu.
        with django_assert_num_queries(6):
            client.get(article.get_absolute_url())


# Polling -----------------------------------------------------------------------


def test_polling_returns_only_newer_updates_as_the_page_renders_them(client):
    article = ArticleFactory(developing=True)
    seen = UpdateFactory(article=article, published_at=ago(minutes=10))
    fresh = UpdateFactory(article=article, published_at=ago(minutes=1))
    UpdateFactory(article=article, published_at=None)  # a draft
    response = poll(client, article, seen.published_at.isoformat())
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert f'id="update-{fresh.pk}"' in data["html"]
    assert f'id="update-{seen.pk}"' not in data["html"]
    assert data["latest"] == fresh.published_at.isoformat()
    # The same fragment the page renders, byte for byte.
    item = re.search(
        rf'<li>\s*<article class="update" id="update-{fresh.pk}".*?</article>\s*</li>',
        page(client, article),
        re.DOTALL,
    ).group(0)
    assert item.strip() in data["html"]


def test_polling_is_cacheable_and_answers_304_when_nothing_changed(client):
    article = ArticleFactory(developing=True)
    update = UpdateFactory(article=article)
    since = update.published_at.isoformat()
    first = poll(client, article, since)
    assert first.json()["count"] == 0
    assert "public" in first["Cache-Control"]
    assert "max-age=15" in first["Cache-Control"]
    assert first.cookies == {}
    again = poll(client, article, since, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    since_date = poll(
        client, article, since, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert since_date.status_code == 304
    # A new update changes the answer.
    UpdateFactory(article=article, published_at=timezone.now())
    assert poll(
        client, article, since, HTTP_IF_NONE_MATCH=first["ETag"]
    ).status_code == (200)


@pytest.mark.parametrize(
    "since",
    ["", "yesterday", "2026-13-45T99:00:00+00:00", "2026-11-27T10:00:00", "'; DROP"],
)
def test_polling_rejects_a_malformed_since_with_400(client, since):
    article = ArticleFactory(developing=True)
    response = poll(client, article, since)
    assert response.status_code == 400
    assert "ISO 8601" in response.json()["error"]


@pytest.mark.parametrize(
    "since", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59"]
)
def test_polling_with_a_time_no_calendar_holds_is_400(client, since):
    article = ArticleFactory(developing=True)

    assert poll(client, article, since).status_code == 400


def test_polling_takes_any_offset_python_does(client):
    # PostgreSQL's offsets stop at 15:59; the time is compared in UTC.
    article = ArticleFactory(developing=True)
    UpdateFactory(article=article, body="<p>After it.</p>")
    since = timezone.now() - timedelta(hours=2)
    offset = (since - timedelta(hours=23, minutes=59)).replace(tzinfo=None)

    response = poll(client, article, f"{offset.isoformat()}-23:59")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_polling_an_unpublished_or_unknown_story_is_404(client):
    draft = DraftFactory(developing=True)
    assert poll(client, draft, timezone.now().isoformat()).status_code == 404
    response = client.get(
        reverse("articles:updates", args=["no-such-story"]),
        {"since": timezone.now().isoformat()},
    )
    assert response.status_code == 404


# "Last materially updated" ------------------------------------------------------


def test_updates_and_corrections_move_the_material_time_but_typo_fixes_do_not():
    article = ArticleFactory(published_at=ago(days=1))
    assert article.updated_materially_at is None
    article.headline = "Fixed a typo in the headline"
    article.save()
    article.refresh_from_db()
    assert article.updated_materially_at is None

    update = UpdateFactory(article=article, published_at=ago(minutes=30))
    article.refresh_from_db()
    assert article.updated_materially_at == update.published_at

    correction = CorrectionFactory(article=article, published_at=ago(minutes=2))
    article.refresh_from_db()
    assert article.updated_materially_at == correction.published_at
    assert article.date_modified == correction.published_at


def test_a_scheduled_update_does_not_move_the_time_before_it_appears():
    article = ArticleFactory()
    UpdateFactory(article=article, published_at=timezone.now() + timedelta(hours=1))
    article.refresh_from_db()
    assert article.updated_materially_at is None
    assert article.date_modified == article.published_at


# Corrections -------------------------------------------------------------------


def test_a_retraction_is_shown_at_the_top_and_a_correction_at_the_end(client):
    article = ArticleFactory(body="<p>The story.</p>")
    retraction = CorrectionFactory(
        article=article,
        kind=CorrectionKind.RETRACTION,
        body="<p>We have retracted this story.</p>",
    )
    correction = CorrectionFactory(
        article=article, body="<p>A name was misspelled.</p>"
    )
    html = page(client, article)
    assert html.index(f'id="correction-{retraction.pk}"') < html.index("The story.")
    assert html.index(f'id="correction-{correction.pk}"') > html.index("The story.")
    assert "Corrections and clarifications" in html


def test_a_prominent_correction_goes_to_the_top(client):
    article = ArticleFactory(body="<p>The story.</p>")
    correction = CorrectionFactory(article=article, prominent=True)
    html = page(client, article)
    assert html.index(f'id="correction-{correction.pk}"') < html.index("The story.")


def test_corrections_page_lists_only_public_corrections(
    client, django_assert_num_queries
):
    shown = [CorrectionFactory() for _ in range(12)]
    CorrectionFactory(article=DraftFactory(), body="<p>On a draft.</p>")
    CorrectionFactory(published_at=timezone.now() + timedelta(hours=1))
    # The corrections, their count, and the donation appeals of every page.
    with django_assert_num_queries(4):  # +1: the section menu
        response = client.get(reverse("articles:corrections"))
    html = response.content.decode()
    assert html.count('class="correction ') == len(shown)
    assert "On a draft." not in html
    assert response.cookies == {}


def test_corrections_page_rejects_a_junk_page(client):
    assert client.get(reverse("articles:corrections"), {"page": "abc"}).status_code == (
        404
    )


# Feeds -------------------------------------------------------------------------


def test_story_updates_feed_lists_visible_updates_newest_first(client):
    article = ArticleFactory(developing=True)
    old = UpdateFactory(article=article, headline="Old", published_at=ago(hours=1))
    new = UpdateFactory(article=article, headline="New", published_at=ago(minutes=1))
    UpdateFactory(article=article, headline="Draft", published_at=None)
    response = client.get(reverse("articles:updates-feed", args=[article.slug]))
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["New", "Old"]
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert links[0].endswith(f"#update-{new.pk}")
    assert links[1].endswith(f"#update-{old.pk}")


def test_corrections_feed_lists_public_corrections(client):
    correction = CorrectionFactory(kind=CorrectionKind.CLARIFICATION)
    CorrectionFactory(article=DraftFactory())
    feed = ET.fromstring(client.get(reverse("articles:corrections-feed")).content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert entries[0].findtext(f"{ATOM}title") == (
        f"Clarification: {correction.article.headline}"
    )


def test_updates_and_corrections_feeds_escape_titles_exactly_once(client):
    headline = """The district's "best" schools & their <budgets>"""
    article = ArticleFactory(developing=True, headline=headline, dek="Tom & Jerry's")
    UpdateFactory(article=article, headline='Crews\' "final" push & <more>')
    CorrectionFactory(article=article)
    feed = ET.fromstring(
        client.get(reverse("articles:updates-feed", args=[article.slug])).content
    )
    assert feed.findtext(f"{ATOM}title") == f"Updates: {headline}"
    assert feed.findtext(f"{ATOM}subtitle") == "Tom & Jerry's"
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == 'Crews\' "final" push & <more>'
    feed = ET.fromstring(client.get(reverse("articles:corrections-feed")).content)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == f"Correction: {headline}"


def test_feed_of_an_unpublished_story_is_404(client):
    draft = DraftFactory(developing=True)
    assert client.get(
        reverse("articles:updates-feed", args=[draft.slug])
    ).status_code == (404)


# Posting updates in the admin ---------------------------------------------------


def test_a_writers_update_is_a_draft_until_an_editor_publishes_it(client):
    article = ArticleFactory(developing=True)
    writer = UserFactory(role="Writer")
    client.force_login(writer)
    response = client.post(
        reverse("admin:articles_update_add"),
        {
            "article": article.pk,
            "headline": "Road closed",
            "body": "<p>The road is closed.</p>",
            "published_at_0": "2020-01-01",
            "published_at_1": "10:00",
            "publish_now": "on",
            "pinned": "on",
        },
    )
    assert response.status_code == 302
    update = Update.objects.get(headline="Road closed")
    assert update.published_at is None
    assert update.pinned is False
    assert update.created_by == writer

    editor = UserFactory(role="Editor")
    client.force_login(editor)
    client.post(
        reverse("admin:articles_update_changelist"),
        {"action": "publish_selected_now", "_selected_action": [update.pk]},
    )
    update.refresh_from_db()
    assert update.is_published() is True


def test_an_editor_posts_an_update_stamped_when_saved(client):
    article = ArticleFactory(developing=True)
    client.force_login(UserFactory(role="Editor"))
    before = timezone.now()
    client.post(
        reverse("admin:articles_update_add"),
        {"article": article.pk, "body": "<p>Now.</p>", "publish_now": "on"},
    )
    update = article.updates.get()
    assert update.published_at >= before


def test_updates_can_only_be_posted_to_developing_stories(client):
    ArticleFactory(headline="Not developing")
    live = ArticleFactory(headline="Live story", developing=True)
    client.force_login(UserFactory(role="Editor"))
    response = client.get(reverse("admin:articles_update_add"), {"article": live.pk})
    choices = response.context["adminform"].form.fields["article"].queryset
    assert list(choices) == [live]
    assert Article.objects.count() == 2


def test_the_article_admin_links_to_posting_an_update(client):
    article = ArticleFactory(developing=True)
    client.force_login(UserFactory(role="Editor"))
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert f"/admin/articles/update/add/?article={article.pk}" in (
        response.content.decode()
    )


def test_live_script_is_first_party_and_loaded_only_on_developing_stories(client):
    html = page(client, ArticleFactory(developing=True))
    scripts = re.findall(r"<script[^>]*src=\"([^\"]+)\"", html)
    assert [s for s in scripts if "live-updates" in s] == ["/static/js/live-updates.js"]
    assert all(s.startswith("/") for s in scripts)
    assert json.dumps(BANNER)[1:-1] in html


def test_a_story_with_many_updates_shows_the_latest_and_links_to_earlier_ones(
    client, django_assert_num_queries
):
    from articles.models import UPDATES_ON_PAGE

    article = ArticleFactory(developing=True)
    updates = Update.objects.bulk_create(
        Update(
            article=article,
            headline=f"Number {n}",
            body="<p>x</p>",
            published_at=ago(minutes=n + 1),
        )
        for n in range(UPDATES_ON_PAGE + 20)
    )
    html = page(client, article)
    assert html.count('<article class="update"') == UPDATES_ON_PAGE
    assert "Number 0<" in html
    assert f"Number {UPDATES_ON_PAGE}<" not in html
    last_shown = updates[UPDATES_ON_PAGE - 1]
    older_url = reverse("articles:updates-archive", args=[article.slug])
    assert f'href="{older_url}?before={last_shown.pk}"' in html

    # (The last of them: the donation appeals of every page.)
    with django_assert_num_queries(5):  # +1: the section menu
        older = client.get(older_url, {"before": last_shown.pk})
    older_html = older.content.decode()
    assert older_html.count('<article class="update"') == 20
    assert f"Number {UPDATES_ON_PAGE}<" in older_html
    assert "Older updates" not in older_html


@pytest.mark.parametrize("before", ["abc", "-1", "999999999", "1 OR 1=1"])
def test_the_update_archive_rejects_a_junk_cursor_with_404(client, before):
    update = UpdateFactory()
    url = reverse("articles:updates-archive", args=[update.article.slug])
    assert client.get(url, {"before": before}).status_code == 404
    assert client.get(url).status_code == 200


# Structured data ---------------------------------------------------------------


def json_ld(client, article):
    html = page(client, article)
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL
    )
    return [json.loads(block) for block in blocks]


def story_data(client, article):
    return next(
        d
        for d in json_ld(client, article)
        if d.get("@type") in ("NewsArticle", "LiveBlogPosting")
    )


def test_json_ld_is_live_blog_posting_while_developing_and_keeps_it_when_concluded(
    client,
):
    article = ArticleFactory(developing=True)
    update = UpdateFactory(article=article, headline="Levee holds")
    data = story_data(client, article)
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageStartTime"] == article.coverage_started_at.isoformat()
    assert "coverageEndTime" not in data
    entry = data["liveBlogUpdate"][0]
    assert entry["@type"] == "BlogPosting"
    assert entry["headline"] == "Levee holds"
    assert entry["url"].endswith(f"#update-{update.pk}")
    assert entry["datePublished"] == update.published_at.isoformat()
    assert data["dateModified"] == update.published_at.isoformat()

    article.developing = False
    article.save()
    data = story_data(client, article)
    assert data["@type"] == "LiveBlogPosting"
    assert data["coverageEndTime"] == article.coverage_ended_at.isoformat()


def test_json_ld_is_news_article_for_an_ordinary_story_with_corrections(client):
    article = ArticleFactory(published_at=ago(days=1))
    correction = CorrectionFactory(article=article, published_at=ago(hours=2))
    article.refresh_from_db()
    article.headline = "A typo fixed"
    article.save()
    data = story_data(client, article)
    assert data["@type"] == "NewsArticle"
    assert "liveBlogUpdate" not in data
    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "text": "An earlier version of this story misspelled a name.",
            "datePublished": correction.published_at.isoformat(),
            "url": data["correction"][0]["url"],
        }
    ]
    assert data["correction"][0]["url"].endswith(f"#correction-{correction.pk}")
    # The correction moved dateModified; the typo fix did not.
    assert data["dateModified"] == correction.published_at.isoformat()
