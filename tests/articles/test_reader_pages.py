"""
The reader site's pages: front page, lists (latest, section, tag, author, dates),
the article page's header and footer, about, robots.txt; their query counts on
realistic data, junk input, and privacy (no cookies, the same HTML for everyone).
"""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import workflow
from articles.models import Licence, OldSlug
from articles.pagination import Cursor
from articles.related import related_articles
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    ImageFactory,
    SectionFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# What each page costs, whatever the number of stories, authors and tags on it.
# Every page: the sections of the site's menu, and the donation appeals that may
# show on it (donations app).
EVERY_PAGE = 2
# Stories show from the parts kept on them (articles.parts). The first reader after
# a change renders and keeps them, whatever their number: for a list, the stories
# with their bylines, and one write (COLD_LIST); for a story's page, its rows (the
# story, bylines, tags, pinned updates, corrections, pull quotes), whether it has
# updates or corrections, and one write (COLD_STORY).
COLD_LIST = 3
COLD_STORY = 8
# The front page's stories, latest, developing and by section (one query); the
# sections (which the worker remembers with the menu when its memo is on).
HOME_QUERIES = EVERY_PAGE + 2
# The section (tag, author); the stories.
LIST_QUERIES = EVERY_PAGE + 2
LATEST_QUERIES = EVERY_PAGE + 1
# Stories; stories per month.
YEAR_QUERIES = EVERY_PAGE + 2
# The article; its related stories.
ARTICLE_QUERIES = EVERY_PAGE + 2


def queries_for(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context)


def days_ago(days, hours=0):
    return timezone.now() - timedelta(days=days, hours=hours)


@pytest.fixture
def big_article():
    """A story with five authors, ten tags, a picture, and related stories."""
    section = SectionFactory(name="Politics", slug="politics")
    tags = TagFactory.create_batch(10)
    article = ArticleFactory(
        headline="Council passes the budget",
        section=section,
        featured_image=ImageFactory(),
        authors=AuthorFactory.create_batch(5),
        published_at=days_ago(0, hours=2),
    )
    article.tags.set(tags)
    for index in range(4):
        related = ArticleFactory(
            section=section, published_at=days_ago(index + 1), authors=[]
        )
        related.tags.set(tags[: index + 1])
    return article


# Front page --------------------------------------------------------------------


def test_front_page_leads_with_the_newest_story_then_the_latest(client):
    older = ArticleFactory(published_at=days_ago(2))
    newer = ArticleFactory(published_at=days_ago(1))
    newest = ArticleFactory(published_at=days_ago(0, hours=1))
    response = client.get(reverse("articles:home"))
    assert response.context["lead"] == newest
    assert list(response.context["articles"]) == [newer, older]
    page = response.content.decode()
    assert page.index(newest.headline) < page.index(newer.headline)


def test_front_page_shows_developing_stories_and_section_blocks(client):
    politics = SectionFactory(name="Politics", slug="politics")
    education = SectionFactory(name="Education", slug="education")
    live = ArticleFactory(headline="River crests tonight", developing=True)
    ArticleFactory.create_batch(7, section=politics, published_at=days_ago(1))
    school = ArticleFactory(
        headline="Old school story", section=education, published_at=days_ago(30)
    )
    response = client.get(reverse("articles:home"))
    assert response.context["developing"] == [live]
    blocks = {s.slug: stories for s, stories in response.context["section_blocks"]}
    # Stories already on the front page are not repeated in the section blocks.
    assert blocks["education"] == [school]
    shown = {response.context["lead"], *response.context["articles"]}
    assert not shown & set(blocks.get("politics", []))
    assert '<h2 class="rail-title" id="developing-title">' in response.content.decode()


def test_front_page_hides_drafts_and_scheduled_stories(client):
    DraftFactory(headline="A draft nobody may see")
    ArticleFactory(headline="Tomorrow's story", published_at=days_ago(-1))
    page = client.get(reverse("articles:home")).content.decode()
    assert "A draft nobody may see" not in page
    assert "Tomorrow&#x27;s story" not in page


