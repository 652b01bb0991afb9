import re
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe

from richtext.fields import RichTextField
from richtext.paragraphs import insert_after_paragraphs, paragraph_ends
from richtext.removed import removed_markup
from richtext.sanitize import (
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    NEVER_ALLOWED_TAGS,
    sanitize,
)

HOSTILE = [
    pytest.param(
        "<script>alert(1)</script><p>ok</p>", "<p>ok</p>", id="script-and-its-text"
    ),
    pytest.param("<img src=x onerror=alert(1)>", '<img src="x">', id="onerror"),
    pytest.param('<p onclick="steal()">Hi</p>', "<p>Hi</p>", id="onclick"),
    pytest.param('<a href="javascript:alert(1)">x</a>', "<a>x</a>", id="javascript"),
    pytest.param('<a href="JaVaScRiPt:alert(1)">x</a>', "<a>x</a>", id="mixed-case"),
    pytest.param(
        '<a href="jav&#x09;ascript:alert(1)">x</a>', "<a>x</a>", id="entity-tab"
    ),
    pytest.param(
        '<a href="&#106;avascript:alert(1)">x</a>', "<a>x</a>", id="entity-letter"
    ),
    pytest.param(
        '<a href="  javascript:alert(1)">x</a>', "<a>x</a>", id="leading-space"
    ),
    pytest.param('<a href="vbscript:msgbox(1)">x</a>', "<a>x</a>", id="vbscript"),
    pytest.param(
        '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
        "<a>x</a>",
        id="data-link",
    ),
    pytest.param(
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="x">',
        '<img alt="x">',
        id="data-image",
    ),
    pytest.param(
        '<img src="/a.jpg" srcset="/a.jpg 1x, data:image/png;base64,AAAA 2x">',
        '<img src="/a.jpg">',
        id="data-in-srcset",
    ),
    pytest.param('<img src="mailto:x@example.org">', "<img>", id="mailto-image"),
    pytest.param(
        '<iframe src="https://evil.example/"></iframe><p>ok</p>',
        "<p>ok</p>",
        id="iframe",
    ),
    pytest.param('<p style="position:fixed">x</p>', "<p>x</p>", id="style-attribute"),
    pytest.param(
        "<style>body{display:none}</style><p>ok</p>", "<p>ok</p>", id="style-element"
    ),
    pytest.param(
        "<svg><script>alert(1)</script></svg><p>ok</p>", "<p>ok</p>", id="svg-script"
    ),
    pytest.param(
        "<math><mtext>alert(1)</mtext></math><p>ok</p>", "<p>ok</p>", id="math"
    ),
    pytest.param(
        '<form action="/steal"><input name="password"><button>Go</button></form>',
        "Go",
        id="form",
    ),
    pytest.param('<object data="x.swf"></object><p>ok</p>', "<p>ok</p>", id="object"),
    pytest.param('<embed src="x.swf"><p>ok</p>', "<p>ok</p>", id="embed"),
    pytest.param("<!-- secret --><p>ok</p>", "<p>ok</p>", id="comment"),
    pytest.param(
        '<base href="https://evil.example/"><p>ok</p>', "<p>ok</p>", id="base"
    ),
    pytest.param(
        '<meta http-equiv="refresh" content="0;url=https://evil.example/"><p>ok</p>',
        "<p>ok</p>",
        id="meta-refresh",
    ),
    pytest.param(
        '<link rel="stylesheet" href="https://evil.example/x.css"><p>ok</p>',
        "<p>ok</p>",
        id="link",
    ),
    pytest.param('<p class="evil">x</p>', "<p>x</p>", id="class-not-allowed"),
    pytest.param(
        '<figure class="image evil"><img src="/x.jpg" alt=""></figure>',
        '<figure class="image"><img src="/x.jpg" alt=""></figure>',
        id="class-not-on-figure-allowlist",
    ),
]

