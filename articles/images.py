"""The one upload pipeline every image goes through.

Featured images and images inserted in the rich-text editor all pass through
``process_upload()`` before they are stored, and ``make_renditions()`` writes the
resized copies that pages serve. The pipeline is strict because an uploaded
image is untrusted input, from a reader, a source or a compromised account:

- **Metadata can expose a source.** A phone photo carries GPS coordinates, the
  camera's serial number and the time it was taken. We never keep the
  uploader's bytes: the pixels are decoded and saved into a brand-new file with
  no EXIF, XMP, comments, text chunks or colour profile (colours are converted
  to sRGB first, so they still look right without the profile).
- **Polyglot files.** A file can be a valid GIF and a valid web page at the
  same time; served from our domain, a browser may run its script. Files with
  HTML, SVG, script or PHP markup anywhere in their bytes are refused, and SVG
  (XML that can carry scripts) is never accepted.
- **Decompression bombs.** A few kilobytes of PNG can declare 30000 x 30000
  pixels and take gigabytes of memory to decode. The pixel count is read from
  the header and checked before any pixel is decoded.

The type of a file is decided from its content, never from its name or the
content type the browser sent. Every refusal is a ``ValidationError`` with a
message an editor can act on, and one of these codes: ``too_large``,
``embedded_markup``, ``not_an_image`` (SVG included), ``unsupported_format``,
``too_many_pixels``, ``corrupt``.
"""

import re
import struct
from contextlib import contextmanager
from io import BytesIO
from pathlib import PurePosixPath
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
RENDITION_WIDTHS = (480, 800, 1200, 1600)
# The kept original's longest side: twice the widest rendition, for screens of
# double density. A 40-megapixel photo is decoded straight at a fraction of its
# size (JPEG's draft mode) and never held, re-encoded or resized whole: that took
# 15-20 s and ~330 MiB, while a worker could do nothing else.
MAX_STORED_EDGE = 3200
# The widest rendition given as the one picture where there is room for only one:
# a page's plain <img src>, structured data, the editor's default. srcset offers
# the others.
SHOWN_WIDTH = 1200
# Where the editor's upload stores the photos inserted in a body (no Image row).
EDITOR_UPLOADS = "images/editor/"

# Format found in the upload -> format we write. GIFs become a still PNG of
# their first frame; "MPO" is how Pillow names the multi-picture JPEGs many
# cameras and phones produce.
_OUTPUT_FORMATS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",
    "PNG": "PNG",
    "GIF": "PNG",
    "WEBP": "WEBP",
}
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True, "progressive": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85},
}

# A tag name must be followed by a space, "/" or ">", so that compressed pixel
# data is very unlikely to match by chance.
_MARKUP = re.compile(
    rb"<(?:html|head|body|script|svg|iframe|object|embed)[\s/>]|<\?php|javascript:",
    re.IGNORECASE,
)
_SVG_ELEMENT = re.compile(rb"<svg[\s/>]", re.IGNORECASE)
# What Pillow raises on truncated or malformed data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error)
_SRGB = ImageCms.createProfile("sRGB")


# Uploads one person may have in progress at once, across all workers: each can
# take a worker for a second or more, and four at once would take them all.
MAX_UPLOADS_AT_ONCE = 2
# The first key of the PostgreSQL advisory locks that count them.
_UPLOAD_LOCKS = 0x1A6E


class TooManyUploads(Exception):
    pass


@contextmanager
def upload_slot(user):
    """One of the MAX_UPLOADS_AT_ONCE places `user` may upload through, held in
    PostgreSQL (an advisory lock, let go at the end, or if the process dies);
    TooManyUploads when they are all taken."""
    if user is None or user.pk is None:
        yield
        return
    with connection.cursor() as cursor:
        for slot in range(MAX_UPLOADS_AT_ONCE):
            key = (user.pk * MAX_UPLOADS_AT_ONCE + slot) % 2**31
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_UPLOAD_LOCKS, key])
            if cursor.fetchone()[0]:
                break
        else:
            raise TooManyUploads
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_UPLOAD_LOCKS, key])