def test_the_front_page_query_agrees_with_published(client):
    """The front page's stories come from one hand-written query (front_page),
    as do the story page and its related stories (reader_page, related_articles):
    each must pick and order what Article.objects.published() would, newest
    first, and nothing else. (Their published condition is compiled from
    published_q; test_published.py holds every form of the rule to it.)"""
    from articles.models import Article

    sections = SectionFactory.create_batch(3)
    same_time = days_ago(3)
    for section in sections[:2]:
        ArticleFactory.create_batch(2, section=section, published_at=same_time)
        ArticleFactory.create_batch(3, section=section)
        ArticleFactory(section=section, developing=True, published_at=days_ago(5))
        DraftFactory(section=section)
        DraftFactory(section=section, developing=True)
        ArticleFactory(section=section, published_at=days_ago(-1))  # scheduled
        ArticleFactory(section=section, status="unpublished", developing=True)
    published = Article.objects.published().order_by("-published_at", "-pk")
    front = Article.objects.front_page(3, developing=5, per_section=4)
    assert front["latest"] == list(published[:3])
    assert front["developing"] == list(published.filter(developing=True))
    for section in sections[:2]:
        expected = published.filter(section=section).exclude(
            pk__in=[a.pk for a in front["latest"]]
        )
        assert front["sections"][section.pk] == list(expected[:4])
    assert sections[2].pk not in front["sections"]
    every = Article.objects.all()
    shown = {a.slug for a in every if Article.objects.reader_page(a.slug)}
    assert shown == {a.slug for a in published}
    article = ArticleFactory()
    article.related_ids = [a.pk for a in every]
    assert {a.pk for a in related_articles(article)} <= {a.pk for a in published}
    assert len(related_articles(article)) == 3


def test_front_page_without_stories_says_so(client):
    response = client.get(reverse("articles:home"))
    assert "No stories have been published yet." in response.content.decode()


def test_front_page_query_count_does_not_grow_with_the_archive(
    client, django_assert_num_queries
):
    sections = SectionFactory.create_batch(2)
    for section in sections:
        ArticleFactory(section=section)
    assert queries_for(client, reverse("articles:home")) == HOME_QUERIES + COLD_LIST
    assert queries_for(client, reverse("articles:home")) == HOME_QUERIES
    for section in [*sections, *SectionFactory.create_batch(3)]:
        ArticleFactory.create_batch(
            6, section=section, authors=AuthorFactory.create_batch(3)
        )
    ArticleFactory.create_batch(3, developing=True)
    assert queries_for(client, reverse("articles:home")) == HOME_QUERIES + COLD_LIST
    with django_assert_num_queries(HOME_QUERIES):
        response = client.get(reverse("articles:home"))
    assert len(response.context["section_blocks"]) == 5


def test_front_page_describes_the_site_for_search_engines(client):
    page = client.get(reverse("articles:home")).content.decode()
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in page
    assert '"@type": "WebSite"' in page
    assert '"urlTemplate": "http://127.0.0.1:8000/search/?q={search_term_string}"' in (
        page
    )


# Lists: latest, section, tag, author --------------------------------------------


def test_section_page_lists_its_published_stories_newest_first(client):
    section = SectionFactory(name="Education", slug="education")
    old = ArticleFactory(section=section, published_at=days_ago(3))
    new = ArticleFactory(section=section, published_at=days_ago(1))
    ArticleFactory(headline="Elsewhere")
    DraftFactory(section=section, headline="Unfinished")
    response = client.get(section.get_absolute_url())
    assert response.status_code == 200
    assert list(response.context["articles"]) == [new, old]
    page = response.content.decode()
    assert '<h1 class="page-title">Education</h1>' in page
    assert "Elsewhere" not in page and "Unfinished" not in page
    assert 'aria-current="page">Education</a>' in page


def test_section_page_of_twenty_stories_costs_the_same_as_of_one(
    client, django_assert_num_queries
):
    section = SectionFactory()
    ArticleFactory(section=section)
    assert queries_for(client, section.get_absolute_url()) == LIST_QUERIES + COLD_LIST
    assert queries_for(client, section.get_absolute_url()) == LIST_QUERIES
    for _ in range(19):
        ArticleFactory(section=section, authors=AuthorFactory.create_batch(5))
    assert queries_for(client, section.get_absolute_url()) == LIST_QUERIES + COLD_LIST
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(section.get_absolute_url())
    assert len(response.context["articles"]) == 20


