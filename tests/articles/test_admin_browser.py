"""The admin in a real browser: a warning before unsaved work is lost (typed in a box
or in CKEditor), and a live update posted from its story, back to the story."""

import pytest
from django.test import Client

from articles.models import Update
from tests.factories import ArticleFactory, AuthorFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def signed_in(page, live_server, user):
    """The browser carries a session made on the server, as after signing in."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": "sessionid",
                "value": client.cookies["sessionid"].value,
                "url": live_server.url,
            }
        ]
    )


def leave_by_the_breadcrumbs(page):
    """Click "Articles" in the breadcrumbs; returns the kinds of dialog the page
    raised on the way out (each is dismissed: the editor stays)."""
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.locator(".breadcrumbs a").nth(2).click()
    page.wait_for_timeout(500)
    page.remove_listener("dialog", dismiss)
    return dialogs


@pytest.fixture
def story_form(page, live_server):
    article = ArticleFactory(headline="River rises", body="<p>The river rose.</p>")
    signed_in(page, live_server, UserFactory(role="Editor"))
    url = f"{live_server.url}/admin/articles/article/{article.pk}/change/"
    page.goto(url)
    page.locator(".field-body .ck-editor__editable").wait_for()
    return page, url


def test_leaving_an_untouched_form_asks_nothing(story_form):
    page, url = story_form

    assert leave_by_the_breadcrumbs(page) == []
    assert page.url.endswith("/admin/articles/article/")


def test_leaving_after_typing_a_headline_asks_first(story_form):
    page, url = story_form
    page.locator("#id_headline").click()
    page.keyboard.press("End")
    page.keyboard.type(" tonight")

    assert leave_by_the_breadcrumbs(page) == ["beforeunload"]
    assert page.url == url  # dismissed: the editor and the words are still there
    assert page.locator("#id_headline").input_value() == "River rises tonight"


def test_leaving_after_typing_in_the_body_editor_asks_first(story_form):
    page, url = story_form
    body = page.locator(".field-body .ck-editor__editable")
    body.click()
    page.keyboard.press("End")
    page.keyboard.type(" Evacuation is voluntary.")

    assert leave_by_the_breadcrumbs(page) == ["beforeunload"]
    assert page.url == url


def test_saving_leaves_without_a_question(story_form):
    page, url = story_form
    page.locator("#id_dek").fill("Crews worked through the night.")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")

    assert dialogs == []


def test_headline_box_counts_its_characters(story_form):
    page, url = story_form

    page.locator("#id_headline").fill("Flood")

    assert page.locator("#id_headline_count").text_content() == ("5 of 200 characters")


def test_an_update_posted_from_its_story_comes_back_to_it(page, live_server):
    reporter = AuthorFactory(name="Sam Okafor")
    story = ArticleFactory(headline="River rises", developing=True, authors=[reporter])
    signed_in(page, live_server, UserFactory(role="Editor"))
    page.goto(f"{live_server.url}/admin/articles/article/{story.pk}/change/")

    page.locator("#updates-group + .updates-inline-actions a.button").click()
    # The story is chosen and the byline fills in the author.
    page.wait_for_selector("#update_form")
    assert "River rises" in page.locator(".field-article").inner_text()
    assert "Sam Okafor" in page.locator(".field-author").inner_text()
    body = page.locator(".field-body .ck-editor__editable")
    body.click()
    page.keyboard.type("The bridge on Front Street is closed.")
    page.click("input[name=_save]")

    page.wait_for_selector(".messagelist .success")
    assert page.url.endswith(
        f"/admin/articles/article/{story.pk}/change/#updates-group"
    )
    update = Update.objects.get(article=story)
    assert "Front Street" in update.body
    assert update.author == reporter
    assert update.is_published()
    assert "The bridge on Front Street is closed." in (
        page.locator("#updates-group").inner_text()
    )
