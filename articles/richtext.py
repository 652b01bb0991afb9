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

Ids (footnotes, a table of contents) are kept on any allowed element but always
start with ``user-content-``, so that a story can't name an element ``updates`` and
take over the page's own ``#updates``, nor ``location`` and shadow a DOM global;
``#`` links to the story's own ids are rewritten to match. Nothing is removed without
a word: ``removed_markup()`` says what went, and the admin tells the editor at save.

The editor keeps exactly this list too (CKEditor's General HTML Support is configured
from it, in ``articles.fields``), so what a story stores survives being edited.
"""

import re
from collections import Counter
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin

import nh3
from django.core.exceptions import ImproperlyConfigured
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

ALLOWED_TAGS = frozenset(
    {
        # Text
        "p",
        "br",
        "h1",  # moved down a level: see _Headings
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "del",
        "ins",
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
        "dl",
        "dt",
        "dd",
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
    # What changed and when: <del datetime="...">.
    "del": frozenset({"datetime", "cite"}),
    "ins": frozenset({"datetime", "cite"}),
}

# Any allowed element may carry an id (footnotes, a table of contents), always
# prefixed: an id written in a story can't take the name of one of the page's own
# (#updates, #main) nor of a DOM global (a form, window.location): see _clean_id.
ID_TAGS = ALLOWED_TAGS
ID_PREFIX = "user-content-"

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

# Blocks that are not kept but whose text is: each becomes a line break's worth of
# space, so "<div>Vote</div><div>Count</div>" never reads "VoteCount".
UNWRAPPED_BLOCKS = frozenset(
    {
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "main",
        "nav",
        "address",
        "center",
        "hgroup",
        "details",
        "summary",
        "fieldset",
        "legend",
        "dir",
        "menu",
        "output",
    }
)

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


_NOT_ID_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")


def _clean_id(value):
    """The id an element keeps: ID_PREFIX and the name in letters, digits, "-" and
    "_" (spaces, quotes and the rest become "-"), or None when nothing is left."""
    name = value.strip()
    while name.startswith(ID_PREFIX):
        name = name[len(ID_PREFIX) :]
    name = _NOT_ID_CHARACTERS.sub("-", name).strip("-")[:100]
    return ID_PREFIX + name if name else None


def _filter_attribute(tag, attribute, value, ids=frozenset()):
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
    if attribute == "id":
        return _clean_id(value)
    if tag == "a" and attribute == "href" and value.startswith("#"):
        # A link to an element of the story follows its id's prefix; a link to one
        # of the page's own (#updates) is left alone.
        target = _clean_id(unquote(value[1:]))
        if target and (value[1:].startswith(ID_PREFIX) or target in ids):
            return "#" + target
    return value


# An id attribute, as a browser reads one (quoted either way, or bare). A regular
# expression, not a parser: sanitize() runs on every render, and the worst a miss
# can do is leave a # link pointing at its old, unprefixed name.
_ID_ATTRIBUTE = re.compile(
    r"""[\s/"']id\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)


def _ids(html):
    """The ids of `html`, as they will be once prefixed."""
    ids = set()
    for match in _ID_ATTRIBUTE.finditer(html):
        value = unescape(next(group for group in match.groups() if group is not None))
        if cleaned := _clean_id(value):
            ids.add(cleaned)
    return frozenset(ids)


def _clean(html, attribute_filter):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS | UNWRAPPED_BLOCKS,
        clean_content_tags=CONTENT_REMOVED_TAGS,
        attributes={**ALLOWED_ATTRIBUTES, "*": frozenset({"id"})},
        attribute_filter=attribute_filter,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        id_prefix=ID_PREFIX,
    )


class _OffsetParser(HTMLParser):
    """An HTML parser that knows where in its text each tag starts (here())."""

    def __init__(self, html):
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                self.line_starts.append(index + 1)

    def here(self):
        line, column = self.getpos()
        return self.line_starts[line - 1] + column


class _Tags(_OffsetParser):
    """Every start and end tag of nh3's output, as (start, end, tag, is_end)."""

    def __init__(self, html):
        super().__init__(html)
        self.tags = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        start = self.here()
        self.tags.append((start, start + len(self.get_starttag_text()), tag, False))

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        start = self.here()
        self.tags.append((start, self.html.index(">", start) + 1, tag, True))


_HEADING = re.compile(r"h([1-6])")
_UNWRAPPED_TAG = re.compile(rf"</?(?:{'|'.join(sorted(UNWRAPPED_BLOCKS))})[\s>]")


def _restructure(html):
    """nh3's output with UNWRAPPED_BLOCKS replaced by line breaks and, when the
    story has a first-level heading, every heading moved down a level: the page's
    headline is its one <h1>, and a pasted document's own title becomes a section
    heading with its subheadings under it (h6 stays h6)."""
    if "<h1" not in html and not _UNWRAPPED_TAG.search(html):
        return html  # most stories: nothing to do, and no second parse
    tags = [
        tag
        for tag in _Tags(html).tags
        if tag[2] in UNWRAPPED_BLOCKS or _HEADING.fullmatch(tag[2])
    ]
    if not tags:
        return html
    demote = any(name == "h1" for _start, _end, name, _is_end in tags)
    parts, cursor = [], 0
    for start, end, name, is_end in tags:
        if name in UNWRAPPED_BLOCKS:
            replacement = "\n"
        elif demote:
            level = min(int(name[1]) + 1, 6)
            replacement = (
                f"</h{level}>" if is_end else f"<h{level}{html[start + 3 : end]}"
            )
        else:
            continue
        parts += [html[cursor:start], replacement]
        cursor = end
    parts.append(html[cursor:])
    return "".join(parts)


