"""An editor inserts a photo in CKEditor 5, in a real browser: the upload answers the
stored file, the editor writes it at its own size, and the story's page gives it the
srcset of the renditions the worker made (here tasks run at once)."""

import re
from io import BytesIO

import pytest
from PIL import Image as PILImage

from articles.models import Article
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


def test_a_photo_inserted_in_the_editor_reaches_readers_in_every_width(
    live_server, page, tmp_path
):
    article = ArticleFactory(body="<p>The river rose overnight.</p>")
    UserFactory(username="edith", role="Editor", password=PASSWORD)
    photo = tmp_path / "river.jpg"
    buffer = BytesIO()
    PILImage.new("RGB", (1700, 1000), "teal").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_login", "edith")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = page.locator(".field-body .ck-editor__editable")
    body.click()
    page.keyboard.press("End")
    page.locator(".field-body .ck-file-dialog-button input[type=file]").set_input_files(
        photo
    )
    inserted = body.locator("img[src*='/images/editor/']")
    inserted.wait_for(timeout=15_000)
    assert re.search(
        r"/images/editor/[0-9a-f]{32}\.jpg$", inserted.get_attribute("src")
    )
    assert inserted.get_attribute("srcset") is None

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    stored = Article.objects.get(pk=article.pk).body
    src = inserted.get_attribute("src").removeprefix(live_server.url)
    assert f'src="{src}"' in stored
    assert 'width="1700" height="1000"' in stored

    page.goto(live_server.url + article.get_absolute_url())
    shown = page.locator(f"img[src='{src}']")
    assert shown.get_attribute("width") == "1700"
    srcset = shown.get_attribute("srcset")
    for width in (480, 800, 1200, 1600):
        assert f"/{width}.jpg {width}w" in srcset


def sign_in_and_open(live_server, page, article):
    UserFactory(username="edith", role="Editor", password=PASSWORD)
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_login", "edith")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = page.locator(".field-body .ck-editor__editable")
    body.wait_for()
    return body


WIRE_COPY = (
    "CAIRO, Ill. (AP) — The river rose overnight.\n"
    "Levees held along the lower reach.\n"
    "\n"
    "Officials urged residents to stay away from the banks.\n"
    "Schools will reopen on Monday."
)


def test_plain_text_pasted_from_a_file_keeps_one_paragraph_per_line(live_server, page):
    article = ArticleFactory(body="")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    body = sign_in_and_open(live_server, page, article)
    body.click()
    # A real paste: the browser's clipboard holds the text as a text editor puts
    # it there (text/plain only), and Control+V pastes it.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", WIRE_COPY)
    page.keyboard.press("Control+V")
    paragraphs = body.locator("p")
    paragraphs.nth(3).wait_for()
    assert paragraphs.all_inner_texts() == [
        "CAIRO, Ill. (AP) — The river rose overnight.",
        "Levees held along the lower reach.",
        "Officials urged residents to stay away from the banks.",
        "Schools will reopen on Monday.",
    ]
    assert body.locator("br").count() == 0

    # Typed straight quotes and apostrophes become typographic ones.
    page.keyboard.press("Enter")
    page.keyboard.type('The mayor said "we\'re ready" -- and left.')
    last = paragraphs.last
    assert last.inner_text() == "The mayor said “we’re ready” – and left."

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    stored = Article.objects.get(pk=article.pk).body
    assert stored.count("<p>") == 5
    assert "<p>Levees held along the lower reach.</p>" in stored
    assert "“we’re ready”" in stored
    assert errors == []


def test_a_single_pasted_line_joins_the_paragraph_it_lands_in(live_server, page):
    article = ArticleFactory(body="<p>The river rose.</p>")
    body = sign_in_and_open(live_server, page, article)
    body.locator("p").click()
    page.keyboard.press("End")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("text => navigator.clipboard.writeText(text)", " Then it fell.\n")
    page.keyboard.press("Control+V")
    page.wait_for_function(
        "() => document.querySelector('.ck-editor__editable').innerText"
        ".includes('fell')"
    )
    assert body.locator("p").all_inner_texts() == ["The river rose. Then it fell."]


KEPT_MARKUP = (
    '<h2 id="user-content-contents">Contents</h2>'
    "<p>The vote was <del>7-2</del> <ins>6-3</ins>."
    '<a href="#user-content-note-1"><sup id="user-content-ref-1">1</sup></a></p>'
    "<dl><dt><p>Quorum</p></dt><dd><p>Five members present.</p></dd></dl>"
    "<h5>Method</h5><h6>Sources</h6>"
    '<p id="user-content-note-1">1. Minutes of the meeting.</p>'
)


def test_markup_the_sanitizer_keeps_survives_the_editor(live_server, page):
    """General HTML Support keeps what the allowlist keeps: opening a story and
    saving it loses none of it (CKEditor writes a definition's text as a
    paragraph, as here)."""
    article = ArticleFactory(body=KEPT_MARKUP)
    body = sign_in_and_open(live_server, page, article)
    assert body.locator("del").inner_text() == "7-2"
    assert body.locator("dl dd").inner_text() == "Five members present."
    body.locator("h6").click()
    page.keyboard.press("End")
    page.keyboard.type(" and notes")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    stored = Article.objects.get(pk=article.pk).body
    assert stored == KEPT_MARKUP.replace("Sources", "Sources and notes")
    assert not page.locator(".messagelist .warning").count()


def test_a_correction_added_on_the_story_form_gets_its_own_editor(live_server, page):
    article = ArticleFactory(body="<p>The river rose.</p>")
    sign_in_and_open(live_server, page, article)
    assert page.locator(".ck-editor").count() == 1
    page.locator("#corrections-group .add-row a").click()
    new_row = page.locator("#corrections-group .inline-related:not(.empty-form)").last
    editable = new_row.locator(".ck-editor__editable")
    editable.click()
    page.keyboard.type("An earlier version gave the wrong crest.")
    new_row.locator("select[name$='-kind']").select_option("correction")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    (correction,) = Article.objects.get(pk=article.pk).corrections.all()
    assert correction.body == "<p>An earlier version gave the wrong crest.</p>"
    # The form's hidden template row never became an editor.
    assert page.locator("#corrections-empty .ck-editor").count() == 0
