import re
import struct
import zlib
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from articles import images
from articles.images import make_renditions, process_upload

UUID_NAME = re.compile(r"^[0-9a-f]{32}\.(jpg|png|webp)$")


def image_bytes(image, image_format, **params):
    buffer = BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def opened(content):
    return Image.open(BytesIO(content.read()))


def rejection_code(data, name="photo.jpg"):
    with pytest.raises(ValidationError) as excinfo:
        process_upload(upload(data, name))
    return excinfo.value.code


def two_colour_image(size=(40, 20), mode="RGB"):
    """Left half red, right half blue: shows which way an image was turned."""
    image = Image.new(mode, size, "blue")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def png_declaring(width, height):
    """A tiny PNG whose header claims width x height (its data holds one pixel)."""
    data = bytearray(image_bytes(Image.new("L", (1, 1)), "PNG"))
    # Signature (8 bytes), then the IHDR chunk: length, type, 13 bytes of data, CRC.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def photo_with_gps_and_orientation():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # Turn 90 degrees clockwise to display.
    exif[ExifTags.Base.Make] = "Phone maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return image_bytes(
        two_colour_image(),
        "JPEG",
        exif=exif,
        comment=b"Taken at the source's flat",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>',
    )


# Metadata and orientation


def test_gps_is_stripped_from_a_jpeg():
    data = photo_with_gps_and_orientation()
    original = Image.open(BytesIO(data))
    assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # The input has GPS.

    result = opened(process_upload(upload(data)))

    assert dict(result.getexif()) == {}
    assert result.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert {"exif", "xmp", "comment", "icc_profile"}.isdisjoint(result.info)


def test_exif_orientation_is_applied_before_it_is_stripped():
    content = process_upload(upload(photo_with_gps_and_orientation()))

    result = opened(content)
    assert result.size == (20, 40)
    assert (content.width, content.height) == (20, 40)
    # Turned clockwise, the red left half is now on top.
    red, green, blue = result.getpixel((10, 5))
    assert red > 200 and blue < 50
    red, green, blue = result.getpixel((10, 35))
    assert blue > 200 and red < 50


def test_png_text_chunks_and_exif_are_stripped():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "A source who must stay anonymous")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone maker"
    data = image_bytes(two_colour_image(), "PNG", pnginfo=text, exif=exif)
    assert "Author" in Image.open(BytesIO(data)).info

    result = opened(process_upload(upload(data, "graphic.png")))

    assert "Author" not in result.info
    assert "exif" not in result.info
    assert dict(result.getexif()) == {}


def test_colour_profile_is_removed_and_colours_are_kept():
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes(two_colour_image(), "JPEG", icc_profile=profile)
    assert Image.open(BytesIO(data)).info["icc_profile"]

    result = opened(process_upload(upload(data)))

    assert "icc_profile" not in result.info
    red, green, blue = result.getpixel((5, 10))
    assert red > 200 and blue < 50


# Accepted formats


def test_jpeg_is_re_encoded_as_a_progressive_jpeg_with_a_generated_name():
    data = image_bytes(two_colour_image((64, 48)), "JPEG")

    content = process_upload(upload(data, "Source interview.jpg"))

    assert UUID_NAME.match(content.name)
    assert content.name.endswith(".jpg")
    assert (content.width, content.height, content.image_format) == (64, 48, "JPEG")
    result = opened(content)
    assert result.format == "JPEG"
    assert result.mode == "RGB"
    assert result.info.get("progressive") == 1


def test_the_same_file_uploaded_twice_gets_two_different_names():
    data = image_bytes(two_colour_image(), "JPEG")

    first = process_upload(upload(data))
    second = process_upload(upload(data))

    assert first.name != second.name
    assert "photo" not in first.name


def test_type_is_decided_by_content_not_by_name():
    data = image_bytes(two_colour_image(), "PNG")

    content = process_upload(upload(data, "photo.jpg", "image/jpeg"))

    assert content.image_format == "PNG"
    assert content.name.endswith(".png")