def process_upload(uploaded):
    """
    Validate an uploaded image and return a clean copy to store.

    ``uploaded`` is a Django ``UploadedFile``/``File`` or any file-like object
    with ``read()`` and ``seek()``. The result is a ``ContentFile`` named
    ``<uuid4 hex>.<jpg|png|webp>`` (the uploader's file name is never reused),
    with ``width``, ``height`` and ``image_format`` ("JPEG", "PNG" or "WEBP")
    attributes. Raises ``ValidationError`` when the upload is refused.
    """
    data = _read(uploaded)
    if _is_svg(data):
        raise ValidationError(
            _(
                "SVG images are not accepted. Please export the graphic as a PNG "
                "and upload that."
            ),
            code="not_an_image",
        )
    if _MARKUP.search(data):
        raise ValidationError(
            _(
                "This file contains web page code (HTML, script or PHP), so it "
                "cannot be used as an image. Please open it in an image editor, "
                "save it as a new JPEG or PNG and upload that."
            ),
            code="embedded_markup",
        )
    image = _open(data)
    output_format = _OUTPUT_FORMATS[image.format]
    try:
        if image.format in ("JPEG", "MPO"):
            # Decodes at 1/2, 1/4 or 1/8 scale, at least MAX_STORED_EDGE wide.
            image.draft(image.mode, (MAX_STORED_EDGE, MAX_STORED_EDGE))
        image.load()
        if max(image.size) > MAX_STORED_EDGE:
            factor = max(image.size) // MAX_STORED_EDGE
            if factor > 1:
                image = image.reduce(factor)  # cheap box reduction first
            image.thumbnail(
                (MAX_STORED_EDGE, MAX_STORED_EDGE), Image.Resampling.LANCZOS
            )
        image = ImageOps.exif_transpose(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _too_many_pixels() from e
    except _DECODE_ERRORS as e:
        raise ValidationError(
            _(
                "This image file is damaged or incomplete, perhaps from an "
                "interrupted download or copy. Please export it again and upload "
                "the new file."
            ),
            code="corrupt",
        ) from e

    image = _clean_copy(image, output_format)
    buffer = BytesIO()
    image.save(buffer, output_format, **_SAVE_OPTIONS[output_format])
    content = ContentFile(
        buffer.getvalue(), name=f"{uuid4().hex}.{_EXTENSIONS[output_format]}"
    )
    content.width, content.height = image.size
    content.image_format = output_format
    return content


def shown_rendition(renditions):
    """The largest of `renditions` (make_renditions' list, sorted by width) up to
    SHOWN_WIDTH pixels wide, or the last when every one is wider; None when there
    are none."""
    fitting = [r for r in renditions if r["width"] <= SHOWN_WIDTH] or renditions
    return fitting[-1] if fitting else None


def make_renditions(name, storage=None):
    """
    Write resized copies of the processed original stored as ``name``.

    One rendition per width in ``RENDITION_WIDTHS`` up to the original's width
    (or a single one at the original width when it is narrower than them all),
    each as WebP plus a fallback: JPEG for opaque images, PNG for images with
    transparency. Files go to ``renditions/<original stem>/<width>.<ext>`` and
    are overwritten when they already exist, so calling this again (say after
    changing the widths) is safe. Returns a list of dicts with ``width``,
    ``height``, ``webp`` and ``fallback`` (storage names), sorted by width.
    """
    storage = storage or default_storage
    with storage.open(name, "rb") as f:
        image = Image.open(f)
        image.load()
    image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        image = image.convert("RGB")  # An alpha channel that is opaque everywhere.
    fallback_format = "PNG" if image.mode == "RGBA" else "JPEG"

    stem = PurePosixPath(name).stem
    widths = sorted(w for w in RENDITION_WIDTHS if w <= image.width) or [image.width]
    renditions = []
    for width in widths:
        height = max(1, round(image.height * width / image.width))
        resized = image.resize((width, height), Image.Resampling.LANCZOS)
        renditions.append(
            {
                "width": width,
                "height": height,
                "webp": _save(storage, f"renditions/{stem}/{width}", resized, "WEBP"),
                "fallback": _save(
                    storage, f"renditions/{stem}/{width}", resized, fallback_format
                ),
            }
        )
    return renditions


def _read(uploaded):
    """Return the upload's bytes, refusing it before reading it all if too large."""
    size = getattr(uploaded, "size", None)
    if size is None or size <= MAX_UPLOAD_BYTES:
        uploaded.seek(0)
        data = uploaded.read(MAX_UPLOAD_BYTES + 1)
        if len(data) <= MAX_UPLOAD_BYTES:
            return data
    raise ValidationError(
        _(
            "This file is too large: images can be at most %(limit)s. Please "
            "export a smaller version and upload that."
        ),
        code="too_large",
        params={"limit": filesizeformat(MAX_UPLOAD_BYTES)},
    )


def _is_svg(data):
    # Raster formats start with a binary signature; a file that starts with
    # markup and has an <svg> element is a drawing, whatever its name says.
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and _SVG_ELEMENT.search(data) is not None


def _open(data):
    """Identify the image from its header only: no pixel is decoded here."""
    try:
        image = Image.open(BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise _too_many_pixels() from e
    except UnidentifiedImageError as e:
        raise ValidationError(
            _(
                "This file is not an image. Please upload a JPEG, PNG, WebP or GIF "
                "picture."
            ),
            code="not_an_image",
        ) from e
    except _DECODE_ERRORS as e:
        raise ValidationError(
            _(
                "This image file is damaged and cannot be read. Please export it "
                "again and upload the new file."
            ),
            code="corrupt",
        ) from e
    if image.format not in _OUTPUT_FORMATS:
        raise ValidationError(
            _(
                "%(format)s images are not accepted. Please upload a JPEG, PNG, WebP "
                "or GIF picture."
            ),
            code="unsupported_format",
            params={"format": image.format},
        )
    if image.width * image.height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels():
    return ValidationError(
        _(
            "This image has too many pixels: at most %(limit)s million are allowed. "
            "Please resize it and upload it again."
        ),
        code="too_many_pixels",
        params={"limit": MAX_PIXELS // 1_000_000},
    )


def _clean_copy(image, output_format):
    """Return the pixels alone, in a new image that carries no metadata at all."""
    if output_format == "JPEG" or not image.has_transparency_data:
        mode = "RGB"
    else:
        mode = "RGBA"
    if image.mode.startswith("I"):
        # 16-bit greyscale: a plain convert() would clip every tone to white.
        image = image.convert("I").point(lambda v: v / 256).convert("L")
    image = _to_srgb(image, mode)
    # convert(), transpose() and friends copy .info (where Pillow keeps EXIF,
    # XMP, comments and text chunks, and reuses some of them when saving), so
    # the pixels are pasted into a fresh image instead.
    clean = Image.new(mode, image.size)
    clean.paste(image)
    return clean


def _to_srgb(image, mode):
    """Bake an embedded colour profile (Adobe RGB, Display P3, CMYK) into sRGB."""
    icc_profile = image.info.get("icc_profile")
    if image.mode != "CMYK" and image.mode != mode:
        image = image.convert(mode)
    if icc_profile:
        try:
            image = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(BytesIO(icc_profile)),
                _SRGB,
                outputMode=mode,
            )
        except (ImageCms.PyCMSError, *_DECODE_ERRORS):
            pass  # A broken or mismatched profile: keep the colours as they are.
    if image.mode != mode:
        image = image.convert(mode)
    return image


def _save(storage, stem, image, image_format):
    name = f"{stem}.{_EXTENSIONS[image_format]}"
    buffer = BytesIO()
    image.save(buffer, image_format, **_SAVE_OPTIONS[image_format])
    # Storage.save() never overwrites; it would add a random suffix instead.
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(buffer.getvalue()))


# Images in a story's body ------------------------------------------------------
# The column is 42rem wide from 44rem of viewport up (the featured picture's
# figure says the same): without this a desktop browser would take the 1600-pixel
# copy for a 672-pixel column, as CKEditor writes sizes="100vw".
BODY_IMAGE_SIZES = "(min-width: 44rem) 42rem, 100vw"
IMG_TAG = re.compile(r"<img\b[^>]*>")
SIZES_ATTR = re.compile(r'\ssizes="[^"]*"')


def responsive_body_images(html, storage=None):
    """Sanitized body HTML with each image made responsive: the srcset of its
    renditions when it has none (photos inserted before the editor wrote them, and
    stored editor uploads once the worker has made theirs), sizes for the story's
    column, and loading="lazy"."""
    storage = storage or default_storage
    rendition = re.compile(
        rf'\ssrc="{re.escape(storage.url("renditions/"))}([^/"]+)/\d+\.(jpg|png)"'
    )
    upload = re.compile(
        rf'\ssrc="{re.escape(storage.url(EDITOR_UPLOADS))}([0-9a-f]{{32}})\.'
        r'(jpg|png|webp)"'
    )

    def responsive(match):
        tag = match.group(0)
        if " srcset=" not in tag:
            srcset = ""
            if found := rendition.search(tag):
                srcset = _srcset(storage, found[1], [found[2]])
            elif found := upload.search(tag):
                # Renditions of a JPEG are JPEGs; of anything else, PNG if it has
                # transparency (make_renditions).
                extensions = ["jpg"] if found[2] == "jpg" else ["png", "jpg"]
                srcset = _srcset(storage, found[1], extensions)
            if srcset:
                tag = f'<img srcset="{srcset}"{tag[4:]}'
        if " srcset=" in tag:
            tag = SIZES_ATTR.sub("", tag)
            tag = f'<img sizes="{BODY_IMAGE_SIZES}"{tag[4:]}'
        if " loading=" not in tag:
            tag = f'<img loading="lazy"{tag[4:]}'
        return tag

    return IMG_TAG.sub(responsive, html)


def _srcset(storage, stem, extensions):
    """The srcset of the renditions of the file named `stem` that exist, in the
    first of `extensions` that has any; "" when none do."""
    for extension in extensions:
        names = [(w, f"renditions/{stem}/{w}.{extension}") for w in RENDITION_WIDTHS]
        srcset = ", ".join(
            f"{storage.url(name)} {width}w"
            for width, name in names
            if storage.exists(name)
        )
        if srcset:
            return srcset
    return ""
