"""
Share images for quotes: a 1200x630 PNG (the Open Graph size) with the quote, who
said it and the site's name, drawn with Pillow.

The fonts are DejaVu Serif and DejaVu Sans Bold, shipped in ``articles/fonts/`` with
their licence: nothing is fetched at run time, and the same glyphs are drawn on every
server. DejaVu covers Latin, Greek, Cyrillic, Armenian and Georgian; a quote in a
script it lacks (Chinese, Japanese, Korean, Devanagari...) would show empty boxes,
and would need another font here.

An image is drawn the first time someone asks for it and kept in the default storage
as ``quotes/<id>/<fingerprint>.png``. The fingerprint is a hash of everything drawn,
so an edit to the quote, its speaker's name or the site's name gives the image a new
name and a new address (the address carries the fingerprint, which is what lets
browsers and CDNs keep each one for good). Files of a quote that no longer match it
are deleted when the quote or its speaker is saved, and when the quote is deleted: a
corrected misquote does not live on in the media folder.
"""

import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.formats import date_format
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
# Nothing but the accent bar is drawn outside these margins.
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 80, 56, 44
ACCENT_BAR = 10  # pixels at the top, full width

# Raise when the design changes: every image is then drawn again.
LAYOUT_VERSION = 1

FONTS = Path(__file__).resolve().parent / "fonts"
SERIF = FONTS / "DejaVuSerif.ttf"
SANS_BOLD = FONTS / "DejaVuSans-Bold.ttf"

PAPER = (250, 248, 244)
INK = (26, 26, 26)
INK_SOFT = (85, 85, 85)
ACCENT = (155, 28, 28)
RULE = (215, 210, 200)

# Quote text sizes, largest first: the largest at which the whole quote fits wins.
TEXT_SIZES = range(64, 23, -2)
LINE_SPACING = 1.3
MARK_SIZE = 120
ELLIPSIS = "…"


@lru_cache(maxsize=128)
def font(path, size):
    return ImageFont.truetype(str(path), size)


def has_glyph(face, char):
    """Whether `face` draws `char` itself, rather than its empty "missing" box."""
    missing = bytes(face.getmask("\ufffe"))
    return bytes(face.getmask(char)) != missing


@dataclass(frozen=True)
class Drawn:
    """One piece of text on the image, where it goes and the box its ink fills."""

    text: str
    path: Path
    size: int
    xy: tuple
    fill: tuple
    box: tuple  # left, top, right, bottom


def _ink_box(face, text, x, y):
    """The box the ink of `text` drawn at (x, y) fills, pixel-exact."""
    mask, (dx, dy) = face.getmask2(text, anchor="la")
    left, top, right, bottom = mask.getbbox() or (0, 0, 0, 0)
    return (x + dx + left, y + dy + top, x + dx + right, y + dy + bottom)


def _fits(face, text, width):
    left, _top, right, _bottom = face.getbbox(text, anchor="la")
    return left >= 0 and right <= width


def wrap(text, face, width):
    """Lines of `text` no wider than `width`, broken between words; a word wider than
    the whole line (a long URL) is broken between characters."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if _fits(face, candidate, width):
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and not _fits(face, word, width):
            # The longest start of the word that fits, by halving.
            low, high = 1, len(word) - 1
            while low < high:
                middle = (low + high + 1) // 2
                if _fits(face, word[:middle], width):
                    low = middle
                else:
                    high = middle - 1
            lines.append(word[:low])
            word = word[low:]
        line = word
    if line:
        lines.append(line)
    return lines


def _shorten(text, face, width):
    """`text` cut (between words if it can be) so that it and "…" fit `width`."""
    while text and not _fits(face, text + ELLIPSIS, width):
        cut = text.rstrip().rfind(" ")
        text = text[:cut] if cut > 0 else text[:-1]
    return text.rstrip(" ,;:") + ELLIPSIS


def _one_line(text, path, sizes, width):
    """The largest size at which `text` fits on one line, shortened with "…" at the
    smallest if even that is too wide."""
    for size in sizes:
        if _fits(font(path, size), text, width):
            return text, size
    smallest = sizes[-1]
    return _shorten(text, font(path, smallest), width), smallest


def _block_height(face, lines):
    ascent, descent = face.getmetrics()
    line_height = round(face.size * LINE_SPACING)
    return (len(lines) - 1) * line_height + ascent + descent


def _quote_lines(text, box_width, box_height):
    """The quote wrapped at the largest size that fits the box; at the smallest size
    a quote that still does not fit is cut, with "…"."""
    sizes = list(TEXT_SIZES)
    fitting = None
    low, high = 0, len(sizes) - 1
    while low <= high:  # halving: smaller sizes fit more words on fewer lines
        middle = (low + high) // 2
        face = font(SERIF, sizes[middle])
        lines = wrap(text, face, box_width)
        if _block_height(face, lines) <= box_height:
            fitting, high = (face, lines), middle - 1
        else:
            low = middle + 1
    if fitting:
        return fitting
    face = font(SERIF, sizes[-1])
    lines = wrap(text, face, box_width)
    ascent, descent = face.getmetrics()
    line_height = round(face.size * LINE_SPACING)
    room = max(1, (box_height - ascent - descent) // line_height + 1)
    kept = lines[:room]
    kept[-1] = _shorten(kept[-1], face, box_width)
    return face, kept


def drawn_content(quote):
    """Everything the image shows, as text: its fingerprint is the image's name."""
    subtitle = [quote.speaker_title]
    if quote.said_on:
        subtitle.append(date_format(quote.said_on, "DATE_FORMAT"))
    return {
        "text": quote.text,
        "speaker": quote.speaker.name,
        "subtitle": " · ".join(part for part in subtitle if part),
        "site": settings.SITE_NAME,
        "layout": LAYOUT_VERSION,
    }


