"""A real story, entered in a real browser as an editor enters one and read as a
reader reads it: no word runs into the next anywhere a story's text goes, the
publish time set is the one readers are told, and the pull quote sits where the
editor put it."""

import json
import re
from datetime import datetime
from xml.etree import ElementTree

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import (
    AuthorFactory,
    QuoteFactory,
    SectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"
# A word, punctuation, and the next sentence's first word with no space between.
GLUED = re.compile(r"[a-z]{2}[.!?,;:][A-Z][a-z]{2}")

# A wire story as it comes in a text file.
PARAGRAPHS = [
    "The river crested at 27 feet on Thursday morning, a foot below the record.",
    "Evacuation remained voluntary in the Riverside neighborhood.",
    "Residents can check the river gauge online before they travel.",
    "Two shelters stayed open overnight, and both accept pets.",
    "Crews will inspect the levee again on Friday.",
]
LINKED_WORDS = "river gauge"
LINK = "https://example.org/river-gauge"

# Updates as they are pasted from a reporter's notes in a word processor.
UPDATE_WITH_A_LIST = (
    "<p>Roads closed this morning:</p>"
    "<ul><li>Main Street bridge.</li><li>Front Street.</li><li>River Road.</li></ul>"
    "<p>Detours are signposted.</p>"
)
UPDATE_IN_PARAGRAPHS = (
    "<p>The weather service lowered its forecast.</p>"
    "<p>The river is now expected to fall by Saturday.</p>"
    "<p>Shelters will stay open until then.</p>"
)


@pytest.fixture
def new_context(browser):
    """browser.new_context(), closed at the end of the test even when it fails."""
    made = []
    yield lambda **options: made.append(browser.new_context(**options)) or made[-1]
    for context in made:
        context.close()


def paste(page, editable, *, text=None, html=None):
    """Paste into a CKEditor editable, as Ctrl+V with that on the clipboard."""
    editable.click()
    page.evaluate(
        """([selector, text, html]) => {
          const target = document.querySelector(selector);
          const data = new DataTransfer();
          if (text !== null) data.setData("text/plain", text);
          if (html !== null) data.setData("text/html", html);
          target.dispatchEvent(new ClipboardEvent("paste", {
            clipboardData: data, bubbles: true, cancelable: true,
          }));
        }""",
        [editable_selector(editable), text, html],
    )


def editable_selector(editable):
    return editable.evaluate(
        "el => { el.dataset.testEditable = '1'; return '[data-test-editable]'; }"
    )


def choose(page, field, words):
    """Pick `words` in an autocomplete chooser (the admin's select2)."""
    page.locator(f"#{field} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(words)
    option = page.locator(
        ".select2-container--open .select2-results__option", has_text=words
    ).first
    option.wait_for()
    option.click()


def texts_read_by_machines(client, article):
    """Every place a reader, a feed reader or a search engine gets the story's
    words, as (where, text)."""
    page = client.get(article.get_absolute_url()).content.decode()
    found = []
    for block in re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL
    ):
        found.append(("JSON-LD", json.dumps(json.loads(block), ensure_ascii=False)))
    found += [
        ("meta description", m)
        for m in re.findall(
            r'<meta (?:name|property)="[^"]*description" content="([^"]*)"', page
        )
    ]
    feeds = [
        reverse("articles:feed"),
        reverse("articles:feed-atom"),
        reverse("articles:updates-feed", args=[article.slug]),
    ]
    for url in feeds:
        root = ElementTree.fromstring(client.get(url).content)  # noqa: S314
        for element in root.iter():
            if element.text and element.text.strip():
                text = element.text
                if "<" in text:  # HTML content: what a feed reader shows
                    text = " ".join(re.sub(r"<[^>]+>", " ", text).split())
                found.append((f"feed {url}", text))
    search = client.get(reverse("articles:search"), {"q": "river"}).content.decode()
    found += [
        ("search snippet", re.sub(r"</?mark>", "", snippet))
        for snippet in re.findall(
            r'class="result__snippet">(.*?)</p>', search, re.DOTALL
        )
    ]
    return page, found


@pytest.mark.parametrize(
    "between_paragraphs",
    [
        pytest.param("\n\n", id="blank-line-between-paragraphs"),
        # One paragraph per line, as in a wire story's text file: each line is
        # a paragraph of its own (issue 16: CKEditor used to make one paragraph
        # with line breaks of it).
        pytest.param("\n", id="one-paragraph-per-line"),
    ],
)
def test_a_story_entered_as_editors_do_reads_right_everywhere(
    live_server, new_context, between_paragraphs
):
    UserFactory(username="edith", role="Editor", password=PASSWORD)
    section = SectionFactory(name="Environment", slug="environment")
    AuthorFactory(name="Sam Okafor", slug="sam-okafor")
    QuoteFactory(text="Two feet of moving water is enough to float a car.")
    when = timezone.localtime().replace(
        year=2024, month=3, day=10, hour=9, minute=30, second=0, microsecond=0
    )
    when = timezone.make_aware(when.replace(tzinfo=None))

    context = new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_login", "edith")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.goto(live_server.url + "/admin/articles/article/add/")

    page.fill("#id_headline", "The river crests, a foot below the record")
    page.fill("#id_dek", "Evacuation stays voluntary; two shelters are open.")
    body = page.locator(".field-body .ck-editor__editable")
    paste(page, body, text=between_paragraphs.join(PARAGRAPHS))
    # A link in the middle of a sentence, made as editors make one: select the
    # words, press Ctrl+K, type the address.
    body.locator("p", has_text=LINKED_WORDS).first.wait_for()
    page.evaluate(
        """(words) => {
          const editable = document.querySelector("[data-test-editable]");
          const walker = document.createTreeWalker(editable, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const at = walker.currentNode.data.indexOf(words);
            if (at < 0) continue;
            const range = document.createRange();
            range.setStart(walker.currentNode, at);
            range.setEnd(walker.currentNode, at + words.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            return;
          }
        }""",
        LINKED_WORDS,
    )
    page.keyboard.press("Control+k")
    page.get_by_label("Link URL").fill(LINK)
    page.keyboard.press("Enter")
    body.locator(f'a[href="{LINK}"]').wait_for()

    choose(page, "id_section", "Environment")
    choose(page, "id_bylines-0-author", "Sam Okafor")
    page.fill("#id_published_at_0", when.strftime("%Y-%m-%d"))
    page.fill("#id_published_at_1", when.strftime("%H:%M:%S"))
    page.check("#id_developing")
    page.locator("#pull_quotes-group .add-row a").click()
    choose(page, "id_pull_quotes-0-quote", "moving water")
    page.fill("#id_pull_quotes-0-after_paragraph", "2")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    article = Article.objects.get()
    assert article.section == section
    assert article.published_at == when

    for update in (UPDATE_WITH_A_LIST, UPDATE_IN_PARAGRAPHS):
        page.get_by_role("link", name="Post an update").first.click()
        paste(page, page.locator(".field-body .ck-editor__editable"), html=update)
        page.locator(
            ".field-body .ck-editor__editable li, .field-body p"
        ).first.wait_for()
        page.click("input[name=_save]")
        page.wait_for_selector(".messagelist .success")
        if "/update/" in page.url:  # back to the story, if the admin did not go there
            page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")

    page.click("button[name=_workflow][value=publish]")
    page.wait_for_selector(".messagelist .success")
    assert "backdated" in page.locator(".messagelist").inner_text()

    article = Article.objects.get()
    assert article.is_published() is True
    assert article.published_at == when
    assert article.updates.count() == 2

    # The reader's page: paragraphs as pasted, the link inside its sentence, the
    # pull quote after paragraph 2.
    reader = new_context(viewport={"width": 390, "height": 844})
    view = reader.new_page()
    view.goto(live_server.url + article.get_absolute_url())
    body = view.locator(".article__body")
    children = body.evaluate(
        "el => [...el.children].map("
        "c => c.classList.contains('pull-quote') ? 'pull quote' : c.tagName)"
    )
    assert children[:3] == ["P", "P", "pull quote"], children
    assert body.locator(":scope > p").count() == 5
    assert body.locator(f'p a[href="{LINK}"]').inner_text() == LINKED_WORDS
    page_text = view.locator("main").inner_text()

    client = Client()
    html, texts = texts_read_by_machines(client, article)
    texts.append(("page", page_text))
    assert {where for where, _text in texts} >= {
        "JSON-LD",
        "meta description",
        "search snippet",
        "page",
    }
    for where, text in texts:
        assert not GLUED.search(text), (where, GLUED.search(text), text)
    (data,) = [
        json.loads(block)
        for block in re.findall(
            r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL
        )
        if "datePublished" in block
    ]
    assert datetime.fromisoformat(data["datePublished"]) == when
    assert datetime.fromisoformat(data["coverageStartTime"]) == when
    assert data["@type"] == "LiveBlogPosting"
    bodies = [update["articleBody"] for update in data["liveBlogUpdate"]]
    assert any("Front Street." in body and "River Road." in body for body in bodies)