def sanitize(html):
    """Return ``html`` with only the allowed markup. Idempotent."""
    if not html:
        return ""
    ids = _ids(html) if "#" in html else frozenset()
    cleaned = _clean(
        html, lambda tag, name, value: _filter_attribute(tag, name, value, ids)
    )
    return _restructure(cleaned)


# Telling the editor what was removed ---------------------------------------------


class _Inventory(HTMLParser):
    """How many of each element, and of each attribute, `html` has."""

    def __init__(self, html):
        super().__init__()
        self.elements = Counter()
        self.attributes = Counter()
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements[tag] += 1
        for name, _value in attrs:
            self.attributes[tag, name] += 1

    handle_startendtag = handle_starttag


# What an editor is told about markup the sanitizer removed, most useful first.
# Wrappers whose text is kept (a <div>, a <span>, Word's <o:p>) and attributes the
# editor itself writes and the site restyles (an image's aspect-ratio, a resized
# image's width) are not worth a word.
_ELEMENT_NOTES = {
    "script": _("a script"),
    "iframe": _(
        "an embedded frame (<iframe>): embeds are not supported, link to the "
        "video or post instead"
    ),
    "style": _("a stylesheet (<style>): the site's own styles apply"),
    "svg": _("an SVG drawing: upload it as an image instead"),
    "math": _("a formula (<math>)"),
    "object": _("an embedded object (<object>)"),
    "embed": _("an embedded object (<embed>)"),
    "form": _("a form (its fields too)"),
}


def removed_markup(html):
    """What ``sanitize(html)`` leaves out, in words for the editor who wrote it: a
    list of phrases, empty when nothing that matters was removed."""
    if not html:
        return []
    before, after = _Inventory(html), _Inventory(sanitize(html))
    notes = []
    gone = {
        tag: count - after.elements[tag]
        for tag, count in before.elements.items()
        if tag not in UNWRAPPED_BLOCKS
        and tag not in {"html", "head", "body", "span", "font", "o:p"}
        and count > after.elements[tag]
        and not (tag == "h1" or _HEADING.fullmatch(tag))
    }
    for tag, note in _ELEMENT_NOTES.items():
        if gone.pop(tag, 0):
            notes.append(str(note))
    for tag in ("input", "button", "select", "textarea", "label", "option"):
        if before.elements[tag] and before.elements["form"]:
            gone.pop(tag, None)
    for tag, count in sorted(gone.items()):
        notes.append(
            ngettext("a <%(tag)s> element", "%(count)d <%(tag)s> elements", count)
            % {"tag": tag, "count": count}
        )
    handlers = sum(
        count
        for (_tag, name), count in before.attributes.items()
        if name.startswith("on")
    )
    if handlers:
        notes.append(
            ngettext(
                "an event handler attribute (%(names)s)",
                "%(count)d event handler attributes (%(names)s)",
                handlers,
            )
            % {
                "count": handlers,
                "names": ", ".join(
                    sorted({n for (_t, n) in before.attributes if n.startswith("on")})
                ),
            }
        )
    styles = sum(
        count
        for (tag, name), count in before.attributes.items()
        if name == "style" and tag not in {"img", "figure", "span"}
    )
    if styles:
        notes.append(
            ngettext(
                "inline formatting (a style attribute): the site's styles apply",
                "inline formatting (%(count)d style attributes): the site's styles "
                "apply",
                styles,
            )
            % {"count": styles}
        )
    addresses = sum(
        before.attributes[tag, name] - after.attributes[tag, name]
        for tag, name in (("a", "href"), ("img", "src"), ("img", "srcset"))
        if before.attributes[tag, name] > after.attributes[tag, name]
    )
    if addresses:
        notes.append(
            ngettext(
                "an unsafe link or image address (such as javascript: or data:)",
                "%(count)d unsafe link or image addresses (such as javascript: or "
                "data:)",
                addresses,
            )
            % {"count": addresses}
        )
    return notes


def removed_markup_message(label, html):
    """The admin's warning for a rich-text field, or None when nothing was removed."""
    notes = removed_markup(html)
    if not notes:
        return None
    return format_lazy(
        _("Removed from the {field}: {notes}."), field=label, notes="; ".join(notes)
    )


# Placing things between paragraphs (pull quotes, inline appeals) -----------------

VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "col", "source"})


class _TopLevelBlocks(_OffsetParser):
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


# Copies for other sites (republishing) ------------------------------------------


class _ImageSpans(_OffsetParser):
    """Where the images are in sanitized HTML: each CKEditor image figure (the
    picture with its caption) and each <img> outside one, as (start, end) offsets."""

    def __init__(self, html):
        super().__init__(html)
        self.figures = []  # open <figure>s: (start offset, is an image figure)
        self.spans = []
        self.feed(html)
        self.close()

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

    return _clean(sanitize(html), absolute)


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
