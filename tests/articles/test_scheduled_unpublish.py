"""Scheduled unpublish: a story with an unpublish time leaves every public place at
that time, through the one definition of published, with no job; the page cache
moves on at that moment as it does for scheduled publishing."""

import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from articles import workflow
from articles.models import Article, Correction, Status, Update, WorkflowError
from articles.related import related_articles
from tests.articles.test_admin import admin_form_data, change_url
from tests.factories import (
    ArticleFactory,
    CorrectionFactory,
    DraftFactory,
    SectionFactory,
    UpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def ahead(**kwargs):
    return timezone.now() + timedelta(**kwargs)


@pytest.fixture
def stories():
    section = SectionFactory(name="City", slug="city")
    gone = ArticleFactory(
        headline="Limited-time listing",
        section=section,
        published_at=ago(days=2),
        unpublish_at=ago(minutes=1),
        developing=True,
    )
    stays = ArticleFactory(
        headline="Still up until tomorrow",
        section=section,
        published_at=ago(days=1),
        unpublish_at=ahead(days=1),
    )
    return gone, stays


def test_an_expired_story_is_not_published_by_the_one_definition(stories):
    gone, stays = stories
    assert list(Article.objects.published()) == [stays]
    assert gone.is_published() is False
    assert gone.is_expired() is True
    assert gone.state_label == "Expired"
    assert stays.is_published() is True
    assert stays.is_expired() is False
    # Its parts go with it.
    UpdateFactory(article=gone)
    CorrectionFactory(article=gone)
    assert not Update.objects.published().exists()
    assert not Correction.objects.published().exists()
    # And so does every list written in SQL (front page, related stories).
    page = Article.objects.front_page(latest=10, developing=10, per_section=5)
    assert [a.pk for a in page["latest"]] == [stays.pk]
    assert page["developing"] == []
    assert Article.objects.reader_page(gone.slug) is None
    assert Article.objects.reader_page(stays.slug).pk == stays.pk
    stays.related_ids = [gone.pk]
    assert related_articles(stays) == []


def test_readers_find_an_expired_story_nowhere(client, stories):
    gone, stays = stories
    assert client.get(gone.get_absolute_url()).status_code == 404
    assert client.get(stays.get_absolute_url()).status_code == 200
    for url in [
        reverse("articles:home"),
        reverse("articles:latest"),
        reverse("articles:section", args=["city"]),
        reverse("articles:feed"),
        reverse("articles:sitemap-index"),
        reverse("articles:news-sitemap"),
        reverse("articles:search") + "?q=listing",
    ]:
        page = client.get(url).content.decode()
        assert "Limited-time listing" not in page, url
        assert gone.slug not in page, url
    assert (
        "Still up until tomorrow"
        in client.get(reverse("articles:home")).content.decode()
    )
    assert (
        client.get(reverse("articles:updates-feed", args=[gone.slug])).status_code
        == 404
    )


def test_editors_still_preview_an_expired_story(client, stories):
    gone, _ = stories
    client.force_login(UserFactory(role="Editor"))
    response = client.get(gone.get_absolute_url())
    assert response.status_code == 200
    assert "Limited-time listing" in response.content.decode()


def test_the_unpublish_time_comes_after_the_publish_time():
    article = ArticleFactory.build(
        published_at=ago(hours=1), unpublish_at=ago(hours=2), section=SectionFactory()
    )
    with pytest.raises(ValidationError) as error:
        article.clean()
    assert "unpublish_at" in error.value.message_dict


def test_publishing_with_a_past_unpublish_time_is_refused():
    draft = DraftFactory(unpublish_at=ago(minutes=5))
    with pytest.raises(WorkflowError) as error:
        workflow.publish(draft, by=UserFactory(role="Editor"))
    assert "unpublish time has passed" in " ".join(map(str, error.value.problems))
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_an_editor_sets_the_unpublish_time_and_a_writer_cannot(client):
    editor = UserFactory(role="Editor")
    article = ArticleFactory()
    client.force_login(editor)
    when = timezone.localtime(ahead(days=3)).replace(microsecond=0, second=0)
    form_page = client.get(change_url(article))
    response = client.post(
        change_url(article),
        admin_form_data(
            form_page,
            unpublish_at_0=when.strftime("%Y-%m-%d"),
            unpublish_at_1=when.strftime("%H:%M:%S"),
            _continue="1",
        ),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.unpublish_at == when
    page = client.get(change_url(article)).content.decode()
    assert "Readers stop seeing it at" in page

    writer = UserFactory(role="Writer")
    draft = DraftFactory(created_by=writer)
    client.force_login(writer)
    form = client.get(change_url(draft)).context["adminform"].form
    assert "unpublish_at" not in form.fields


def test_an_expired_story_says_so_on_its_change_form(client, stories):
    gone, _ = stories
    client.force_login(UserFactory(role="Editor"))
    page = client.get(change_url(gone)).content.decode()
    assert "status-badge--unpublished" in page
    assert "Readers stopped seeing it at" in page


def test_the_cached_page_moves_on_at_the_unpublish_time_without_a_job(client, settings):
    settings.PAGE_CACHE_SECONDS = 600
    story = ArticleFactory(headline="Gone in a moment", unpublish_at=ahead(seconds=1.5))
    url = story.get_absolute_url()
    assert "Gone in a moment" in client.get("/").content.decode()
    assert client.get("/")["X-Cache"] == "hit"
    assert client.get(url).status_code == 200
    assert client.get(url)["X-Cache"] == "hit"
    # Wall-clock time passes; nothing runs in between.
    time.sleep(1.6)
    assert "Gone in a moment" not in client.get("/").content.decode()
    assert client.get(url).status_code == 404
