"""One plain-text rule for rich text (richtext.plain.plain_text), and every place
that shows rich text as text: structured data, feeds, titles of updates without a
headline, word counts, meta descriptions, the admin and the search document."""

import json
import re
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.urls import reverse

from articles import search, structured_data
from articles.models import Article
from richtext.plain import plain_text
from tests.factories import (
    ArticleFactory,
    CorrectionFactory,
    UpdateFactory,
    UserFactory,
)

# A word, then punctuation, then the next sentence's word with no space: what a
# rule that drops block boundaries makes of "<p>…Thursday.</p><p>Evacuation…".
GLUED = re.compile(r"[a-z]{2}[.!?,;:][A-Z][a-z]{2}")

# (HTML, the plain text it reads as). Shared by the Python rule and the search
# document, which is built from the same text.
CASES = [
    # Blocks never run together.
    (
        "<p>The river will crest at 27 feet on Thursday.</p>"
        "<p>Evacuation is voluntary.</p>",
        "The river will crest at 27 feet on Thursday.\nEvacuation is voluntary.",
    ),
    ("<h2>Heading</h2><p>Text after it.</p>", "Heading\nText after it."),
    ("<blockquote><p>Said so.</p></blockquote>Then.", "Said so.\nThen."),
    # <br> is a break, written in any of its forms.
    (
        "<p>Line one<br>Line two<br/>Line three<br />end</p>",
        "Line one\nLine two\nLine three\nend",
    ),
    # Inline tags add nothing, not even in the middle of a word.
    (
        "<p>foo<em>bar</em> and <strong>b</strong>old <a href='/x'>link</a>.</p>",
        "foobar and bold link.",
    ),
    # Nested lists: each item its own line, the outer item's text before the inner.
    (
        "<ul><li>One<ul><li>One a</li><li>One b</li></ul></li><li>Two</li></ul>"
        "<ol><li>First</li></ol>",
        "One\nOne a\nOne b\nTwo\nFirst",
    ),
    # Tables: caption and every cell apart.
    (
        "<table><caption>Votes</caption><thead><tr><th>Name</th><th>Vote</th></tr>"
        "</thead><tbody><tr><td>Ruiz</td><td>Yes</td></tr></tbody></table>",
        "Votes\nName\nVote\nRuiz\nYes",
    ),
    # Figures: the caption is text, the image is not.
    (
        '<p>Before.</p><figure class="image"><img src="/m/a.jpg" alt="Alt text">'
        "<figcaption>The caption.</figcaption></figure><p>After.</p>",
        "Before.\nThe caption.\nAfter.",
    ),
    # Entities are decoded; whitespace (and &nbsp;) collapsed.
    (
        "<p>Fish &amp; chips &lt;3 caf&eacute; &#8220;q&#x201D;&nbsp;&nbsp;end</p>",
        "Fish & chips <3 café “q” end",
    ),
    ("<p>  spaced\n\n   out\t text  </p>", "spaced out text"),
    # Not text at all.
    ("<p>a</p><!-- note --><script>var x = '<p>b</p>';</script><p>c</p>", "a\nc"),
    ("", ""),
]


@pytest.mark.parametrize(("html", "text"), CASES)
def test_plain_text_rule(html, text):
    assert plain_text(html) == text


def test_plain_text_on_one_line():
    assert plain_text("<p>One.</p><ul><li>Two</li></ul>", " ") == "One. Two"


def test_glued_pattern_finds_what_the_old_rule_made():
    # The check other tests rely on can fail: strip_tags glued these.
    from django.utils.html import strip_tags

    html = "<p>on Thursday.</p><p>Evacuation is voluntary.</p>"
    assert GLUED.search(strip_tags(html))
    assert not GLUED.search(plain_text(html))


# Where the rule is used ------------------------------------------------------------

BODY = (
    "<p>The river will crest at 27 feet on Thursday.</p>"
    "<p>Evacuation is voluntary.</p><ul><li>Shelters open.</li><li>Roads close."
    "</li></ul>"
)