def test_tag_page_lists_stories_with_the_tag(client, django_assert_num_queries):
    tag = TagFactory(name="Flooding", slug="flooding")
    tagged = ArticleFactory.create_batch(3, authors=AuthorFactory.create_batch(2))
    for article in tagged:
        article.tags.add(tag)
    ArticleFactory(headline="Not about floods")
    assert queries_for(client, tag.get_absolute_url()) == LIST_QUERIES + COLD_LIST
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(tag.get_absolute_url())
    assert set(response.context["articles"]) == set(tagged)
    assert "Not about floods" not in response.content.decode()


def test_author_page_shows_bio_photo_and_their_stories(
    client, django_assert_num_queries
):
    author = AuthorFactory(
        name="Maria Gonzalez",
        title="Education reporter",
        bio="Maria covers schools.",
        photo=ImageFactory(alt_text="Maria Gonzalez"),
    )
    theirs = ArticleFactory.create_batch(
        3, authors=[author, *AuthorFactory.create_batch(2)]
    )
    ArticleFactory(headline="Someone else's story")
    client.get(author.get_absolute_url())  # keeps the teasers
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(author.get_absolute_url())
    assert set(response.context["articles"]) == set(theirs)
    page = response.content.decode()
    assert '<h1 class="page-title">Maria Gonzalez</h1>' in page
    assert "Education reporter" in page and "Maria covers schools." in page
    assert 'class="author-card__photo"' in page
    assert "Someone else" not in page


def test_latest_page_lists_every_story(client, django_assert_num_queries):
    ArticleFactory.create_batch(5)
    client.get(reverse("articles:latest"))  # keeps the teasers
    with django_assert_num_queries(LATEST_QUERIES):
        response = client.get(reverse("articles:latest"))
    assert len(response.context["articles"]) == 5


def test_list_pages_link_their_feeds_for_autodiscovery(client):
    section = SectionFactory(slug="politics")
    ArticleFactory(section=section)
    page = client.get(section.get_absolute_url()).content.decode()
    assert 'type="application/rss+xml"' in page
    assert 'href="/section/politics/feed/"' in page
    assert 'href="/section/politics/feed/atom/"' in page
    # The site's own feed is announced on every page.
    assert 'href="/feed/"' in page