# Written in the canonical form nh3 emits (<br>, not <br/>; attributes double-quoted).
NEWSROOM_MARKUP = [
    pytest.param(
        '<p>Read <a href="/2024/05/01/flood/" title="Earlier">our report</a> and '
        '<a href="https://example.org/report.pdf">the study</a>, <strong>now</strong> '
        "<em>in full</em>.</p>",
        id="paragraph-with-links",
    ),
    pytest.param(
        '<p>Tips: <a href="mailto:tips@example.org">email</a> or '
        '<a href="tel:+15555550100">call</a>.<br>We read everything.</p>',
        id="mailto-and-tel-links",
    ),
    pytest.param('<p><a href="#notes">Notes</a></p>', id="fragment-link"),
    pytest.param(
        "<p><b>b</b> <i>i</i> <u>u</u> <s>s</s> H<sub>2</sub>O x<sup>2</sup> "
        "<mark>marked</mark> <code>code</code></p><pre><code>print(1)</code></pre>",
        id="inline-formatting",
    ),
    pytest.param(
        "<ul><li>One<ul><li>One, a</li></ul></li><li>Two</li></ul>"
        '<ol start="3" reversed=""><li>Three<ol><li>Three, a</li></ol></li></ol>',
        id="nested-lists",
    ),
    pytest.param(
        '<figure class="table"><table><caption>Rainfall</caption>'
        '<thead><tr><th scope="col">Town</th><th scope="col">mm</th></tr></thead>'
        '<tbody><tr><td>Ely</td><td>40</td></tr><tr><td colspan="2">Source: Met Office'
        '</td></tr></tbody><tfoot><tr><th rowspan="1">Total</th><td>40</td></tr>'
        "</tfoot></table></figure>",
        id="table",
    ),
    pytest.param(
        '<figure class="image"><img src="/media/x.jpg" alt="Flood">'
        "<figcaption>Caption</figcaption></figure>",
        id="figure-with-image",
    ),
    pytest.param(
        '<figure class="image image-style-side image_resized">'
        '<img src="https://cdn.example.org/a.jpg" alt="A" width="800" height="600" '
        'srcset="/a-400.jpg 400w, https://cdn.example.org/a-800.jpg 800w" '
        'sizes="(max-width: 600px) 400px, 800px" loading="lazy"></figure>',
        id="responsive-side-image",
    ),
    pytest.param(
        "<blockquote><p>“We lost everything,” she said.</p></blockquote>",
        id="blockquote",
    ),
    pytest.param(
        "<h2>What happened</h2><p>Text</p><h3>Timeline</h3><h4>Monday</h4><hr><p>End"
        "</p>",
        id="headings-and-rule",
    ),
    pytest.param(
        "<p>Café&nbsp;owners &amp; staff said &lt;no&gt;.</p>",
        id="entities",
    ),
    pytest.param(
        '<p>The vote was <del datetime="2024-05-01">7-2</del> <ins>6-3</ins>.</p>',
        id="del-and-ins",
    ),
    pytest.param(
        "<dl><dt>Quorum</dt><dd>Five members.</dd><dt>Veto</dt><dd>Two-thirds.</dd>"
        "</dl>",
        id="definition-list",
    ),
    pytest.param("<h2>A</h2><h3>B</h3><h4>C</h4><h5>D</h5><h6>E</h6>", id="headings"),
    pytest.param(
        '<p>Rain fell.<sup id="user-content-ref-1"><a href="#user-content-fn-1">1'
        '</a></sup></p><ol><li id="user-content-fn-1">Weather service. '
        '<a href="#user-content-ref-1">↩</a></li></ol>',
        id="footnotes",
    ),
]


@pytest.mark.parametrize(("html", "expected"), HOSTILE)
def test_hostile_markup_is_neutralised(html, expected):
    assert sanitize(html) == expected


@pytest.mark.parametrize("html", NEWSROOM_MARKUP)
def test_ordinary_newsroom_markup_survives_unchanged(html):
    assert sanitize(html) == html


def test_ids_are_prefixed_and_same_page_links_follow_them():
    html = (
        '<h2 id="contents">Contents</h2><p><a href="#contents">Top</a> '
        '<a href="#notes">Notes</a> <a href="#updates">Latest</a></p>'
        '<h3 id="notes">Notes</h3>'
    )
    assert sanitize(html) == (
        '<h2 id="user-content-contents">Contents</h2><p>'
        '<a href="#user-content-contents">Top</a> '
        '<a href="#user-content-notes">Notes</a> '
        # Not an id of the story: a link to the page's own live updates.
        '<a href="#updates">Latest</a></p>'
        '<h3 id="user-content-notes">Notes</h3>'
    )


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        pytest.param(
            '<p id="__proto__">x</p>',
            '<p id="user-content-__proto__">x</p>',
            id="proto",
        ),
        pytest.param(
            '<form id="location"></form><p id="location">x</p>',
            '<p id="user-content-location">x</p>',
            id="dom-global",
        ),
        pytest.param(
            '<p id="fn 1">x</p><a href="#fn%201">1</a>',
            '<p id="user-content-fn-1">x</p><a href="#user-content-fn-1">1</a>',
            id="spaces",
        ),
        pytest.param(
            "<p id='a\" onmouseover=\"alert(1)'>x</p>",
            '<p id="user-content-a-onmouseover-alert-1">x</p>',
            id="quotes",
        ),
        pytest.param('<p id="  \'" ">x</p>', "<p>x</p>", id="nothing-left"),
        pytest.param(
            '<p id="user-content-user-content-x">x</p>',
            '<p id="user-content-x">x</p>',
            id="prefix-twice",
        ),
        pytest.param(
            '<p id="x">x</p><a href="javascript:alert(1)#x">y</a>',
            '<p id="user-content-x">x</p><a>y</a>',
            id="javascript-with-fragment",
        ),
        pytest.param(
            '<a href="#x" id="x" onclick="go()">y</a>',
            '<a href="#user-content-x" id="user-content-x">y</a>',
            id="handler-beside-id",
        ),
    ],
)
def test_hostile_ids_are_made_harmless(html, expected):
    assert sanitize(html) == expected


