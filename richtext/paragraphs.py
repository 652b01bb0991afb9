"""
Placing things between the paragraphs of sanitized rich text (pull quotes, inline
appeals).
"""

from .sanitize import OffsetParser

VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "col", "source"})


class _TopLevelBlocks(OffsetParser):
    """Finds where each top-level element of sanitized HTML ends."""

    def __init__(self, html):
        super().__init__(html)
        self.depth = 0
        self.blocks = []  # (tag, offset just past its end)
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag in VOID_TAGS:
            if self.depth == 0:
                self.blocks.append((tag, self.here() + len(self.get_starttag_text())))
            return
        self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            self.blocks.append((tag, self.here() + len(self.get_starttag_text())))

    def handle_endtag(self, tag):
        if tag in VOID_TAGS or self.depth == 0:
            return
        self.depth -= 1
        if self.depth == 0:
            self.blocks.append((tag, self.html.index(">", self.here()) + 1))


def paragraph_ends(html):
    """Offsets just past each top-level <p>: the only places something may go, so
    nothing lands inside a list, a table, a figure or a block quote."""
    return [end for tag, end in _TopLevelBlocks(html).blocks if tag == "p"]


def insert_after_paragraphs(html, insertions, ends=None):
    """Insert HTML fragments after paragraph N of sanitized `html`.

    `insertions` is an iterable of (n, fragment). n counts top-level paragraphs from
    1; 0 puts the fragment first; a number past the last paragraph puts it at the end.
    Fragments for the same place keep their order. The fragments are trusted markup
    rendered by our own templates; `html` is sanitized body HTML, and `ends` its
    paragraph_ends() when they are known already.
    """
    if ends is None:
        ends = paragraph_ends(html)
    placed = sorted(
        (
            0 if n <= 0 else ends[n - 1] if n <= len(ends) else len(html),
            order,
            fragment,
        )
        for order, (n, fragment) in enumerate(insertions)
    )
    parts, cursor = [], 0
    for position, _order, fragment in placed:
        parts += [html[cursor:position], fragment]
        cursor = position
    parts.append(html[cursor:])
    return "".join(parts)