@pytest.mark.parametrize(
    "url",
    ["/section/no-such-section/", "/tag/no-such-tag/", "/author/nobody/"],
)
def test_unknown_slugs_are_a_404_page(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


# Pagination deep in the archive -------------------------------------------------


def test_older_stories_continue_exactly_where_the_page_ended(client):
    stories = [ArticleFactory(published_at=days_ago(n)) for n in range(45)]
    url = reverse("articles:latest")
    first = client.get(url)
    assert list(first.context["articles"]) == stories[:20]
    older = first.context["page_obj"].older_query
    assert older.startswith("?before=")
    second = client.get(url + older)
    assert list(second.context["articles"]) == stories[20:40]
    third = client.get(url + second.context["page_obj"].older_query)
    assert list(third.context["articles"]) == stories[40:]
    assert third.context["page_obj"].has_next() is False
    # And back: newer stories from the third page are the second page.
    back = client.get(url + third.context["page_obj"].newer_query)
    assert list(back.context["articles"]) == stories[20:40]


def test_newer_stories_from_the_second_page_lead_to_the_first_pages_address(client):
    stories = [ArticleFactory(published_at=days_ago(n)) for n in range(25)]
    url = reverse("articles:latest")
    second = client.get(url, {"before": str(Cursor.of(stories[19]))})
    response = client.get(url + second.context["page_obj"].newer_query)
    assert response.status_code == 302
    assert response["Location"] == url


def test_stories_sharing_a_publish_time_are_neither_repeated_nor_skipped(client):
    moment = days_ago(1)
    stories = ArticleFactory.create_batch(30, published_at=moment)
    url = reverse("articles:latest")
    first = client.get(url)
    second = client.get(url + first.context["page_obj"].older_query)
    seen = [*first.context["articles"], *second.context["articles"]]
    assert sorted(a.pk for a in seen) == sorted(a.pk for a in stories)


def test_a_page_deep_in_the_archive_costs_what_the_first_costs(
    client, django_assert_num_queries
):
    stories = [ArticleFactory(published_at=days_ago(n)) for n in range(60)]
    url = reverse("articles:latest") + "?before=" + str(Cursor.of(stories[49]))
    client.get(url)  # keeps the teasers
    with django_assert_num_queries(LATEST_QUERIES) as captured:
        response = client.get(url)
    assert list(response.context["articles"]) == stories[50:]
    stories = [q["sql"] for q in captured if 'FROM "articles_article"' in q["sql"]]
    assert stories
    assert not [sql for sql in stories if "OFFSET" in sql or "COUNT(" in sql]


@pytest.mark.parametrize(
    "params",
    [
        {"before": "abc"},
        {"before": "2024-13-45T00:00:00Z_1"},
        {"before": "2024-01-01T00:00:00_1"},  # no time zone
        {"after": "x" * 5000},
        {"before": "2024-01-01T00:00:00Z_-4"},
        {"before": "'; DROP TABLE articles_article; --"},
    ],
)
def test_junk_pagination_is_a_404_with_a_message(client, params):
    ArticleFactory()
    response = client.get(reverse("articles:latest"), params)
    assert response.status_code == 404
    assert "That page of stories does not exist." in response.content.decode()


def test_a_page_number_is_ignored_not_an_error(client):
    ArticleFactory()
    for page in ("abc", "99999", "-1"):
        response = client.get(reverse("articles:latest"), {"page": page})
        assert response.status_code == 200


def test_past_the_oldest_story_is_a_404_that_says_so(client):
    story = ArticleFactory(published_at=days_ago(1))
    response = client.get(reverse("articles:latest"), {"before": str(Cursor.of(story))})
    assert response.status_code == 404
    assert "There are no older stories." in response.content.decode()


# Date archives ----------------------------------------------------------------


def local(year, month, day, hour=12):
    return timezone.make_aware(datetime(year, month, day, hour))


def test_day_archive_uses_the_newsrooms_day(client):
    # 23:30 in the newsroom's time zone is already the next day in UTC.
    late = ArticleFactory(published_at=local(2024, 3, 10, 23) + timedelta(minutes=30))
    ArticleFactory(published_at=local(2024, 3, 11, 0) + timedelta(minutes=30))
    response = client.get("/2024/03/10/")
    assert list(response.context["articles"]) == [late]
    assert "Stories from March 10, 2024" in response.content.decode()


def test_month_and_year_archives(client, django_assert_num_queries):
    march = ArticleFactory(published_at=local(2024, 3, 1))
    april = ArticleFactory(published_at=local(2024, 4, 30))
    ArticleFactory(published_at=local(2023, 12, 31))
    assert list(client.get("/2024/03/").context["articles"]) == [march]
    client.get("/2024/")  # keeps the teasers
    with django_assert_num_queries(YEAR_QUERIES):
        response = client.get("/2024/")
    assert list(response.context["articles"]) == [april, march]
    months = [(m.month, n) for m, n in response.context["months"]]
    assert months == [(3, 1), (4, 1)]
    assert 'href="/2024/04/"' in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/2024/13/", "/2024/02/30/", "/0000/", "/9999/12/", "/2024/00/"]
)
def test_impossible_dates_are_a_404_with_a_message(client, url):
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "There is no such date." in page or "No stories were published" in page


def test_a_date_without_stories_is_a_404_that_says_so(client):
    ArticleFactory(published_at=local(2024, 3, 1))
    response = client.get("/2024/05/")
    assert response.status_code == 404
    assert "No stories were published in May 2024." in response.content.decode()


def test_scheduled_stories_are_not_in_the_archive_before_their_time(client):
    soon = ArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    day = timezone.localdate(soon.published_at)
    url = reverse(
        "articles:archive-day",
        kwargs={"year": day.year, "month": day.month, "day": day.day},
    )
    response = client.get(url)
    assert soon.headline not in response.content.decode()


