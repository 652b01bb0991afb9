"""
The one allowlist and sanitizer for every rich-text field of the site.

Article bodies, live updates, corrections and appeal bodies are written in CKEditor 5
and shown to readers as HTML. Whatever the editor sends, or a paste from a word
processor, an import script or a compromised staff account puts in the database,
readers only ever get the markup listed here. It is applied twice, on purpose:

- on save (``richtext.fields.RichTextField.pre_save``), so the database holds clean
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
a word: ``richtext.removed`` says what went, and the admin tells the editor at save.

The editor keeps exactly this list too (CKEditor's General HTML Support is configured
from it, in ``richtext.widgets``), so what a story stores survives being edited.
"""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

import nh3
from django.core.exceptions import ImproperlyConfigured

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
# to http and https by filter_attribute.
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
        "richtext.sanitize.ALLOWED_TAGS may not contain "
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


def filter_attribute(tag, attribute, value, ids=frozenset()):
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


def clean_with(html, attribute_filter):
    """nh3 with the allowlist, attributes passed through `attribute_filter`."""
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


class OffsetParser(HTMLParser):
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


class _Tags(OffsetParser):
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


HEADING = re.compile(r"h([1-6])")
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
        if tag[2] in UNWRAPPED_BLOCKS or HEADING.fullmatch(tag[2])
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
    cleaned = clean_with(
        html, lambda tag, name, value: filter_attribute(tag, name, value, ids)
    )
    return _restructure(cleaned)
