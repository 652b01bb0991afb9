"""
Rich text as plain text: the one rule for every place that needs words rather than
markup (structured data, feed titles, word counts, meta descriptions, admin lists,
the search document).
"""

from html.parser import HTMLParser

from .sanitize import CONTENT_REMOVED_TAGS

# Elements that start and end a block of text: between two of them a reader sees a
# break, so their words never run together. Every other element (links, emphasis,
# <span>, anything unknown) is inline and adds nothing: foo<em>bar</em> is "foobar".
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "caption",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)


class _PlainText(HTMLParser):
    """Collects the text of HTML, block by block."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.blocks = [[]]
        self.hidden = []  # open elements whose content is not text (CONTENT_REMOVED)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in CONTENT_REMOVED_TAGS:
            self.hidden.append(tag)
        elif tag in BLOCK_TAGS and not self.hidden:
            self.blocks.append([])

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS and not self.hidden:
            self.blocks.append([])

    def handle_endtag(self, tag):
        if tag in CONTENT_REMOVED_TAGS:
            if tag in self.hidden:
                del self.hidden[len(self.hidden) - 1 - self.hidden[::-1].index(tag) :]
        elif tag in BLOCK_TAGS and not self.hidden:
            self.blocks.append([])

    def handle_data(self, data):
        if not self.hidden:
            self.blocks[-1].append(data)


def plain_text(html, separator="\n"):
    """Rich-text HTML as the words a reader reads, the one rule for every place that
    needs text rather than markup (structured data, feed titles, word counts, meta
    descriptions, admin lists, the search document).

    Each block (paragraph, heading, list item, table cell, caption...) and each
    <br> is a separate line, joined by `separator` (" " for one line); inline tags
    add nothing; entities are decoded; whitespace is collapsed; script-like content
    (CONTENT_REMOVED_TAGS) and comments are not text.
    """
    if not html:
        return ""
    lines = (" ".join("".join(block).split()) for block in _PlainText(html).blocks)
    return separator.join(line for line in lines if line)