@pytest.mark.django_db
def test_structured_data_has_no_glued_words():
    article = ArticleFactory(body=BODY, developing=True)
    UpdateFactory(article=article, headline="", body=BODY)
    CorrectionFactory(
        article=article,
        body="<p>It ran on March 10, 2022.</p><p>It is republished here.</p>",
    )
    article = Article.objects.for_page().get(pk=article.pk)
    data = structured_data.news_article(article)
    (update,) = data["liveBlogUpdate"]
    assert update["articleBody"] == plain_text(BODY)
    # Its first twelve words.
    assert update["headline"] == (
        "The river will crest at 27 feet on Thursday. Evacuation is voluntary.…"
    )
    assert data["correction"][0]["text"] == (
        "It ran on March 10, 2022.\nIt is republished here."
    )
    # Every word is counted, the last of each paragraph too.
    # The river will crest at 27 feet on Thursday. / Evacuation is voluntary. /
    # Shelters open. / Roads close.
    assert data["wordCount"] == 9 + 3 + 2 + 2
    assert not GLUED.search(json.dumps(data))


@pytest.mark.django_db
def test_an_update_without_headline_is_titled_by_its_first_words(client):
    article = ArticleFactory(developing=True)
    update = UpdateFactory(
        article=article,
        headline="",
        body="<p>The talks in Turkey are over.</p><p>They lasted four hours.</p>",
    )
    assert str(update) == "The talks in Turkey are over. They lasted four hours."
    feed = client.get(reverse("articles:updates-feed", args=[article.slug]))
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    (entry,) = ElementTree.fromstring(feed.content).findall("atom:entry", ns)
    assert entry.findtext("atom:title", namespaces=ns) == str(update)
    # And in the admin's list of updates.
    client.force_login(UserFactory(is_superuser=True))
    page = client.get(reverse("admin:articles_update_changelist")).content.decode()
    assert "The talks in Turkey are over. They lasted four hours." in page


@pytest.mark.django_db
def test_meta_description_falls_back_to_the_body_words(client):
    article = ArticleFactory(dek="", seo_description="", body=BODY * 3)
    page = client.get(article.get_absolute_url()).content.decode()
    (description,) = re.findall(r'<meta name="description" content="([^"]*)"', page)
    assert description.startswith("The river will crest at 27 feet on Thursday. Evac")
    assert len(description) <= 160
    assert not GLUED.search(description)
    article.dek = "The dek."
    assert article.description() == "The dek."


# The search document ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("html", "text"), CASES)
def test_search_document_is_built_from_the_same_text(html, text):
    article = ArticleFactory(headline="H", dek="", body=html)
    article.refresh_from_db()
    assert article.body_text == text
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector = (setweight(to_tsvector(%s::regconfig, 'H'), 'A')"
            " || setweight(to_tsvector(%s::regconfig, ''), 'B')"
            " || setweight(to_tsvector(%s::regconfig, %s), 'C'))"
            " FROM articles_article WHERE id = %s",
            [search.search_config()] * 3 + [text, article.pk],
        )
        assert cursor.fetchone() == (True,)


@pytest.mark.django_db
def test_a_word_split_by_an_inline_tag_is_found_whole(client):
    ArticleFactory(body="<p>The <em>river</em>bank and the water<b>front</b>.</p>")
    response = client.get(reverse("articles:search"), {"q": "waterfront"})
    assert len(response.context["results"]) == 1


@pytest.mark.django_db
def test_search_snippet_has_no_glued_words(client):
    ArticleFactory(
        headline="Flood",
        dek="",
        body="<p>The library will close on Thursday.</p><p>Evacuation is voluntary."
        "</p><p>The library reopens Monday.</p>",
    )
    page = client.get(reverse("articles:search"), {"q": "library"}).content.decode()
    snippet = re.search(r'class="result__snippet">(.*?)</p>', page, re.DOTALL)
    assert snippet, page
    text = re.sub(r"</?mark>", "", snippet.group(1))
    assert "Thursday. Evacuation" in text
    assert not GLUED.search(text)


@pytest.mark.django_db
def test_saving_only_the_body_keeps_its_text_current():
    article = ArticleFactory(body="<p>Old words.</p>")
    article.body = "<p>New</p><p>Words</p>"
    article.save(update_fields=["body"])
    article.refresh_from_db()
    assert article.body_text == "New\nWords"
