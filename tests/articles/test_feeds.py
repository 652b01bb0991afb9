"""RSS and Atom feeds of stories: the site, a section, a tag, an author."""

import html
from datetime import timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    ImageFactory,
    SectionFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
# The feed's object (section, tag, author); stories; their bylines; their tags.
FEED_QUERIES = 4


def parse(response):
    assert response.status_code == 200
    # Our own XML, from the test client.
    return ElementTree.fromstring(response.content)  # noqa: S314


def rss_items(client, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/rss+xml")
    return parse(response).find("channel").findall("item")


def atom_entries(client, url):
    response = client.get(url)
    assert response["Content-Type"].startswith("application/atom+xml")
    return parse(response).findall(f"{ATOM}entry")


@pytest.fixture
def story():
    article = ArticleFactory(
        headline="Council passes the budget",
        dek="Libraries open on Sundays.",
        body='<p>The vote was <a href="/about/">7-2</a>.</p><p>More soon.</p>',
        featured_image=ImageFactory(),
        authors=[AuthorFactory(name="Ana Ruiz"), AuthorFactory(name="Ben Cole")],
        published_at=timezone.now() - timedelta(hours=3),
    )
    article.tags.add(TagFactory(name="Budget", slug="budget"))
    return article


def test_site_rss_feed_has_the_required_elements(client, story):
    root = parse(client.get(reverse("articles:feed")))
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for element in ("title", "link", "description", "language", "lastBuildDate"):
        assert channel.findtext(element), element
    assert channel.findtext("link") == "http://127.0.0.1:8000/"
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "http://127.0.0.1:8000/feed/"
    (item,) = channel.findall("item")
    assert item.findtext("title") == "Council passes the budget"
    assert item.findtext("link") == "http://127.0.0.1:8000" + story.get_absolute_url()
    assert item.findtext("description") == "Libraries open on Sundays."
    assert parsedate_to_datetime(
        item.findtext("pubDate")
    ) == story.published_at.replace(microsecond=0)
    guid = item.find("guid")
    assert guid.get("isPermaLink") == "false"
    assert guid.text.startswith("tag:127.0.0.1,")
    assert [c.text for c in item.findall(DC_CREATOR)] == ["Ana Ruiz", "Ben Cole"]
    assert {c.text for c in item.findall("category")} == {story.section.name, "Budget"}


def test_feeds_carry_the_full_story_with_absolute_links(client, story):
    (item,) = rss_items(client, reverse("articles:feed"))
    content = item.findtext(CONTENT)
    assert '<a href="http://127.0.0.1:8000/about/">7-2</a>' in content
    assert "<p>More soon.</p>" in content
    assert '<img src="http://127.0.0.1:8000/media/renditions/' in content
    assert "Creative Commons BY-NC-ND 3.0" in content


def test_site_atom_feed_has_the_required_elements(client, story):
    story.updated_materially_at = timezone.now() - timedelta(hours=1)
    story.save()
    root = parse(client.get(reverse("articles:feed-atom")))
    assert root.tag == f"{ATOM}feed"
    for element in ("title", "id", "updated"):
        assert root.findtext(f"{ATOM}{element}"), element
    (entry,) = root.findall(f"{ATOM}entry")
    for element in ("title", "id", "updated", "published", "summary", "content"):
        assert entry.findtext(f"{ATOM}{element}"), element
    assert entry.find(f"{ATOM}content").get("type") == "html"
    authors = [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")]
    assert authors == ["Ana Ruiz", "Ben Cole"]
    updated = entry.findtext(f"{ATOM}updated")
    published = entry.findtext(f"{ATOM}published")
    assert updated > published  # a material update moves "updated" on
    assert entry.find(f"{ATOM}link").get("href").endswith(story.get_absolute_url())


def test_only_published_stories_and_scheduled_ones_only_once_due(client):
    ArticleFactory(headline="Out now")
    DraftFactory(headline="A draft")
    scheduled = ArticleFactory(
        headline="Out tomorrow", published_at=timezone.now() + timedelta(days=1)
    )
    for url in (reverse("articles:feed"), reverse("articles:feed-atom")):
        page = client.get(url).content.decode()
        assert "Out now" in page
        assert "A draft" not in page and "Out tomorrow" not in page
    scheduled.published_at = timezone.now() - timedelta(minutes=1)
    scheduled.save()
    titles = [i.findtext("title") for i in rss_items(client, reverse("articles:feed"))]
    assert "Out tomorrow" in titles


def test_section_tag_and_author_feeds_hold_only_their_stories(client):
    section = SectionFactory(slug="schools")
    tag = TagFactory(slug="teachers")
    author = AuthorFactory(slug="maria")
    in_section = ArticleFactory(headline="In the section", section=section)
    tagged = ArticleFactory(headline="Tagged")
    tagged.tags.add(tag)
    by_author = ArticleFactory(headline="By Maria", authors=[author])
    ArticleFactory(headline="Unrelated")
    cases = [
        ("section", "schools", in_section),
        ("tag", "teachers", tagged),
        ("author", "maria", by_author),
    ]
    for kind, slug, article in cases:
        rss = rss_items(client, reverse(f"articles:{kind}-feed", args=[slug]))
        assert [i.findtext("title") for i in rss] == [article.headline]
        atom = atom_entries(client, reverse(f"articles:{kind}-feed-atom", args=[slug]))
        assert [e.findtext(f"{ATOM}title") for e in atom] == [article.headline]


def test_feed_of_an_unknown_section_is_a_404(client):
    assert client.get("/section/nowhere/feed/").status_code == 404
    assert client.get("/tag/nowhere/feed/atom/").status_code == 404


def test_feed_holds_the_newest_twenty_stories(client):
    stories = [
        ArticleFactory(published_at=timezone.now() - timedelta(hours=n))
        for n in range(1, 26)
    ]
    items = rss_items(client, reverse("articles:feed"))
    assert [i.findtext("title") for i in items] == [a.headline for a in stories[:20]]


def test_feed_query_count_does_not_grow_with_stories(client, django_assert_num_queries):
    section = SectionFactory(slug="politics")
    ArticleFactory(section=section)
    url = reverse("articles:section-feed", args=["politics"])
    with django_assert_num_queries(FEED_QUERIES):
        client.get(url)
    for _ in range(20):
        article = ArticleFactory(section=section, authors=AuthorFactory.create_batch(3))
        article.tags.set(TagFactory.create_batch(3))
    with django_assert_num_queries(FEED_QUERIES):
        assert len(rss_items(client, url)) == 20


def test_guid_survives_a_slug_change(client, story):
    (before,) = rss_items(client, reverse("articles:feed"))
    story.slug = "a-new-slug"
    story.save()
    (after,) = rss_items(client, reverse("articles:feed"))
    assert before.findtext("guid") == after.findtext("guid")
    assert before.findtext("link") != after.findtext("link")


def test_markup_in_titles_cannot_break_the_feed(client):
    ArticleFactory(headline="Tom & Jerry <b>say</b> ]]> hi", dek="<script>x</script>")
    (item,) = rss_items(client, reverse("articles:feed"))
    assert item.findtext("title") == "Tom & Jerry <b>say</b> ]]> hi"
    # Descriptions are read as HTML: the dek's text is escaped for it.
    assert item.findtext("description") == "&lt;script&gt;x&lt;/script&gt;"


HEADLINE = """The district's "best" schools & their <budgets>"""
DEK = """Parents' & teachers' "questions" <answered>"""


@pytest.mark.parametrize(
    "feed", ["feed", "section-feed", "tag-feed", "author-feed"], ids=str
)
@pytest.mark.parametrize("atom", [False, True], ids=["rss", "atom"])
def test_titles_and_descriptions_are_escaped_exactly_once(client, feed, atom):
    """What a feed reader shows is the headline itself: the XML parser's text of
    <title> is the headline, not "district&#x27;s"; the description, read as HTML,
    is the dek, and its apostrophes and quotation marks are left as they are."""
    section = SectionFactory(name="Schools & Kids", slug="schools")
    tag = TagFactory(name="Parents' night", slug="parents")
    author = AuthorFactory(name="Ann O'Hara", slug="ann")
    article = ArticleFactory(
        headline=HEADLINE, dek=DEK, section=section, authors=[author]
    )
    article.tags.add(tag)
    args = {"feed": [], "section-feed": ["schools"], "tag-feed": ["parents"]}.get(
        feed, ["ann"]
    )
    url = reverse(f"articles:{feed}{'-atom' if atom else ''}", args=args)
    if atom:
        (entry,) = atom_entries(client, url)
        title = entry.findtext(f"{ATOM}title")
        summary = entry.find(f"{ATOM}summary")
        assert summary.get("type") == "html"
        description = summary.text
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "Ann O'Hara"
    else:
        (item,) = rss_items(client, url)
        title = item.findtext("title")
        description = item.findtext("description")
        assert item.findtext(DC_CREATOR) == "Ann O'Hara"
        categories = [c.text for c in item.findall("category")]
        assert categories == ["Schools & Kids", "Parents' night"]
    assert title == HEADLINE
    assert html.unescape(description) == DEK
    assert description == ("Parents' &amp; teachers' \"questions\" &lt;answered&gt;")


def test_feed_names_are_escaped_exactly_once(client):
    SectionFactory(name="Schools & Kids", slug="schools")
    feed = parse(client.get(reverse("articles:section-feed", args=["schools"])))
    assert feed.findtext("channel/title").startswith("Schools & Kids · ")
    feed = parse(client.get(reverse("articles:section-feed-atom", args=["schools"])))
    assert feed.findtext(f"{ATOM}title").startswith("Schools & Kids · ")


def test_a_corrections_page_that_is_not_a_number_is_a_404(client):
    response = client.get(reverse("articles:corrections"), {"page": "abc"})
    assert response.status_code == 404
