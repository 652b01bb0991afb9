"""Renditions made by the task worker (articles.renditions), with the real database
queue: the upload answers first, pages show the stored file meanwhile, for library
images and for photos inserted in the editor's body."""

import re
from io import BytesIO

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from PIL import Image as PILImage

from articles.images import BODY_IMAGE_SIZES
from articles.models import Article, Image
from articles.renditions import make_image_renditions, make_upload_renditions
from newsroom.cache import GENERATION_KEY
from tests.donations.test_imports import run_worker
from tests.factories import ArticleFactory, ImageFactory, UserFactory, jpeg

pytestmark = pytest.mark.django_db


def test_saving_an_image_queues_its_renditions_for_the_worker(client, db_tasks):
    image = ImageFactory(file=jpeg(2000, 1000))
    article = ArticleFactory(featured_image=image)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "articles.renditions.make_image_renditions"
    assert queued.args_kwargs["args"] == [image.pk, image.file.name]
    image.refresh_from_db()
    assert image.renditions == []

    # Meanwhile the story shows the stored file, at its own size: nothing moves
    # when the renditions come.
    page = client.get(article.get_absolute_url()).content.decode()
    assert f'<img src="{image.file.url}" width="2000" height="1000"' in page
    assert "renditions/" not in page
    teaser = client.get("/").content.decode()
    assert f'src="{image.file.url}"' in teaser

    generation = cache.get(GENERATION_KEY)
    run_worker()
    image.refresh_from_db()
    assert [r["width"] for r in image.renditions] == [480, 800, 1200, 1600]
    assert all(default_storage.exists(r["fallback"]) for r in image.renditions)
    # Cached pages move on, and the stories showing the image render it again.
    assert cache.get(GENERATION_KEY) != generation
    assert Article.objects.get(pk=article.pk).card_parts is None
    page = client.get(article.get_absolute_url()).content.decode()
    assert image.fallback_url() in page
    assert image.fallback_url().endswith("/1200.jpg")
    assert 'srcset="' in page
    teaser = client.get("/").content.decode()
    assert f'src="{image.fallback_url()}"' in teaser


def test_the_task_run_twice_makes_the_same_renditions(db_tasks):
    image = ImageFactory(file=jpeg(1000, 500))
    assert make_image_renditions.call(image.pk, image.file.name) is True
    image.refresh_from_db()
    first = image.renditions
    assert make_image_renditions.call(image.pk, image.file.name) is True
    image.refresh_from_db()
    assert image.renditions == first
    assert [r["width"] for r in first] == [480, 800]


def test_a_task_for_a_replaced_or_deleted_file_keeps_nothing(db_tasks):
    image = ImageFactory(file=jpeg(1000, 500))
    old_name = image.file.name
    image.file = jpeg(900, 600)
    image.save()
    assert make_image_renditions.call(image.pk, old_name) is False
    image.refresh_from_db()
    assert image.renditions == []
    # The new file's own task, queued by the save, makes them.
    run_worker()
    image.refresh_from_db()
    assert [(r["width"], r["height"]) for r in image.renditions] == [
        (480, 320),
        (800, 533),
    ]
    Image.objects.filter(pk=image.pk).delete()
    assert make_image_renditions.call(image.pk, image.file.name) is False