def test_png_keeps_its_transparency():
    image = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    image.putpixel((5, 5), (0, 128, 0, 128))
    data = image_bytes(image, "PNG")

    content = process_upload(upload(data, "logo.png"))

    assert content.name.endswith(".png")
    result = opened(content)
    assert result.format == "PNG"
    assert result.mode == "RGBA"
    assert result.getpixel((0, 0))[3] == 0
    assert result.getpixel((5, 5)) == (0, 128, 0, 128)


def test_webp_stays_webp():
    data = image_bytes(two_colour_image(), "WEBP")

    content = process_upload(upload(data, "photo.webp"))

    assert UUID_NAME.match(content.name)
    assert content.name.endswith(".webp")
    assert content.image_format == "WEBP"
    assert opened(content).format == "WEBP"


def test_gif_becomes_a_png_of_its_first_frame_keeping_transparency():
    first = Image.new("P", (10, 10), 1)
    first.putpalette([0, 0, 0, 255, 0, 0, 0, 0, 255])
    first.putpixel((0, 0), 0)
    second = first.copy()
    second.paste(2, (0, 0, 10, 10))
    data = image_bytes(
        first, "GIF", save_all=True, append_images=[second], transparency=0
    )

    content = process_upload(upload(data, "animation.gif"))

    assert content.name.endswith(".png")
    assert content.image_format == "PNG"
    result = opened(content)
    assert result.format == "PNG"
    assert getattr(result, "n_frames", 1) == 1
    assert result.getpixel((0, 0))[3] == 0
    assert result.getpixel((5, 5)) == (255, 0, 0, 255)


def test_multi_picture_jpeg_from_a_camera_is_accepted_as_jpeg():
    data = image_bytes(
        two_colour_image(), "MPO", save_all=True, append_images=[two_colour_image()]
    )
    assert Image.open(BytesIO(data)).format == "MPO"

    content = process_upload(upload(data))

    assert content.image_format == "JPEG"
    assert opened(content).format == "JPEG"


def test_cmyk_jpeg_becomes_rgb():
    data = image_bytes(Image.new("CMYK", (10, 10), (0, 255, 255, 0)), "JPEG")

    result = opened(process_upload(upload(data)))

    assert result.mode == "RGB"
    red, green, blue = result.getpixel((5, 5))
    assert red > 200 and green < 50 and blue < 50


def test_16_bit_greyscale_png_keeps_its_tones():
    data = image_bytes(Image.new("I;16", (4, 4), 32768), "PNG")

    result = opened(process_upload(upload(data, "scan.png")))

    assert result.getpixel((0, 0)) == (128, 128, 128)


# Refusals


def test_svg_is_refused_as_not_an_image_with_its_own_message():
    # An SVG also contains markup; it is reported as not_an_image, with a message
    # naming SVG, rather than as embedded_markup.
    svg = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b"<!-- Exported from a drawing program -->\n"
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b'<rect width="10" height="10" fill="red"/></svg>\n'
    )
    with pytest.raises(ValidationError) as excinfo:
        process_upload(upload(svg, "chart.svg", "image/svg+xml"))

    assert excinfo.value.code == "not_an_image"
    assert "SVG images are not accepted" in excinfo.value.messages[0]


@pytest.mark.parametrize(
    "data",
    [
        b"Interview notes, not a photo.\n",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        b"",
    ],
    ids=["text", "pdf", "empty"],
)
def test_file_that_is_not_an_image_is_refused_whatever_its_name(data):
    assert rejection_code(data, "photo.jpg") == "not_an_image"


