"""Full-text search: the index, ranking, web-search syntax, highlighting, filters,
junk input and what the page costs."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles import search
from articles.models import Article
from tests.factories import ArticleFactory, DraftFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db

URL = reverse("articles:search")
# Every page (menu, appeals); the sections, for the form and the results' kickers;
# the results, counted, ranked and highlighted in one query.
EMPTY_SEARCH_QUERIES = 2 + 1
SEARCH_QUERIES = EMPTY_SEARCH_QUERIES + 1


def found(client, q, **params):
    response = client.get(URL, {"q": q, **params})
    assert response.status_code == 200
    return list(response.context["results"])


def test_headline_match_ranks_above_body_match(client):
    in_body = ArticleFactory(
        headline="City news roundup",
        body="<p>The council talked about the library again, and the library "
        "budget, and library hours.</p>",
        published_at=timezone.now() - timedelta(minutes=5),
    )
    in_headline = ArticleFactory(
        headline="Library hours grow",
        body="<p>Branches stay open later.</p>",
        published_at=timezone.now() - timedelta(days=30),
    )
    assert found(client, "library") == [in_headline, in_body]


def test_dek_and_tags_rank_between_headline_and_body(client):
    body = ArticleFactory(headline="One", body="<p>About the river levee.</p>")
    dek = ArticleFactory(headline="Two", dek="What the levee means for you.")
    tagged = ArticleFactory(headline="Three", body="<p>Nothing here.</p>")
    tagged.tags.add(TagFactory(name="Levee"))
    headline = ArticleFactory(headline="The levee holds")
    results = found(client, "levee")
    assert results[0] == headline
    assert set(results[1:3]) == {dek, tagged}
    assert results[3] == body


def test_words_are_stemmed(client):
    article = ArticleFactory(headline="Volunteers are cleaning the river")
    assert found(client, "cleaned rivers") == [article]


def test_quoted_phrase_matches_only_the_phrase(client):
    phrase = ArticleFactory(body="<p>The school board voted on Tuesday.</p>")
    ArticleFactory(body="<p>The board of the school met; nobody voted.</p>")
    assert found(client, '"school board"') == [phrase]


def test_minus_excludes_a_word(client):
    keep = ArticleFactory(body="<p>Council approves the parks plan.</p>")
    ArticleFactory(body="<p>Council approves the budget plan.</p>")
    assert found(client, "council -budget") == [keep]


def test_or_finds_either_word(client):
    a = ArticleFactory(body="<p>Flooding downtown.</p>")
    b = ArticleFactory(body="<p>Drought in the county.</p>")
    ArticleFactory(body="<p>Nothing of the sort.</p>")
    assert set(found(client, "flooding or drought")) == {a, b}


def test_only_published_stories_are_found(client):
    ArticleFactory(headline="Public zebra story")
    DraftFactory(headline="Secret zebra draft")
    ArticleFactory(
        headline="Scheduled zebra story",
        published_at=timezone.now() + timedelta(hours=1),
    )
    results = found(client, "zebra")
    assert [a.headline for a in results] == ["Public zebra story"]


def test_tags_are_indexed_when_added_after_the_article(client):
    """The admin saves an article first and its tags after it."""
    article = ArticleFactory(headline="Budget talks")
    assert found(client, "infrastructure") == []
    article.tags.add(TagFactory(name="Infrastructure"))
    assert found(client, "infrastructure") == [article]
    article.tags.clear()
    assert found(client, "infrastructure") == []


def test_renaming_or_deleting_a_tag_updates_its_stories(client):
    tag = TagFactory(name="Potholes")
    article = ArticleFactory(headline="Road report")
    tag.articles.add(article)
    assert found(client, "potholes") == [article]
    tag.name = "Street repairs"
    tag.save()
    assert found(client, "potholes") == []
    assert found(client, "repairs") == [article]
    tag.articles.clear()
    assert found(client, "repairs") == []
    tag.articles.add(article)
    tag.delete()
    assert found(client, "repairs") == []


def test_editing_a_story_updates_the_index(client):
    article = ArticleFactory(headline="Old words")
    article.headline = "Fresh words"
    article.save()
    assert found(client, "fresh") == [article]
    assert found(client, "old") == []


def test_markup_in_the_body_is_not_searchable(client):
    ArticleFactory(body='<p><a href="https://example.org/strong">Link</a></p>')
    assert found(client, "strong") == []
    assert found(client, "example") == []


def test_matches_are_highlighted_in_headline_and_snippet(client):
    ArticleFactory(
        headline="Council approves budget",
        body="<p>After a long night, the council voted.</p>",
    )
    page = client.get(URL, {"q": "council"}).content.decode()
    assert "<mark>Council</mark> approves budget" in page
    assert "the <mark>council</mark> voted" in page


def test_highlighting_cannot_inject_markup(client):
    ArticleFactory(
        headline="<script>alert(1)</script> council & <b>friends</b>",
        body="<p>The council &lt;img src=x onerror=alert(1)&gt; met.</p>",
    )
    page = client.get(URL, {"q": "council"}).content.decode()
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>council</mark> &amp; " in page
    # The body's escaped text comes back escaped (ts_headline cuts at words).
    assert "<mark>council</mark> &lt;img src=x onerror=alert" in page


def test_highlight_escapes_then_marks():
    marked = f"a {search.START}<b>{search.STOP} &amp; c"
    assert search.highlight(marked) == "a <mark>&lt;b&gt;</mark> &amp; c"
    # An unbalanced marker never opens a tag it does not close.
    assert search.highlight(f"x {search.START} y") == "x y"


def test_filters_by_section_and_dates(client):
    politics = SectionFactory(slug="politics")
    now = timezone.now()
    recent = ArticleFactory(section=politics, headline="Tax vote")
    ArticleFactory(
        section=politics, headline="Tax history", published_at=now - timedelta(days=400)
    )
    ArticleFactory(headline="Tax elsewhere")
    start = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert found(client, "tax", section="politics", start=start) == [recent]
    end = (timezone.localdate() - timedelta(days=300)).isoformat()
    results = found(client, "tax", end=end)
    assert [a.headline for a in results] == ["Tax history"]


def test_filters_are_folded_away_until_one_is_used(client):
    fold = '<details class="search-form__more"'
    assert f"{fold}>" in client.get(URL, {"q": "council"}).content.decode()
    for params in ({"section": "x"}, {"start": "2024-01-01"}, {"order": "newest"}):
        page = client.get(URL, {"q": "council", **params}).content.decode()
        assert f"{fold} open>" in page


def test_order_newest_first(client):
    old = ArticleFactory(
        headline="Bridge bridge bridge", published_at=timezone.now() - timedelta(days=5)
    )
    new = ArticleFactory(body="<p>A bridge.</p>")
    assert found(client, "bridge") == [old, new]
    assert found(client, "bridge", order="newest") == [new, old]


def test_results_pages_keep_the_search_in_their_links(client):
    ArticleFactory.create_batch(25, headline="Harbor news")
    response = client.get(URL, {"q": "harbor", "order": "newest"})
    assert response.context["paginator"].count == 25
    assert 'href="?q=harbor&amp;order=newest&amp;page=2"' in response.content.decode()
    second = client.get(URL, {"q": "harbor", "order": "newest", "page": 2})
    assert len(second.context["results"]) == 5


def test_paging_stops_at_the_cap_and_the_reader_is_told_how_many_matched(
    client, monkeypatch
):
    monkeypatch.setattr(search, "MAX_RESULTS", 5)
    ArticleFactory.create_batch(8, headline="Ferry schedule")
    response = client.get(URL, {"q": "ferry"})
    paginator = response.context["paginator"]
    assert (paginator.total, paginator.count, paginator.num_pages) == (8, 5, 1)
    assert len(response.context["results"]) == 5
    page = response.content.decode()
    assert "8 stories match “ferry”. Here are the 5 most relevant;" in page
    newest = client.get(URL, {"q": "ferry", "order": "newest"}).content.decode()
    assert "8 stories match “ferry”. Here are the newest 5;" in newest
    # Past the cap is a page that does not exist, even though more matched.
    assert client.get(URL, {"q": "ferry", "page": 2}).status_code == 404


def test_a_page_past_the_cap_is_refused_without_searching(
    client, django_assert_num_queries
):
    ArticleFactory(headline="Council story")
    past = search.MAX_RESULTS // 20 + 1
    # The form's sections, then the 404 page: no search.
    with django_assert_num_queries(EMPTY_SEARCH_QUERIES):
        response = client.get(URL, {"q": "council", "page": past})
    assert response.status_code == 404


def test_an_exact_count_under_the_cap(client):
    ArticleFactory.create_batch(3, headline="Ferry schedule")
    page = client.get(URL, {"q": "ferry"}).content.decode()
    assert "3 stories match “ferry”." in page
    assert "most relevant" not in page


def test_the_filters_narrow_the_count_too(client):
    harbor = SectionFactory(name="Harbor")
    ArticleFactory.create_batch(2, headline="Ferry schedule", section=harbor)
    ArticleFactory.create_batch(3, headline="Ferry schedule")
    response = client.get(URL, {"q": "ferry", "section": harbor.slug})
    assert response.context["paginator"].total == 2
    assert {result.section for result in response.context["results"]} == {harbor}


def test_search_page_query_count_does_not_grow_with_results(
    client, django_assert_num_queries
):
    ArticleFactory(headline="Transit plan")
    with django_assert_num_queries(SEARCH_QUERIES):
        client.get(URL, {"q": "transit"})
    ArticleFactory.create_batch(30, headline="Transit plan")
    SectionFactory.create_batch(5)
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get(URL, {"q": "transit"})
    assert len(response.context["results"]) == 20


def test_empty_search_asks_for_words_without_searching(
    client, django_assert_num_queries
):
    # The menu, the appeals, the form's sections: no search at all.
    with django_assert_num_queries(EMPTY_SEARCH_QUERIES):
        response = client.get(URL)
    assert response.status_code == 200
    assert "Type a word, a name or a phrase" in response.content.decode()
    for q in ("", "   "):
        assert client.get(URL, {"q": q}).status_code == 200


@pytest.mark.parametrize(
    "q",
    [
        "x" * 10_000,
        "council " * 2_000,
        "'; DROP TABLE articles_article; --",
        '" OR 1=1 --',
        "((((",
        '"unbalanced',
        "!@#$%^&*()<>?:{}|~`",
        "-",
        "or or and not",
        "council:* & !",
        "\\x00",
        "🦆 emoji",
    ],
)
def test_junk_queries_answer_with_a_page_never_an_error(client, q):
    ArticleFactory(headline="Council story")
    response = client.get(URL, {"q": q})
    assert response.status_code == 200
    assert Article.objects.count() == 1


def test_a_long_search_is_shortened_and_the_reader_told(client):
    response = client.get(URL, {"q": "budget " * 3000})
    assert response.status_code == 200
    assert len(response.context["query"]) <= search.MAX_QUERY_LENGTH
    assert "Your search was too long" in response.content.decode()


def test_a_nul_character_is_a_form_error_not_a_crash(client):
    response = client.get(URL, {"q": "council\x00"})
    assert response.status_code == 200
    assert response.context["query"] == ""
    assert "Null characters are not allowed." in response.content.decode()


def test_only_stop_words_gets_its_own_answer(client):
    ArticleFactory()
    response = client.get(URL, {"q": "the and of"})
    assert "has only very common words" in response.content.decode()


def test_no_match_says_so(client):
    response = client.get(URL, {"q": "xylophone"})
    assert "No stories match “xylophone”." in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"section": "no-such-section"},
        {"start": "2024-02-30"},
        {"start": "yesterday"},
        {"end": "0001-01-01"},
        {"start": "2024-05-01", "end": "2024-04-01"},
        {"order": "random()"},
    ],
)
def test_bad_filters_are_form_errors(client, params):
    ArticleFactory(headline="Council story")
    response = client.get(URL, {"q": "council", **params})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert 'class="error" role="alert"' in response.content.decode()


@pytest.mark.parametrize("page", ["abc", "99999", "0", "-1", "last", "1.5", "2"])
def test_a_page_that_does_not_exist_is_a_404_with_a_message(client, page):
    ArticleFactory(headline="Council story")
    response = client.get(URL, {"q": "council", "page": page})
    assert response.status_code == 404
    assert "That page of results does not exist." in response.content.decode()


def test_search_page_is_not_indexed_and_sets_no_cookie(client):
    response = client.get(URL, {"q": "council"})
    assert '<meta name="robots" content="noindex, follow">' in response.content.decode()
    assert response.cookies == {}


def test_update_search_vectors_command_rebuilds_the_index(client):
    article = ArticleFactory(headline="Reservoir levels")
    Article.objects.update(search_vector=None)
    assert found(client, "reservoir") == []
    out = io.StringIO()
    call_command("update_search_vectors", stdout=out)
    assert "Re-indexed 1 articles for search (english)." in out.getvalue()
    assert found(client, "reservoir") == [article]


def test_search_configuration_follows_the_site_language(settings):
    settings.LANGUAGE_CODE = "es-mx"
    assert search.search_config() == "spanish"
    settings.LANGUAGE_CODE = "ja"
    assert search.search_config() == "simple"


def test_search_vectors_stay_in_their_rows():
    """Ranking reads every match's vector: out in the TOAST table, that costs a
    lookup per match (migration 0014). A migration that rebuilds the column must
    keep its storage."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = "
            "'articles_article'::regclass AND attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("m",)