def test_a_save_rolled_back_queues_nothing(db_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        ImageFactory()
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


# Photos inserted in the editor's body: stored files, no Image row


def upload(client, image, image_format="JPEG"):
    buffer = BytesIO()
    image.save(buffer, image_format)
    client.force_login(UserFactory(role="Editor"))
    response = client.post(
        reverse("articles:editor-image-upload"),
        {"upload": SimpleUploadedFile("photo", buffer.getvalue())},
    )
    assert response.status_code == 200
    return response.json()["urls"]


def body_image(client, article):
    page = client.get(article.get_absolute_url()).content.decode()
    [tag] = re.findall(r'<img [^>]*alt="Teal"[^>]*>', page)
    return tag


def srcset_widths(tag):
    srcset = re.search(r'srcset="([^"]*)"', tag)[1]
    return [candidate.rsplit(" ", 1) for candidate in srcset.split(", ")]


def test_an_editor_upload_answers_the_stored_file_and_the_worker_adds_the_srcset(
    client, db_tasks
):
    urls = upload(client, PILImage.new("RGB", (1700, 1000), "teal"))
    # At once, the stored file: re-encoded, at its own size.
    assert list(urls) == ["default"]
    name = urls["default"].removeprefix(settings.MEDIA_URL)
    assert re.fullmatch(r"images/editor/[0-9a-f]{32}\.jpg", name)
    assert PILImage.open(default_storage.open(name)).size == (1700, 1000)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "articles.renditions.make_upload_renditions"
    assert queued.args_kwargs["args"] == [name]
    stem = name.rsplit("/", 1)[1].removesuffix(".jpg")
    assert not default_storage.exists(f"renditions/{stem}/480.jpg")

    # As CKEditor inserts it: the width and height of the file it was answered.
    article = ArticleFactory(
        body=f'<p>Text.</p><figure class="image"><img src="{urls["default"]}" '
        'width="1700" height="1000" alt="Teal"></figure>'
    )
    tag = body_image(client, article)
    assert "srcset=" not in tag
    assert Article.objects.get(pk=article.pk).story_parts is not None
    other = ArticleFactory(body="<p>No picture.</p>")
    client.get(other.get_absolute_url())

    generation = cache.get(GENERATION_KEY)
    run_worker()
    # The story showing it renders again, the others keep their parts.
    assert Article.objects.get(pk=article.pk).story_parts is None
    assert Article.objects.get(pk=other.pk).story_parts is not None
    assert cache.get(GENERATION_KEY) != generation
    tag = body_image(client, article)
    assert [width for _url, width in srcset_widths(tag)] == [
        "480w",
        "800w",
        "1200w",
        "1600w",
    ]
    for url, width in srcset_widths(tag):
        assert url == default_storage.url(f"renditions/{stem}/{width[:-1]}.jpg")
        stored = PILImage.open(
            default_storage.open(url.removeprefix(settings.MEDIA_URL))
        )
        assert stored.width == int(width[:-1])
    # Same picture, same room: nothing moves when the srcset arrives.
    assert f'src="{urls["default"]}"' in tag
    assert 'width="1700" height="1000"' in tag
    assert f'sizes="{BODY_IMAGE_SIZES}"' in tag


@pytest.mark.parametrize(
    ("mode", "colour", "extension"),
    [("RGBA", (0, 128, 128, 100), "png"), ("RGB", "teal", "jpg")],
)
def test_a_png_inserted_in_the_editor_gets_renditions_of_its_kind(
    client, db_tasks, mode, colour, extension
):
    urls = upload(client, PILImage.new(mode, (900, 600), colour), "PNG")
    assert urls["default"].endswith(".png")
    article = ArticleFactory(
        body=f'<p><img src="{urls["default"]}" width="900" height="600" alt="Teal">'
    )
    run_worker()
    tag = body_image(client, article)
    assert [url.rsplit("/", 1)[1] for url, _w in srcset_widths(tag)] == [
        f"480.{extension}",
        f"800.{extension}",
    ]


def test_an_upload_rolled_back_queues_nothing(client, db_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        upload(client, PILImage.new("RGB", (600, 400), "teal"))
        assert DBTaskResult.objects.count() == 1
        raise RuntimeError
    assert not DBTaskResult.objects.exists()


def test_the_upload_task_run_twice_or_late_is_harmless(client, db_tasks):
    urls = upload(client, PILImage.new("RGB", (1000, 500), "teal"))
    name = urls["default"].removeprefix(settings.MEDIA_URL)
    stem = name.rsplit("/", 1)[1].removesuffix(".jpg")
    renditions = [f"renditions/{stem}/{width}.jpg" for width in (480, 800)]
    # No story shows it yet: the cached pages stay.
    generation = cache.get(GENERATION_KEY)
    assert make_upload_renditions.call(name) is True
    assert make_upload_renditions.call(name) is True
    assert cache.get(GENERATION_KEY) == generation
    assert all(default_storage.exists(r) for r in renditions)
    assert not default_storage.exists(f"renditions/{stem}/1200.jpg")
    default_storage.delete(name)
    assert make_upload_renditions.call(name) is False


def test_the_image_list_shows_the_stored_file_until_the_renditions_land(
    admin_client, db_tasks
):
    image = ImageFactory(file=jpeg(1000, 500))
    thumbnail = f'<img src="{image.file.url}" alt="" width="80" style="height:auto">'
    changelist = reverse("admin:articles_image_changelist")
    assert thumbnail in admin_client.get(changelist).content.decode()
    run_worker()
    image.refresh_from_db()
    page = admin_client.get(changelist).content.decode()
    assert thumbnail not in page
    rendition = image.file.storage.url(image.renditions[0]["fallback"])
    assert f'<img src="{rendition}" alt="" width="80"' in page
