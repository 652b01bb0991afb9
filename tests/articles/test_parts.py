"""Stored parts of stories (articles.parts): a story's teaser and the unchanging
parts of its page are rendered once, kept on its row, and forgotten by the database
(triggers generated from articles.caching) whenever anything they show changes, by
any path; a page built from them is the page built from the rows."""

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from articles import parts
from articles.models import (
    Article,
    Author,
    Byline,
    Image,
    Quote,
    Section,
    Speaker,
    Tag,
)
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    ImageFactory,
    PullQuoteFactory,
    SectionFactory,
    TagFactory,
    UpdateFactory,
)

pytestmark = pytest.mark.django_db


def stored(article):
    row = Article.objects.values("card_parts", "story_parts", "parts_generation")
    return row.get(pk=article.pk)


def shown(client, article):
    """The story's page and a list showing it, so both kinds of parts are kept."""
    page = client.get(article.get_absolute_url())
    listing = client.get("/latest/")
    assert page.status_code == listing.status_code == 200
    return page.content.decode(), listing.content.decode()


@pytest.fixture
def story(client):
    image = ImageFactory(alt_text="The council chamber")
    article = ArticleFactory(headline="Council passes the budget", featured_image=image)
    article.tags.set([TagFactory(name="Budget")])
    PullQuoteFactory(article=article)
    shown(client, article)
    kept = stored(article)
    assert parts.fresh(kept["card_parts"]) and parts.fresh(kept["story_parts"])
    return article


def test_a_story_page_is_the_same_from_its_rows_and_from_its_parts(client, story):
    from_parts = shown(client, story)
    Article.objects.filter(pk=story.pk).update(card_parts=None, story_parts=None)
    from_rows = shown(client, story)
    assert from_parts == from_rows
    page, listing = from_parts
    assert "Council passes the budget" in page and "Budget" in page
    assert 'class="pull-quote"' in page and "The council chamber" in page
    assert "Council passes the budget" in listing


def test_kept_parts_spare_the_page_its_queries(client, story):
    url = story.get_absolute_url()
    with CaptureQueriesContext(connection) as warm:
        client.get(url)
    Article.objects.filter(pk=story.pk).update(story_parts=None)
    with CaptureQueriesContext(connection) as cold:
        client.get(url)
    assert len(warm) < len(cold) - 4
    tables = " ".join(q["sql"] for q in warm)
    for table in ("articles_byline", "articles_tag", "articles_pullquote"):
        assert table not in tables


def forgets(story, change):
    before = stored(story)["parts_generation"]
    change()
    after = stored(story)
    assert after["card_parts"] is None and after["story_parts"] is None
    assert after["parts_generation"] > before


@pytest.mark.parametrize(
    "change",
    [
        "save",
        "bulk headline",
        "author renamed",
        "byline added",
        "byline removed",
        "tag renamed",
        "tag added",
        "tag removed",
        "section renamed",
        "image alt text",
        "quote edited",
        "speaker renamed",
        "pull quote removed",
        "update posted",
        "correction posted",
    ],
)
def test_whatever_a_story_shows_changing_forgets_its_parts(story, change):
    author = story.authors.get()
    changes = {
        "save": lambda: Article.objects.get(pk=story.pk).save(),
        "bulk headline": lambda: Article.objects.filter(pk=story.pk).update(
            headline="Council passes a smaller budget"
        ),
        "author renamed": lambda: Author.objects.filter(pk=author.pk).update(
            name="Ana Reporter"
        ),
        "byline added": lambda: Byline.objects.create(
            article=story, author=AuthorFactory(), position=5
        ),
        "byline removed": lambda: Byline.objects.filter(article=story).delete(),
        "tag renamed": lambda: Tag.objects.filter(name="Budget").update(name="Budgets"),
        "tag added": lambda: story.tags.add(TagFactory()),
        "tag removed": lambda: story.tags.clear(),
        "section renamed": lambda: Section.objects.filter(pk=story.section_id).update(
            name="City Hall"
        ),
        "image alt text": lambda: Image.objects.filter(
            pk=story.featured_image_id
        ).update(alt_text="The chamber, full"),
        "quote edited": lambda: Quote.objects.update(text="We will, and we did."),
        "speaker renamed": lambda: Speaker.objects.update(name="The Mayor"),
        "pull quote removed": lambda: story.pull_quotes.all().delete(),
        "update posted": lambda: UpdateFactory(article=story),
        "correction posted": lambda: CorrectionFactory(article=story),
    }
    forgets(story, changes[change])