def fingerprint(quote):
    content = json.dumps(drawn_content(quote), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def _line_above(text, path, sizes, fill, bottom):
    """`text` on one line (see _one_line) across the image, ending at `bottom`."""
    text, size = _one_line(text, path, sizes, WIDTH - 2 * MARGIN_X)
    face = font(path, size)
    ascent, descent = face.getmetrics()
    y = bottom - ascent - descent
    box = _ink_box(face, text, MARGIN_X, y)
    return Drawn(text, path, size, (MARGIN_X, y), fill, box)


def layout(content):
    """Where each piece of text goes on the image, as a list of Drawn.

    From the bottom up: the site's name under a rule, the speaker and their title
    above it, the quote in the room that is left, as large as it fits.
    """
    inner_width = WIDTH - 2 * MARGIN_X
    bottom = HEIGHT - MARGIN_BOTTOM
    drawn = []

    site = _line_above(content["site"], SANS_BOLD, range(26, 17, -2), ACCENT, bottom)
    drawn.append(site)
    rule_y = site.xy[1] - 22

    y = rule_y - 28
    if content["subtitle"]:
        subtitle = _line_above(
            content["subtitle"], SERIF, range(26, 17, -2), INK_SOFT, y
        )
        drawn.append(subtitle)
        y = subtitle.xy[1] - 8
    name = _line_above(content["speaker"], SANS_BOLD, range(34, 19, -2), INK, y)
    drawn.append(name)
    y = name.xy[1]

    # The opening quotation mark, large, in the top left corner.
    mark_face = font(SERIF, MARK_SIZE)
    left, top, _right, _bottom = _ink_box(mark_face, "“", 0, 0)
    mark_xy = (MARGIN_X - left, MARGIN_TOP - top)
    mark = Drawn(
        "“", SERIF, MARK_SIZE, mark_xy, ACCENT, _ink_box(mark_face, "“", *mark_xy)
    )
    drawn.append(mark)

    text_top = mark.box[3] + 20
    text_bottom = y - 36
    face, lines = _quote_lines(content["text"], inner_width, text_bottom - text_top)
    line_height = round(face.size * LINE_SPACING)
    # Centred in its room, so that a short quote does not leave a gap above the name.
    slack = text_bottom - text_top - _block_height(face, lines)
    y = text_top + max(0, slack // 2)
    for line in lines:
        drawn.append(
            Drawn(
                line,
                SERIF,
                face.size,
                (MARGIN_X, y),
                INK,
                _ink_box(face, line, MARGIN_X, y),
            )
        )
        y += line_height
    return drawn, rule_y


def render(content):
    """The PNG bytes of the share image for `content` (see drawn_content)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH - 1, ACCENT_BAR - 1], fill=ACCENT)
    drawn, rule_y = layout(content)
    draw.line([(MARGIN_X, rule_y), (WIDTH - MARGIN_X - 1, rule_y)], fill=RULE, width=2)
    for item in drawn:
        draw.text(
            item.xy,
            item.text,
            font=font(item.path, item.size),
            fill=item.fill,
            anchor="la",
        )
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


# Storage


def folder(quote_pk):
    return f"quotes/{quote_pk}/"


def storage_name(quote):
    return f"{folder(quote.pk)}{fingerprint(quote)}.png"


def get_or_create(quote, storage=None):
    """The storage name of the quote's current share image, drawn first if needed."""
    storage = storage or default_storage
    name = storage_name(quote)
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(render(drawn_content(quote))))
        if saved != name:
            # Another request drew the same image at the same moment: keep theirs.
            storage.delete(saved)
        remove_stale(quote.pk, keep=name, storage=storage)
    return name


def remove_stale(quote_pk, keep=None, storage=None):
    """Delete the image files of a quote, but `keep` (the current one)."""
    storage = storage or default_storage
    try:
        _folders, files = storage.listdir(folder(quote_pk))
    except FileNotFoundError:
        return
    for file in files:
        if folder(quote_pk) + file != keep:
            storage.delete(folder(quote_pk) + file)


# Images are cleaned up after the edit commits: a rolled-back edit keeps its image.


@receiver(post_save, sender="articles.Quote", dispatch_uid="share_images_quote_saved")
def _quote_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        transaction.on_commit(
            lambda: remove_stale(instance.pk, keep=storage_name(instance))
        )


@receiver(
    post_delete, sender="articles.Quote", dispatch_uid="share_images_quote_deleted"
)
def _quote_deleted(sender, instance, **kwargs):
    pk = instance.pk  # gone from the instance once the delete is done
    transaction.on_commit(lambda: remove_stale(pk))


@receiver(
    post_save, sender="articles.Speaker", dispatch_uid="share_images_speaker_saved"
)
def _speaker_saved(sender, instance, raw=False, created=False, **kwargs):
    if raw or created:
        return

    def clean_up():
        for quote in instance.quotes.all():
            quote.speaker = instance
            remove_stale(quote.pk, keep=storage_name(quote))

    transaction.on_commit(clean_up)