@pytest.mark.parametrize(
    "build",
    [
        lambda: (
            image_bytes(Image.new("P", (4, 4)), "GIF")
            + b"<html><script>alert(1)</script></html>"
        ),
        lambda: (
            image_bytes(Image.new("RGB", (4, 4)), "JPEG")
            + b"<?php system($_GET['c']); ?>"
        ),
        lambda: image_bytes(Image.new("RGB", (4, 4)), "JPEG") + b"<SCRIPT>x</SCRIPT>",
        lambda: image_bytes(
            Image.new("RGB", (4, 4)), "JPEG", comment=b"<a href='javascript:x()'>"
        ),
        lambda: b"<!DOCTYPE html><html><body>Hello</body></html>",
    ],
    ids=["gif-with-html", "jpeg-with-php", "uppercase-script", "comment", "html"],
)
def test_file_with_embedded_markup_is_refused(build):
    assert rejection_code(build()) == "embedded_markup"


@pytest.mark.parametrize(
    ("image_format", "params"),
    [("BMP", {}), ("TIFF", {}), ("ICO", {"sizes": [(16, 16)]})],
)
def test_image_in_an_unsupported_format_is_refused(image_format, params):
    data = image_bytes(two_colour_image((16, 16)), image_format, **params)

    with pytest.raises(ValidationError) as excinfo:
        process_upload(upload(data, "photo.jpg"))

    assert excinfo.value.code == "unsupported_format"
    assert image_format in excinfo.value.messages[0]


def test_decompression_bomb_is_refused_from_its_header():
    # 30000 x 30000 is also over Pillow's own limit, which raises in Image.open().
    assert rejection_code(png_declaring(30_000, 30_000), "map.png") == "too_many_pixels"


def test_image_over_the_pixel_cap_is_refused_before_decoding():
    # 48 million pixels: under Pillow's limit, over ours. The file only holds
    # one pixel of data, so decoding it would have failed as "corrupt".
    assert rejection_code(png_declaring(8000, 6000), "map.png") == "too_many_pixels"


def test_image_at_the_pixel_cap_is_accepted(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 40 * 20)
    data = image_bytes(two_colour_image((40, 20)), "PNG")

    assert process_upload(upload(data, "map.png")).width == 40


def test_too_large_upload_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 1000)
    uploaded = upload(image_bytes(Image.effect_noise((100, 100), 100), "PNG"))
    assert uploaded.size > 1000

    with pytest.raises(ValidationError) as excinfo:
        process_upload(uploaded)

    assert excinfo.value.code == "too_large"
    assert uploaded.tell() == 0


def test_too_large_stream_without_a_size_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", 1000)
    stream = BytesIO(image_bytes(Image.effect_noise((100, 100), 100), "PNG"))
    assert not hasattr(stream, "size")

    with pytest.raises(ValidationError) as excinfo:
        process_upload(stream)

    assert excinfo.value.code == "too_large"


def test_upload_at_the_size_limit_is_accepted(monkeypatch):
    data = image_bytes(Image.new("RGB", (4, 4)), "PNG")
    monkeypatch.setattr(images, "MAX_UPLOAD_BYTES", len(data))

    assert process_upload(BytesIO(data)).image_format == "PNG"