# The article page ---------------------------------------------------------------


def test_article_page_query_count_is_fixed_for_a_big_story(
    client, big_article, django_assert_num_queries
):
    url = big_article.get_absolute_url()
    # The first reader renders and keeps the story's parts and its related
    # stories' teasers, and chooses the related stories (count and keep), once.
    cold = ARTICLE_QUERIES + COLD_STORY + COLD_LIST + 2
    assert queries_for(client, url) == cold
    with django_assert_num_queries(ARTICLE_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    # A story with one author, one tag and one related story costs the same.
    section = SectionFactory()
    small, neighbour = ArticleFactory.create_batch(2, section=section)
    small.tags.add(TagFactory())
    assert queries_for(client, small.get_absolute_url()) == cold
    assert queries_for(client, small.get_absolute_url()) == ARTICLE_QUERIES
    assert related_articles(small) == [neighbour]


def test_article_header_links_every_author_and_shows_the_times(client, big_article):
    big_article.updated_materially_at = timezone.now()
    big_article.save()
    page = client.get(big_article.get_absolute_url()).content.decode()
    for author in big_article.authors.all():
        assert f'href="{author.get_absolute_url()}">{author.name}</a>' in page
    assert page.count('<time datetime="') >= 2
    assert (
        f'<time datetime="{timezone.localtime(big_article.published_at).isoformat()}"'
        in (page)
    )
    assert '<a href="/section/politics/">Politics</a>' in page


def test_article_footer_links_tags_licence_republishing_and_related(
    client, big_article
):
    page = client.get(big_article.get_absolute_url()).content.decode()
    for tag in big_article.tags.all():
        assert f'<a href="{tag.get_absolute_url()}">{tag.name}</a>' in page
    assert (
        'rel="license" href="https://creativecommons.org/licenses/by-nc-nd/3.0/"'
        in (page)
    )
    assert "Feel free to republish it" in page
    assert f'href="{big_article.get_republish_url()}">Republish this story</a>' in page
    assert "Related stories" in page


def shared_tags(article, other):
    return len(set(article.tags.all()) & set(other.tags.all()))


def test_related_stories_share_the_most_tags_first(client, big_article):
    related = related_articles(big_article)
    assert len(related) == 3
    assert [shared_tags(big_article, a) for a in related] == [4, 3, 2]
    assert big_article not in related


def test_related_stories_are_chosen_once_and_kept(client, big_article):
    url = big_article.get_absolute_url()
    client.get(url)
    big_article.refresh_from_db()
    kept = big_article.related_ids
    assert len(kept) == 4  # every other story in the section, best first
    # A newer story sharing every tag, added without the workflow (as an import
    # would): the kept choice stands, so readers keep getting a cheap page.
    rival = ArticleFactory(section=big_article.section, published_at=days_ago(0, 5))
    rival.tags.set(big_article.tags.all())
    assert rival.headline not in client.get(url).content.decode()
    big_article.refresh_from_db()
    assert big_article.related_ids == kept
    # Saving the story forgets the choice; the next reader chooses again.
    big_article.save()
    big_article.refresh_from_db()
    assert big_article.related_ids is None
    assert rival.headline in client.get(url).content.decode()
    big_article.refresh_from_db()
    assert big_article.related_ids[0] == rival.pk


def test_tag_changes_forget_the_related_choice(client, big_article):
    client.get(big_article.get_absolute_url())
    big_article.tags.remove(big_article.tags.first())
    big_article.refresh_from_db()
    assert big_article.related_ids is None


def test_publishing_a_story_makes_its_neighbours_choose_again(client, big_article):
    editor = UserFactory(is_superuser=True, is_staff=True)
    client.get(big_article.get_absolute_url())
    draft = DraftFactory(section=big_article.section, dek="A dek", body="<p>Body</p>")
    draft.tags.set(big_article.tags.all())
    workflow.publish(draft, by=editor)
    draft.refresh_from_db()
    assert big_article.pk in draft.related_ids  # chosen at publish time
    big_article.refresh_from_db()
    assert big_article.related_ids is None
    page = client.get(big_article.get_absolute_url()).content.decode()
    assert draft.headline in page


def test_an_unpublished_related_story_drops_out_at_once(client, big_article):
    url = big_article.get_absolute_url()
    client.get(url)
    first = related_articles(big_article)[0]
    type(first).objects.filter(pk=first.pk).update(status="unpublished")
    page = client.get(url).content.decode()
    assert first.headline not in page
    assert len(related_articles(big_article)) == 3  # a kept spare steps in


def test_related_stories_fall_back_to_the_section(client):
    section = SectionFactory()
    article = ArticleFactory(section=section)
    same_section = ArticleFactory(section=section, published_at=days_ago(2))
    ArticleFactory(headline="Another section")
    DraftFactory(section=section)
    assert related_articles(article) == [same_section]


def test_share_links_load_nothing_from_other_sites(client, big_article):
    page = client.get(big_article.get_absolute_url()).content.decode()
    share = page[page.index('<div class="share">') :]
    share = share[: share.index("</div>")]
    assert "mailto:?subject=" in share
    assert "https://bsky.app/intent/compose?text=" in share
    assert "<img" not in share and "<script" not in share and "<iframe" not in share
    # Every src= and stylesheet of the page is our own.
    for url in re.findall(r'(?:src|srcset)="([^"]+)"', page):
        assert url.startswith("/"), url
    for url in re.findall(r'<link rel="stylesheet" href="([^"]+)"', page):
        assert url.startswith("/"), url


def test_an_old_slug_redirects_permanently_to_the_story(client):
    article = ArticleFactory(slug="council-vote")
    article.first_published_at = article.published_at
    article.save()
    old_url = article.get_absolute_url()
    article.slug = "council-passes-budget"
    article.save()
    assert OldSlug.objects.filter(slug="council-vote", article=article).exists()
    response = client.get(old_url)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()
    # Even with a wrong date in the old link.
    response = client.get("/1999/01/01/council-vote/")
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_an_old_slug_of_an_unpublished_story_is_a_404(client):
    article = ArticleFactory(slug="first-name")
    article.first_published_at = article.published_at
    article.slug = "second-name"
    article.save()
    article.status = "unpublished"
    article.save()
    assert client.get("/2024/01/01/first-name/").status_code == 404


def test_all_rights_reserved_story_has_no_republish_link(client):
    article = ArticleFactory(licence=Licence.ALL_RIGHTS_RESERVED)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "All rights reserved." in page
    assert "Republish this story" not in page


# Other pages, privacy and caching ---------------------------------------------


def test_about_page_explains_privacy_and_republishing(client):
    response = client.get(reverse("articles:about"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "sets no cookies" in page
    assert "Republish our stories" in page


def test_robots_txt_points_to_the_sitemaps(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in text
    assert "Sitemap: http://127.0.0.1:8000/news-sitemap.xml" in text
    assert "Disallow: /admin/" in text
    assert "Disallow: /search/" in text


def reader_urls(article):
    return [
        reverse("articles:home"),
        reverse("articles:latest"),
        article.get_absolute_url(),
        article.section.get_absolute_url(),
        article.tags.first().get_absolute_url(),
        article.byline_authors[0].get_absolute_url(),
        f"/{timezone.localdate(article.published_at).year}/",
        reverse("articles:search") + "?q=council",
        reverse("articles:about"),
        article.get_republish_url(),
        reverse("articles:feed"),
        reverse("articles:feed-atom"),
        reverse("articles:sitemap-index"),
        reverse("articles:news-sitemap"),
        "/robots.txt",
        "/no/such/page/",
    ]


def test_no_reader_page_sets_a_cookie(client, big_article):
    for url in reader_urls(big_article):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert response.cookies == {}, url
        assert "Set-Cookie" not in response.headers, url


def test_every_reader_gets_the_same_page(client, big_article):
    """So a shared cache or a CDN can serve one copy to everyone."""
    from django.test import Client

    for url in reader_urls(big_article):
        first = client.get(url, HTTP_USER_AGENT="Reader A", HTTP_ACCEPT_LANGUAGE="de")
        second = Client().get(url, HTTP_USER_AGENT="Reader B", REMOTE_ADDR="10.0.0.9")
        assert first.content == second.content, url
