"""
The one allowlist and sanitizer for every rich-text field of the site.

Article bodies, live updates, corrections and appeal bodies are written in CKEditor 5
and shown to readers as HTML. Whatever the editor sends, or a paste from a word
processor, an import script or a compromised staff account puts in the database,
readers only ever get the markup listed here. It is applied twice, on purpose:

- on save (``articles.fields.RichTextField.pre_save``), so the database holds clean
  HTML and revisions, feeds and the republish view never see anything else;
- on render (the ``rich_text`` template filter), so rows written before a rule
  tightened, or by raw SQL that bypassed the model, are cleaned too.

Both call ``sanitize()``, so there is one list to review. It is an allowlist (nh3, the
Python binding of the Ammonia sanitizer): an element or attribute not named here is
removed. Raw-HTML, embed and style plugins stay off in the editor configuration; this
list is why they would be useless anyway.

Links: nh3 would add ``rel="noopener noreferrer"`` to every ``<a>``, which rewrites
every internal link an editor makes. Neither value is needed here: ``target`` is not
allowed, so a link can't open a window that could reach back through
``window.opener``, and the site-wide ``Referrer-Policy`` header already decides what
other sites learn. So links keep exactly their ``href`` and ``title``, and ``rel`` and
``target`` are dropped.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin

import nh3
from django.core.exceptions import ImproperlyConfigured

ALLOWED_TAGS = frozenset(
    {
        # Text
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "sub",
        "sup",
        "a",
        "mark",
        "code",
        "pre",
        "blockquote",
        "hr",
        # Lists
        "ul",
        "ol",
        "li",
        # Images, as CKEditor 5 wraps them
        "figure",
        "figcaption",
        "img",
        # Tables
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
    }
)

ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href", "title"}),
    "ol": frozenset({"start", "reversed"}),
    "img": frozenset({"src", "alt", "width", "height", "srcset", "sizes", "loading"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "td": frozenset({"colspan", "rowspan"}),
}

# Classes are allowed name by name, never freely: these are the ones CKEditor 5's image
# and table plugins put on their <figure>. (nh3 refuses "class" in ALLOWED_ATTRIBUTES
# for a tag listed here.)
ALLOWED_CLASSES = {
    "figure": frozenset({"image", "table", "image-style-side", "image_resized"}),
}

# For href and src. Relative URLs (/media/..., #notes) are allowed too. Images are held
# to http and https by _filter_attribute.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
IMAGE_URL_SCHEMES = frozenset({"http", "https"})

# Removed together with everything inside them, rather than leaving their text behind:
# code, stylesheets, and markup that is never meant to be read as prose.
CONTENT_REMOVED_TAGS = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "iframe",
        "textarea",
        "title",
        "svg",
        "math",
    }
)

# Whatever anyone later adds to ALLOWED_TAGS, these stay out.
NEVER_ALLOWED_TAGS = CONTENT_REMOVED_TAGS | {
    "object",
    "embed",
    "form",
    "input",
    "button",
    "select",
    "link",
    "meta",
    "base",
}

if ALLOWED_TAGS & NEVER_ALLOWED_TAGS:
    raise ImproperlyConfigured(
        "articles.richtext.ALLOWED_TAGS may not contain "
        f"{sorted(ALLOWED_TAGS & NEVER_ALLOWED_TAGS)}."
    )


def _is_image_url(url):
    # Browsers ignore ASCII whitespace and control characters in a URL's scheme
    # ("jav\tascript:"), so they are ignored here before looking for one.
    url = "".join(char for char in url if ord(char) > 0x20 and ord(char) != 0x7F)
    scheme, colon, rest = url.partition(":")
    if not colon or any(char in scheme for char in "/?#"):
        return True  # a relative URL: no scheme before the path, query or fragment
    return scheme.lower() in IMAGE_URL_SCHEMES


def _filter_attribute(tag, attribute, value):
    # nh3 has already checked src against ALLOWED_URL_SCHEMES, but mailto: and tel: make
    # no sense for an image, and it doesn't look inside srcset at all.
    if tag == "img" and attribute == "src" and not _is_image_url(value):
        return None
    if tag == "img" and attribute == "srcset":
        # Each candidate is "URL [descriptor]". Splitting on every comma is stricter
        # than the browser (it also splits URLs that contain commas), never looser.
        for candidate in value.split(","):
            url = candidate.split(maxsplit=1)[0] if candidate.strip() else ""
            if url and not _is_image_url(url):
                return None
    return value


def sanitize(html):
    """Return ``html`` with only the allowed markup. Idempotent."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=CONTENT_REMOVED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


# Placing things between paragraphs (pull quotes, inline appeals) -----------------

VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "col", "source"})


class _TopLevelBlocks(HTMLParser):
    """Finds where each top-level element of sanitized HTML ends."""

    def __init__(self, html):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                self.line_starts.append(index + 1)
        self.depth = 0
        self.blocks = []  # (tag, offset just past its end)
        self.feed(html)
        self.close()

    def here(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

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


# Copies for other sites (republishing) ------------------------------------------


class _ImageSpans(HTMLParser):
    """Where the images are in sanitized HTML: each CKEditor image figure (the
    picture with its caption) and each <img> outside one, as (start, end) offsets."""

    def __init__(self, html):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                self.line_starts.append(index + 1)
        self.figures = []  # open <figure>s: (start offset, is an image figure)
        self.spans = []
        self.feed(html)
        self.close()

    def here(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def in_image_figure(self):
        return any(is_image for _start, is_image in self.figures)

    def handle_starttag(self, tag, attrs):
        if tag == "figure":
            classes = (dict(attrs).get("class") or "").split()
            self.figures.append((self.here(), "image" in classes))
        elif tag == "img" and not self.in_image_figure():
            start = self.here()
            self.spans.append((start, start + len(self.get_starttag_text())))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag != "figure" or not self.figures:
            return
        start, is_image = self.figures.pop()
        if is_image and not self.in_image_figure():
            self.spans.append((start, self.html.index(">", self.here()) + 1))


def without_images(html):
    """Sanitized `html` without its images (and their captions and credits)."""
    parts, cursor = [], 0
    for start, end in sorted(_ImageSpans(html).spans):
        parts.append(html[cursor:start])
        cursor = end
    parts.append(html[cursor:])
    return "".join(parts)


def absolute_links(html, base_url):
    """Sanitized `html` with every link and image address absolute, relative to
    `base_url` (the article's address): for feeds and copies read elsewhere."""

    def absolute(tag, attribute, value):
        value = _filter_attribute(tag, attribute, value)
        if value is not None and attribute in ("href", "src"):
            return urljoin(base_url, value)
        return value

    return nh3.clean(
        sanitize(html),
        tags=ALLOWED_TAGS,
        clean_content_tags=CONTENT_REMOVED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=absolute,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
    )


def for_republishing(html, base_url):
    """Body HTML as another site may publish it: without images (the newsroom
    cannot pass on rights it may not hold for pictures in the body, which carry no
    rights information) and with absolute links."""
    return absolute_links(without_images(sanitize(html)), base_url)


# Plain text (structured data, feeds, titles, word counts, search) ------------------

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