def test_truncated_jpeg_is_refused_as_corrupt():
    data = image_bytes(Image.effect_noise((200, 200), 100).convert("RGB"), "JPEG")

    assert rejection_code(data[: len(data) // 2]) == "corrupt"


# Renditions


@pytest.fixture
def storage(tmp_path):
    return FileSystemStorage(location=tmp_path)


def store(storage, image, image_format="JPEG", name="photo.jpg"):
    content = process_upload(upload(image_bytes(image, image_format), name))
    return storage.save(f"originals/{content.name}", content)


def stored_files(storage, directory):
    return sorted(storage.listdir(directory)[1])


def test_renditions_are_written_at_each_width_as_webp_and_jpeg(storage):
    name = store(storage, two_colour_image((2000, 1000)))
    stem = name.removeprefix("originals/").removesuffix(".jpg")

    renditions = make_renditions(name, storage=storage)

    assert [(r["width"], r["height"]) for r in renditions] == [
        (480, 240),
        (800, 400),
        (1200, 600),
        (1600, 800),
    ]
    assert renditions[0]["webp"] == f"renditions/{stem}/480.webp"
    assert renditions[0]["fallback"] == f"renditions/{stem}/480.jpg"
    for rendition in renditions:
        size = (rendition["width"], rendition["height"])
        with storage.open(rendition["webp"]) as f:
            webp = Image.open(f)
            assert (webp.format, webp.size) == ("WEBP", size)
        with storage.open(rendition["fallback"]) as f:
            fallback = Image.open(f)
            assert (fallback.format, fallback.size) == ("JPEG", size)


def test_image_narrower_than_every_width_gets_one_rendition_at_its_own_width(
    storage,
):
    name = store(storage, two_colour_image((300, 200)))

    renditions = make_renditions(name, storage=storage)

    assert [(r["width"], r["height"]) for r in renditions] == [(300, 200)]
    assert storage.exists(renditions[0]["webp"])
    assert storage.exists(renditions[0]["fallback"])


def test_image_exactly_at_a_width_gets_a_rendition_at_that_width(storage):
    name = store(storage, two_colour_image((800, 400)))

    renditions = make_renditions(name, storage=storage)

    assert [r["width"] for r in renditions] == [480, 800]


def test_transparent_image_gets_png_fallbacks_keeping_alpha(storage):
    image = Image.new("RGBA", (1000, 500), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 500, 500))
    name = store(storage, image, "PNG", "logo.png")

    renditions = make_renditions(name, storage=storage)

    assert [r["width"] for r in renditions] == [480, 800]
    for rendition in renditions:
        assert rendition["fallback"].endswith(f"/{rendition['width']}.png")
        with storage.open(rendition["fallback"]) as f:
            fallback = Image.open(f)
            assert (fallback.format, fallback.mode) == ("PNG", "RGBA")
            assert fallback.getpixel((fallback.width - 1, 0))[3] == 0
        with storage.open(rendition["webp"]) as f:
            assert Image.open(f).mode == "RGBA"


def test_opaque_png_gets_jpeg_fallbacks(storage):
    name = store(storage, two_colour_image((600, 300), "RGBA"), "PNG", "chart.png")

    renditions = make_renditions(name, storage=storage)

    assert renditions[0]["fallback"].endswith("/480.jpg")


def test_making_renditions_twice_overwrites_them(storage):
    name = store(storage, two_colour_image((2000, 1000)))
    stem = name.removeprefix("originals/").removesuffix(".jpg")

    first = make_renditions(name, storage=storage)
    files = stored_files(storage, f"renditions/{stem}")
    second = make_renditions(name, storage=storage)

    assert second == first
    assert stored_files(storage, f"renditions/{stem}") == files
    assert len(files) == 8


def test_renditions_use_the_default_storage_when_none_is_given():
    name = store(default_storage, two_colour_image((500, 250)))

    renditions = make_renditions(name)

    assert [r["width"] for r in renditions] == [480]
    assert default_storage.exists(renditions[0]["webp"])


# Images in a story's body


@pytest.fixture
def wide_photo(settings):
    buffer = BytesIO()
    Image.new("RGB", (1700, 1000), "teal").save(buffer, "JPEG")
    name = default_storage.save(
        "images/editor/wide.jpg",
        process_upload(SimpleUploadedFile("wide.jpg", buffer.getvalue())),
    )
    make_renditions(name)
    return name.rsplit("/", 1)[-1].rsplit(".", 1)[0]


@pytest.mark.django_db
def test_a_body_photo_without_srcset_gets_its_renditions(client, wide_photo):
    from tests.factories import ArticleFactory

    src = default_storage.url(f"renditions/{wide_photo}/1200.jpg")
    article = ArticleFactory(
        body=f'<p>Text.</p><figure class="image"><img src="{src}" alt="Teal"></figure>'
    )
    page = client.get(article.get_absolute_url()).content.decode()
    [tag] = re.findall(r"<img [^>]*alt=\"Teal\"[^>]*>", page)
    srcset = re.search(r'srcset="([^"]*)"', tag).group(1)
    assert [c.rsplit(" ", 1)[1] for c in srcset.split(", ")] == [
        "480w",
        "800w",
        "1200w",
        "1600w",
    ]
    assert f'sizes="{images.BODY_IMAGE_SIZES}"' in tag
    assert 'loading="lazy"' in tag


def test_the_editors_sizes_give_way_to_the_columns():
    html = (
        '<p><img src="/media/x/1200.jpg" srcset="/media/x/480.jpg 480w, '
        '/media/x/1200.jpg 1200w" sizes="100vw" alt="A"></p>'
    )
    tag = images.responsive_body_images(html)
    assert tag.count("sizes=") == 1
    assert f'sizes="{images.BODY_IMAGE_SIZES}"' in tag
    assert 'srcset="/media/x/480.jpg 480w, /media/x/1200.jpg 1200w"' in tag


@pytest.mark.parametrize(
    "src",
    [
        "https://example.org/photo.jpg",  # not ours
        "/media/renditions/gone/1200.jpg",  # ours, but its renditions are gone
        # An editor upload whose renditions the worker has not made yet.
        f"/media/images/editor/{'0' * 32}.jpg",
    ],
)
def test_an_image_without_renditions_is_only_made_lazy(src):
    tag = images.responsive_body_images(f'<img src="{src}" alt="A">')
    assert tag == f'<img loading="lazy" src="{src}" alt="A">'


def test_an_image_that_says_how_to_load_keeps_it():
    tag = '<img src="/a.jpg" loading="eager" alt="A">'
    assert images.responsive_body_images(tag) == tag


def test_a_very_large_photo_is_decoded_and_kept_within_a_budget():
    import time

    from articles.images import MAX_STORED_EDGE

    buffer = BytesIO()
    Image.new("RGB", (7200, 4800), "teal").save(buffer, "JPEG", quality=90)
    started = time.monotonic()

    content = process_upload(upload(buffer.getvalue(), "huge.jpg"))

    assert (content.width, content.height) == (MAX_STORED_EDGE, 2133)
    # Decoded in draft mode at 1/2 scale: well under the seconds a full decode,
    # re-encode and resize of 35 megapixels took.
    assert time.monotonic() - started < 10


def test_a_large_png_is_kept_within_the_budget_too():
    buffer = BytesIO()
    Image.new("RGB", (6400, 1000), "navy").save(buffer, "PNG")

    content = process_upload(upload(buffer.getvalue(), "wide.png"))

    assert (content.width, content.height) == (3200, 500)


@pytest.mark.django_db
def test_one_person_uploads_at_most_two_images_at_once(client, settings):
    import psycopg2
    from django.db import connection
    from django.urls import reverse

    from articles.images import _UPLOAD_LOCKS, MAX_UPLOADS_AT_ONCE
    from tests.factories import UserFactory

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    editor = UserFactory(role="Editor")
    client.force_login(editor)
    db = connection.settings_dict
    # Two uploads of theirs in progress elsewhere (another worker's session).
    other = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432
    )
    cursor = other.cursor()
    keys = [editor.pk * MAX_UPLOADS_AT_ONCE + slot for slot in range(2)]
    for key in keys:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_UPLOAD_LOCKS, key])

    def send():
        buffer = BytesIO()
        Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG")
        return client.post(
            reverse("articles:editor-image-upload"),
            {"upload": upload(buffer.getvalue(), "photo.jpg")},
        )

    try:
        refused = send()
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_UPLOAD_LOCKS, keys[0]])
        accepted = send()
    finally:
        other.close()

    assert refused.status_code == 429
    assert "still uploading" in refused.json()["error"]["message"]
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    "widths, shown",
    [
        ((480, 800, 1200, 1600), 1200),
        ((480, 800), 800),
        ((300,), 300),
        ((1600,), 1600),
        ((), None),
    ],
)
def test_the_shown_rendition_is_the_largest_up_to_1200_pixels(widths, shown):
    renditions = [{"width": width, "fallback": f"{width}.jpg"} for width in widths]
    rendition = images.shown_rendition(renditions)
    assert (rendition and rendition["width"]) == shown
