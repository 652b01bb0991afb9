"""
Copies of sanitized rich text for other sites (republishing) and for feeds: without
the images, with absolute links.
"""

from urllib.parse import urljoin

from .sanitize import OffsetParser, clean_with, filter_attribute, sanitize


class _ImageSpans(OffsetParser):
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
        value = filter_attribute(tag, attribute, value)
        if value is not None and attribute in ("href", "src"):
            return urljoin(base_url, value)
        return value

    return clean_with(sanitize(html), absolute)


def for_republishing(html, base_url):
    """Body HTML as another site may publish it: without images (the newsroom
    cannot pass on rights it may not hold for pictures in the body, which carry no
    rights information) and with absolute links."""
    return absolute_links(without_images(sanitize(html)), base_url)