def test_a_first_level_heading_moves_everything_down_a_level():
    """The page's headline is its only <h1>: a pasted document's title becomes a
    section heading, and its subheadings stay under it."""
    html = "<h1>Report</h1><p>a</p><h2>Findings</h2><h3>Detail</h3><h6>Fine</h6>"
    assert sanitize(html) == (
        "<h2>Report</h2><p>a</p><h3>Findings</h3><h4>Detail</h4><h6>Fine</h6>"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<h1>Title</h1><p>Text</p>",
        "<dl><dt>Term</dt><dd>Meaning</dd></dl>",
        "<h5>Five</h5><h6>Six</h6>",
        "<div>Vote</div><div>Count</div>",
        "<section><p>One</p></section><aside>Two</aside>",
        "<p>7-2 <del>6-3</del><ins>5-4</ins></p>",
    ],
)
def test_no_words_are_glued_together(html):
    from html import unescape

    from django.utils.html import strip_tags

    blocks = re.sub(r"</?(p|h\d|dt|dd|div|li)[^>]*>", " ", sanitize(html))
    words = unescape(strip_tags(blocks)).split()
    expected = unescape(
        strip_tags(re.sub(r"</?(p|h\d|dt|dd|div|section|aside|li)>", " ", html))
    ).split()
    assert words == expected
    # And the unwrapped blocks are apart in the text itself, not just by markup.
    assert "VoteCount" not in strip_tags(sanitize(html))
    assert "OneTwo" not in strip_tags(sanitize(html))


def test_removed_markup_names_what_matters_and_nothing_else():
    assert removed_markup(
        "<p>a</p><script>x()</script><iframe src=x></iframe><svg></svg>"
        '<p style="color:red" onmouseover="x">b <a href="javascript:1">c</a></p>'
        '<img src="data:image/png;base64,AAAA"><marquee>d</marquee>'
    ) == [
        "a script",
        "an embedded frame (<iframe>): embeds are not supported, link to the "
        "video or post instead",
        "an SVG drawing: upload it as an image instead",
        "a <marquee> element",
        "an event handler attribute (onmouseover)",
        "inline formatting (a style attribute): the site's styles apply",
        "2 unsafe link or image addresses (such as javascript: or data:)",
    ]
    # What the editor itself writes, and wrappers whose text stays, are no news.
    assert (
        removed_markup(
            '<div><span>a</span></div><h1>b</h1><figure class="image">'
            '<img src="/x.jpg" style="aspect-ratio:4/3"></figure>'
            '<ul><li data-list-item-id="e1">c</li></ul>'
        )
        == []
    )


def test_removed_markup_counts_several_of_a_kind():
    assert removed_markup("<marquee>a</marquee><marquee>b</marquee>") == [
        "2 <marquee> elements"
    ]


def test_links_lose_target_and_rel_instead_of_gaining_rel():
    # A deliberate change: target is never allowed, so rel="noopener" has nothing to
    # protect, and the site's Referrer-Policy header governs referrers.
    html = '<a href="https://example.org/" target="_blank" rel="noopener">x</a>'
    assert sanitize(html) == '<a href="https://example.org/">x</a>'


def test_empty_input_gives_empty_string():
    assert sanitize("") == ""
    assert sanitize(None) == ""


def test_dangerous_tags_are_never_on_the_allowlist():
    assert not ALLOWED_TAGS & NEVER_ALLOWED_TAGS
    assert {"script", "style", "iframe", "svg", "math", "object", "embed", "form"} <= (
        NEVER_ALLOWED_TAGS
    )
    assert {"http", "https", "mailto", "tel"} == ALLOWED_URL_SCHEMES


MESSY = [
    pytest.param("<table>stray<tr><td>1</td></tr></table>", id="foster-parented-text"),
    pytest.param('<p>a<figure class="image"><img src="/x.jpg"></figure>b</p>', id="p"),
    pytest.param('<a href="/1"><a href="/2">x</a></a>', id="nested-links"),
    pytest.param("<b><i>x</b></i>", id="misnested"),
    pytest.param(
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
        id="noscript-mutation",
    ),
    pytest.param("<p>unclosed <strong>bold", id="unclosed"),
]


@pytest.mark.parametrize(
    "html",
    [*(p.values[0] for p in HOSTILE), *(p.values[0] for p in NEWSROOM_MARKUP), *MESSY],
)
def test_sanitize_is_idempotent(html):
    once = sanitize(html)
    assert sanitize(once) == once


