"""articles.hooks: how another app reaches the story page without articles importing
it. A placement registered there is warned about like a pull quote; a page rendered
for another app's preview carries that app's template and context, never cached."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from articles import hooks
from articles.views import home_preview, story_preview
from tests.factories import ArticleFactory, DraftFactory, UserFactory

pytestmark = pytest.mark.django_db

BODY = "<p>One.</p><p>Two.</p>"


@pytest.fixture
def registry(monkeypatch):
    """The registry as the apps left it, restored after the test."""
    monkeypatch.setattr(hooks, "_body_placements", list(hooks._body_placements))


def test_a_registered_placement_past_the_end_is_named_on_the_staff_preview(registry):
    draft = DraftFactory(body=BODY)
    asked = []

    def sidebars(article):
        asked.append(article.pk)
        return [("Call for tips", 5), ("Newsletter box", 2)]

    hooks.register_body_placements("sidebar", sidebars)
    client = Client()
    client.force_login(UserFactory(role="Editor"))

    response = client.get(draft.get_absolute_url())

    assert asked == [draft.pk]
    warnings = [str(w) for w in response.context["placement_warnings"]]
    assert warnings == [
        "The sidebar “Call for tips” is placed after paragraph 5, but the body has "
        "2: readers see it at the end."
    ]


def test_body_placements_are_in_order_of_registration_then_paragraph(registry):
    hooks._body_placements.clear()
    hooks.register_body_placements("b", lambda article: [("late", 9), ("early", 1)])
    hooks.register_body_placements("a", lambda article: [("only", 4)])

    assert list(hooks.body_placements(None)) == [
        ("b", "early", 1),
        ("b", "late", 9),
        ("a", "only", 4),
    ]


def preview_request(rf):
    request = rf.get("/admin/donations/appeal/1/preview/")
    request.user = AnonymousUser()
    return request


def test_a_story_rendered_for_another_app_has_its_context_and_is_never_cached(rf):
    story = ArticleFactory(headline="Bridge reopens", body=BODY)

    response = story_preview(
        preview_request(rf),
        story,
        "articles/article_detail.html",
        {"from_the_other_app": "yes"},
    ).render()

    assert response.context_data["from_the_other_app"] == "yes"
    assert response.context_data["article"] == story
    assert "Bridge reopens" in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


def test_the_front_page_rendered_for_another_app_is_never_cached(rf):
    story = ArticleFactory(headline="Council votes")

    response = home_preview(
        preview_request(rf), "articles/home.html", {"from_the_other_app": "yes"}
    ).render()

    assert response.context_data["from_the_other_app"] == "yes"
    assert response.context_data["lead"] == story
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"
