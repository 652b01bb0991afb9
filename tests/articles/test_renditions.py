"""Renditions made by the task worker (articles.renditions), with the real database
queue: the upload answers first, pages show the stored file meanwhile."""

import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from articles.models import Article, Image
from articles.renditions import make_image_renditions
from newsroom.cache import GENERATION_KEY
from tests.donations.test_imports import run_worker
from tests.factories import ArticleFactory, ImageFactory, jpeg

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
