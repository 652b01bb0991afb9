"""A reader on a developing story sees an update posted in the admin arrive, in a
real browser, without losing their place."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tests.factories import ArticleFactory, UpdateFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


def test_an_update_posted_in_the_admin_appears_on_an_open_page(live_server, browser):
    article = ArticleFactory(developing=True, headline="River floods the city")
    for minutes in range(1, 16):
        UpdateFactory(
            article=article,
            headline=f"Earlier update {minutes}",
            body="<p>" + "Details of what happened. " * 40 + "</p>",
            published_at=timezone.now() - timedelta(minutes=minutes),
        )
    UserFactory(username="edith", role="Editor", password=PASSWORD)

    reader = browser.new_context(viewport={"width": 1000, "height": 700})
    reader.add_init_script("window.newsroomPollSeconds = 1;")
    reader_page = reader.new_page()
    reader_page.goto(live_server.url + article.get_absolute_url())
    assert reader_page.locator(".update").count() == 15

    # The reader scrolls down into the updates and keeps reading one of them.
    sixth = reader_page.locator("#updates .live-updates__list .update").nth(5)
    reading = reader_page.locator("#" + sixth.get_attribute("id"))
    reader_page.evaluate(
        "y => window.scrollTo(0, y)", reading.bounding_box()["y"] - 150
    )
    top_before = reading.bounding_box()["y"]
    assert 100 < top_before < 200

    # An editor posts an update through the admin, in another browser.
    editor = browser.new_context()
    admin = editor.new_page()
    admin.goto(live_server.url + "/admin/login/")
    admin.fill("#id_login", "edith")
    admin.fill("#id_password", PASSWORD)
    admin.press("#id_password", "Enter")
    admin.goto(f"{live_server.url}/admin/articles/update/add/?article={article.pk}")
    admin.fill("#id_headline", "Levee holds")
    admin.click(".ck-editor__editable")
    admin.keyboard.type("Engineers say the levee is holding.")
    admin.click("input[name=_save]")
    admin.wait_for_selector(".messagelist .success")

    # The endpoint may be cached for 15 seconds (by the browser here, by a CDN in
    # production), so the news can take that long to arrive.
    notice = reader_page.locator(".live-updates__more")
    notice.wait_for(timeout=25_000)
    assert notice.inner_text() == "1 new update"
    # Nothing moved while the notice appeared.
    assert abs(reading.bounding_box()["y"] - top_before) < 2

    notice.click()
    first = reader_page.locator("#updates .live-updates__list > li").first
    assert "Levee holds" in first.inner_text()
    assert "Engineers say the levee is holding." in first.inner_text()
    assert reader_page.locator(".update").count() == 16
    # The update the reader was reading stays where it was on screen.
    assert abs(reading.bounding_box()["y"] - top_before) < 2
    assert reader_page.locator(".live-updates__more").count() == 0

    editor.close()
    reader.close()


def test_relative_times_and_a_complete_page_without_javascript(live_server, browser):
    article = ArticleFactory(developing=True)
    UpdateFactory(
        article=article,
        headline="Shelter opens",
        published_at=timezone.now() - timedelta(minutes=12),
    )
    with_js = browser.new_context()
    page = with_js.new_page()
    page.goto(live_server.url + article.get_absolute_url())
    assert page.locator(".update time").first.inner_text() == "12 minutes ago"
    with_js.close()

    without_js = browser.new_context(java_script_enabled=False)
    page = without_js.new_page()
    page.goto(live_server.url + article.get_absolute_url())
    assert "Shelter opens" in page.locator("#updates").inner_text()
    assert "ago" not in page.locator(".update time").first.inner_text()
    without_js.close()


def test_new_updates_are_announced_in_view_and_the_banner_moves_on(
    live_server, browser
):
    paragraphs = [f"<p>{f'Paragraph {n} of the story. ' * 30}</p>" for n in range(8)]
    article = ArticleFactory(developing=True, body="".join(paragraphs))
    for minutes in range(20, 26):
        UpdateFactory(
            article=article,
            body="<p>" + "What happened then. " * 30 + "</p>",
            published_at=timezone.now() - timedelta(minutes=minutes),
        )
    reader = browser.new_context(viewport={"width": 1000, "height": 700})
    reader.add_init_script("window.newsroomPollSeconds = 1;")
    page = reader.new_page()
    page.goto(live_server.url + article.get_absolute_url())
    banner_time = page.locator(".live-banner__latest time")
    assert banner_time.inner_text() == "20 minutes ago"

    # The reader has read past the updates, into the story.
    paragraph = page.locator(".article__body p").nth(4)
    page.evaluate("y => window.scrollTo(0, y)", paragraph.bounding_box()["y"] - 150)
    top_before = paragraph.bounding_box()["y"]
    assert page.locator("#updates").bounding_box()["y"] < 0

    update = UpdateFactory(
        article=article, headline="Levee holds", published_at=timezone.now()
    )
    notice = page.locator(".live-updates__notice .live-updates__more")
    notice.wait_for(timeout=25_000)
    # Announced where the reader is: on screen, in a live region.
    box = notice.bounding_box()
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= 700
    assert notice.is_visible()
    assert page.locator(".live-updates__notice").get_attribute("aria-live") == "polite"
    assert abs(paragraph.bounding_box()["y"] - top_before) < 2
    # The banner's latest update is the new one.
    shown = datetime.fromisoformat(banner_time.get_attribute("datetime"))
    assert shown == update.published_at
    assert banner_time.inner_text() == "now"
    assert page.locator(".live-banner__latest a").get_attribute("href") == (
        f"#update-{update.pk}"
    )

    notice.click()
    assert page.locator(".update").count() == 7
    assert abs(paragraph.bounding_box()["y"] - top_before) < 2
    # The banner's link leads to the update it names.
    page.locator(".live-banner__latest a").click()
    assert page.locator(f"#update-{update.pk}").is_visible()
    reader.close()


def test_the_banner_of_a_story_without_updates_shows_the_first_to_arrive(
    live_server, browser
):
    article = ArticleFactory(developing=True)
    reader = browser.new_context()
    reader.add_init_script("window.newsroomPollSeconds = 1;")
    page = reader.new_page()
    page.goto(live_server.url + article.get_absolute_url())
    latest = page.locator(".live-banner__latest")
    assert latest.is_hidden()
    update = UpdateFactory(article=article, published_at=timezone.now())
    page.locator(".live-updates__more").wait_for(timeout=25_000)
    assert latest.is_visible()
    assert latest.inner_text() == "Latest update: now"
    # The link inserts the waiting update, then goes to it.
    latest.locator("a").click()
    assert page.locator(f"#update-{update.pk}").is_visible()
    assert page.locator(".live-updates__more").count() == 0
    reader.close()