def test_what_a_story_does_not_show_leaves_its_parts(story):
    other = ArticleFactory()
    kept = stored(story)
    Article.objects.filter(pk=story.pk).update(related_ids=[other.pk])
    Section.objects.filter(pk=other.section_id).update(name="Elsewhere")
    Author.objects.exclude(bylines__article=story).update(name="Someone else")
    assert stored(story) == kept


def test_a_render_that_raced_a_change_is_not_kept(story):
    article = Article.objects.for_page().get(pk=story.pk)
    Author.objects.update(name="Renamed meanwhile")
    parts.store(article, "story_parts", parts.render_story(article))
    assert stored(story)["story_parts"] is None


def test_a_form_opened_before_a_change_does_not_write_old_parts_back(story):
    opened = Article.objects.get(pk=story.pk)  # holds the parts as they were
    Author.objects.update(name="Renamed meanwhile")
    opened.save()
    assert stored(story)["story_parts"] is None


def test_the_page_shows_a_change_made_behind_the_orms_back(client, story):
    Author.objects.update(name="Ana Reporter")
    Section.objects.filter(pk=story.section_id).update(name="City Hall")
    page, listing = shown(client, story)
    assert "Ana Reporter" in page and "City Hall" in page
    assert "Ana Reporter" in listing


def test_parts_from_other_templates_or_settings_are_rendered_again(
    client, story, settings
):
    settings.SITE_NAME = "The Springfield Ledger"
    assert not parts.fresh(stored(story)["story_parts"])
    page, _listing = shown(client, story)
    assert 'content="The Springfield Ledger"' in page
    assert parts.fresh(stored(story)["story_parts"])


def test_the_version_reads_every_module_of_the_apps_in_their_packages_too(settings):
    sources = {str(p.relative_to(settings.BASE_DIR)) for p in parts.code_sources()}
    assert "articles/templatetags/articles.py" in sources
    assert "articles/management/commands/load_demo.py" in sources
    assert "templates/articles/includes/_story_parts.html" in sources
    assert "templates/base.html" in sources
    assert "richtext/sanitize.py" in sources
    packages = [p for p in (settings.BASE_DIR / "articles").iterdir() if p.is_dir()]
    for package in packages:
        for module in package.rglob("*.py"):
            assert str(module.relative_to(settings.BASE_DIR)) in sources
    assert not [name for name in sources if ".venv" in name]


def test_a_teaser_heading_is_h2_or_h3(story):
    story.card_parts = stored(story)["card_parts"]
    parts.with_cards([story])
    assert "<h3" in parts.teaser(story, heading="h3")
    with pytest.raises(ValueError, match="heading"):
        parts.teaser(story, heading='h2 onclick="x"')


def test_lists_read_kept_teasers_in_one_query(client):
    section = SectionFactory()
    for _ in range(12):
        ArticleFactory(section=section, authors=[AuthorFactory(), AuthorFactory()])
    url = section.get_absolute_url()
    client.get(url)
    with CaptureQueriesContext(connection) as warm:
        response = client.get(url)
    assert response.status_code == 200
    stories = [q for q in warm if "articles_article" in q["sql"]]
    assert len(stories) == 1
    assert not [q for q in warm if "articles_byline" in q["sql"]]


def test_a_teaser_render_that_raced_a_change_is_not_kept(story):
    loaded = Article.objects.for_list().get(pk=story.pk)
    Section.objects.filter(pk=story.section_id).update(name="Renamed meanwhile")
    parts.store_cards([(loaded.pk, loaded.parts_generation, parts.render_card(loaded))])
    assert stored(story)["card_parts"] is None