def test_rich_text_field_sanitizes_and_stores_on_save():
    field = RichTextField()
    field.set_attributes_from_name("body")
    obj = SimpleNamespace(body="<p onclick=x>Hi</p><script>1</script>")
    assert field.pre_save(obj, add=True) == "<p>Hi</p>"
    assert obj.body == "<p>Hi</p>"


def test_rich_text_field_leaves_none_alone():
    field = RichTextField(null=True)
    field.set_attributes_from_name("body")
    obj = SimpleNamespace(body=None)
    assert field.pre_save(obj, add=False) is None


def test_rich_text_field_deconstructs_to_its_own_path_with_config_name():
    field = RichTextField("body", blank=True, config_name="corrections")
    field.set_attributes_from_name("body")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "richtext.fields.RichTextField"
    assert kwargs["config_name"] == "corrections"
    assert RichTextField(*args, **kwargs).config_name == "corrections"


def test_rich_text_field_leaves_default_config_name_out_of_migrations():
    field = RichTextField()
    field.set_attributes_from_name("body")
    assert "config_name" not in field.deconstruct()[3]


def render_rich_text(body):
    return Template("{% load richtext %}{{ body|rich_text }}").render(
        Context({"body": body})
    )


def test_rich_text_filter_sanitizes_on_render():
    assert render_rich_text('<p onclick="x">Hi</p><script>1</script>') == "<p>Hi</p>"


def test_rich_text_filter_does_not_escape_safe_markup():
    html = '<p>A <a href="/x/">link</a> &amp; <strong>bold</strong></p>'
    assert render_rich_text(html) == html


def test_rich_text_filter_sanitizes_markup_already_marked_safe():
    assert render_rich_text(mark_safe("<p>ok</p><iframe></iframe>")) == "<p>ok</p>"


@pytest.mark.parametrize("body", [None, ""])
def test_rich_text_filter_renders_nothing_for_empty_values(body):
    assert render_rich_text(body) == ""


# Inserting fragments between paragraphs -------------------------------------

BODY = (
    "<p>One</p>"
    "<ul><li><p>Inside a list</p></li></ul>"
    "<p>Two</p>"
    "<table><tbody><tr><td><p>In a table</p></td></tr></tbody></table>"
    "<blockquote><p>Quoted</p></blockquote>"
    "<p>Three<br>with a break</p>"
    "<hr>"
)


def test_a_fragment_goes_after_paragraph_two():
    assert insert_after_paragraphs(
        "<p>A</p><p>B</p><p>C</p>", [(2, "<aside>Q</aside>")]
    ) == ("<p>A</p><p>B</p><aside>Q</aside><p>C</p>")


def test_paragraphs_inside_lists_tables_and_quotes_are_not_counted():
    assert paragraph_ends(BODY) == [
        len("<p>One</p>"),
        BODY.index("<table>"),
        BODY.index("<hr>"),
    ]
    placed = insert_after_paragraphs(BODY, [(2, "<aside>Q</aside>")])
    assert "<p>Two</p><aside>Q</aside><table>" in placed


def test_a_position_past_the_end_falls_back_to_the_end():
    assert insert_after_paragraphs("<p>A</p>", [(9, "<aside>Q</aside>")]) == (
        "<p>A</p><aside>Q</aside>"
    )


def test_position_zero_goes_first_and_several_fragments_keep_their_order():
    placed = insert_after_paragraphs(
        "<p>A</p><p>B</p>", [(1, "<i>x</i>"), (0, "<b>top</b>"), (1, "<i>y</i>")]
    )
    assert placed == "<b>top</b><p>A</p><i>x</i><i>y</i><p>B</p>"


def test_an_empty_body_gets_the_fragment_alone():
    assert insert_after_paragraphs("", [(3, "<aside>Q</aside>")]) == "<aside>Q</aside>"


def test_multiline_html_offsets_are_right():
    html = "<p>A\nstill A</p>\n<p>B</p>"
    assert insert_after_paragraphs(html, [(1, "|")]) == "<p>A\nstill A</p>|\n<p>B</p>"


def test_markup_the_sanitizer_drops_is_not_a_change_to_the_text():
    """CKEditor 5 gives every list item an id; saving without touching the text
    must not record "Changed Body"."""
    from articles.models import Article

    field = Article._meta.get_field("body").formfield()
    stored = "<p>What changes</p><ul><li>Libraries open on Sundays.</li></ul>"
    posted = (
        '<p>What changes</p><ul><li data-list-item-id="e4105908d24e272cce9fc44">'
        "Libraries open on Sundays.</li></ul>"
    )
    assert not field.has_changed(stored, posted)
    assert field.has_changed(stored, posted.replace("Sundays", "Mondays"))
    assert field.has_changed("", posted)
