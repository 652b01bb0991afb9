"""Stories not public yet are private to the people working on them: their
authors, editors and site admins see them at their address (a preview); every other
staff member, like every reader, gets a 404, at the address and through the
admin's "View on site" (/admin/r/<content type>/<id>/)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Status
from articles.views import preview_link_for
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    PullQuoteFactory,
    QuoteFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def not_public(state):
    """A story in `state` that readers cannot see, by someone else."""
    if state == "scheduled":
        return ArticleFactory(published_at=timezone.now() + timedelta(days=1))
    if state == "embargoed draft":
        return DraftFactory(published_at=timezone.now() + timedelta(days=1))
    return DraftFactory(status=state)


STATES = [
    Status.DRAFT,
    Status.IN_REVIEW,
    Status.UNPUBLISHED,
    "scheduled",
    "embargoed draft",
]


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def view_on_site(article):
    content_type = ContentType.objects.get_for_model(Article)
    return reverse("admin:view_on_site", args=[content_type.pk, article.pk])


def assert_private_preview(response):
    assert response.status_code == 200
    assert '<div class="preview-banner" role="status">' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ["Writer", "Fundraising"])
def test_staff_get_a_404_on_a_story_not_theirs_that_is_not_public(state, role):
    story = not_public(state)
    client = client_for(UserFactory(role=role))

    assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get(view_on_site(story)).status_code == 404


@pytest.mark.parametrize("state", STATES)
def test_a_writer_previews_the_stories_they_sign(state):
    writer = UserFactory(role="Writer")
    story = not_public(state)
    story.bylines.create(author=AuthorFactory(user=writer), position=1)
    client = client_for(writer)

    assert_private_preview(client.get(story.get_absolute_url()))
    on_site = client.get(view_on_site(story))
    assert on_site.status_code == 302
    assert on_site["Location"].endswith(story.get_absolute_url())


def test_a_writer_previews_the_drafts_they_created():
    writer = UserFactory(role="Writer")
    story = DraftFactory(created_by=writer)

    assert_private_preview(client_for(writer).get(story.get_absolute_url()))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ["Editor", "Site admin"])
def test_editors_and_site_admins_preview_every_story(state, role):
    story = not_public(state)

    assert_private_preview(
        client_for(UserFactory(role=role)).get(story.get_absolute_url())
    )


def test_a_superuser_previews_every_story():
    story = not_public(Status.IN_REVIEW)
    admin = UserFactory(is_superuser=True)

    assert_private_preview(client_for(admin).get(story.get_absolute_url()))


def test_a_user_who_is_not_staff_previews_nothing_even_with_permissions():
    former = UserFactory(role="Editor", is_staff=False)
    story = not_public(Status.DRAFT)

    assert client_for(former).get(story.get_absolute_url()).status_code == 404


def test_a_deactivated_editor_previews_nothing():
    editor = UserFactory(role="Editor")
    client = client_for(editor)
    story = not_public(Status.DRAFT)
    editor.is_active = False
    editor.save()

    assert client.get(story.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("role", ["Writer", "Fundraising"])
def test_staff_read_published_stories_like_readers(role):
    story = ArticleFactory(headline="Out for everyone")
    response = client_for(UserFactory(role=role)).get(story.get_absolute_url())

    assert response.status_code == 200
    assert "Out for everyone" in response.content.decode()
    assert "preview-banner" not in response.content.decode()


def test_an_old_slug_of_a_draft_does_not_lead_to_it():
    story = not_public(Status.UNPUBLISHED)
    story.old_slugs.create(slug="the-old-address")
    path = story.get_absolute_url().replace(story.slug, "the-old-address")
    client = client_for(UserFactory(role="Fundraising"))

    assert client.get(path).status_code == 404


def test_a_signed_preview_link_still_shows_the_draft_to_an_outsider():
    story = not_public(Status.IN_REVIEW)

    response = Client().get(preview_link_for(story))

    assert_private_preview(response)


def test_a_signed_preview_link_works_for_staff_who_may_not_preview_it():
    story = not_public(Status.DRAFT)

    response = client_for(UserFactory(role="Fundraising")).get(preview_link_for(story))

    assert response.status_code == 200


def test_view_on_site_answers_404_for_junk_and_unknown_objects():
    client = client_for(UserFactory(role="Editor"))
    content_type = ContentType.objects.get_for_model(Article)

    for object_id in ["abc", "9" * 20, "999999"]:
        path = f"/admin/r/{content_type.pk}/{object_id}/"
        assert client.get(path).status_code == 404, object_id
    assert client.get("/admin/r/999999/1/").status_code == 404


def test_quotes_not_public_yet_are_previewed_by_those_who_edit_quotes_only():
    quote = QuoteFactory(text="Not out yet.")
    PullQuoteFactory(quote=quote, article=DraftFactory())
    urls = [
        quote.get_absolute_url(),
        quote.speaker.get_absolute_url(),
        quote.get_share_image_url(),
    ]

    for role in ["Writer", "Fundraising"]:
        client = client_for(UserFactory(role=role))
        assert [client.get(url).status_code for url in urls] == [404] * 3, role
    editor = client_for(UserFactory(role="Editor"))
    assert [editor.get(url).status_code for url in urls] == [200] * 3