def test_the_front_page_keeps_the_teasers_of_every_story_it_shows(client):
    sections = SectionFactory.create_batch(2)
    for section in sections:
        ArticleFactory.create_batch(4, section=section)
    ArticleFactory(developing=True)
    client.get("/")
    shown = Article.objects.published()
    assert all(parts.fresh(row["card_parts"]) for row in shown.values("card_parts"))
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/").status_code == 200
    assert not [q for q in warm if q["sql"].startswith("UPDATE")]


def test_a_story_deleted_while_its_list_renders_is_left_out():
    kept, gone = ArticleFactory.create_batch(2)
    listed = list(Article.objects.for_cards().filter(pk__in=[kept.pk, gone.pk]))
    gone.delete()
    assert [a.pk for a in parts.with_cards(listed)] == [kept.pk]


def test_a_story_deleted_while_its_page_renders_is_a_404(client, story):
    Article.objects.filter(pk=story.pk).update(story_parts=None)
    read = Article.objects.reader_page(story.slug)  # its parts to render again
    Article.objects.filter(pk=story.pk).delete()
    with pytest.raises(Http404):
        parts.story(read)


# Updates: kept by each worker by what they show (parts.shown_updates) ------------


@pytest.fixture
def live(client):
    parts.shown_updates.forget()
    author = AuthorFactory(name="Ana Reyes", slug="ana-reyes")
    article = ArticleFactory(headline="Storm reaches the coast", developing=True)
    UpdateFactory(article=article, headline="What we know", pinned=True)
    for n in range(3):
        UpdateFactory(article=article, headline=f"Update {n}", author=author)
    return article


def test_each_update_is_made_once_and_shown_from_the_worker_after(
    client, live, monkeypatch
):
    first = client.get(live.get_absolute_url()).content.decode()
    assert len(parts.shown_updates.kept) == 4
    made = []
    real = parts.structured_data.live_blog_update
    monkeypatch.setattr(
        parts.structured_data,
        "live_blog_update",
        lambda update: made.append(update) or real(update),
    )
    again = client.get(live.get_absolute_url()).content.decode()
    assert made == [] and again == first
    assert first.count('<article class="update') == 4 and "Ana Reyes" in first
    assert '"liveBlogUpdate"' in first


def test_a_kept_update_page_is_the_same_as_one_made_afresh(client, live):
    kept = client.get(live.get_absolute_url()).content.decode()
    parts.shown_updates.forget()
    assert client.get(live.get_absolute_url()).content.decode() == kept


def test_an_update_changed_behind_the_orms_back_shows_at_once(client, live):
    client.get(live.get_absolute_url())
    update = live.updates.get(headline="Update 1")
    # .update() moves no updated_at and sends no signal: the key is the content.
    type(update).objects.filter(pk=update.pk).update(body="<p>Roads are closed.</p>")
    Author.objects.filter(slug="ana-reyes").update(name="Ana Reyes Soto")
    page = client.get(live.get_absolute_url()).content.decode()
    assert "Roads are closed." in page and "Crews are on the scene." in page
    assert '"articleBody": "Roads are closed."' in page
    assert "Ana Reyes Soto" in page


def test_the_updates_endpoint_and_archive_show_the_kept_markup(client, live):
    from datetime import timedelta

    from django.urls import reverse

    page = client.get(live.get_absolute_url()).content.decode()
    update = live.updates.get(headline="Update 2")
    html = str(parts.update_html(update))
    assert html in page
    archive = client.get(reverse("articles:updates-archive", args=[live.slug]))
    assert html in archive.content.decode()
    since = (update.published_at - timedelta(seconds=1)).isoformat()
    polled = client.get(reverse("articles:updates", args=[live.slug]), {"since": since})
    assert html in polled.json()["html"]


def test_kept_updates_are_bounded(client, live, monkeypatch):
    from newsroom.memo import KeptByContent

    monkeypatch.setattr(parts, "shown_updates", KeptByContent(2))
    page = client.get(live.get_absolute_url()).content.decode()
    assert len(parts.shown_updates.kept) == 2
    assert page.count('<article class="update') == 4
