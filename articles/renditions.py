"""
Renditions of uploaded images, made by the task worker, not in the upload's request.

Resizing a photo to every width in two formats took seconds of a web worker's time,
and four large uploads at once left readers and health checks waiting. The upload
now only validates and re-encodes the file (articles.images.process_upload, within
its memory and time budget) and answers; saving an Image without renditions queues
make_image_renditions in the same transaction, so a save that is rolled back queues
nothing. Until the renditions land, pages show the stored file (at most 3,200 pixels,
with the image's own width and height, so nothing moves when they arrive).

The task is safe to run twice or late: it writes the same files again, and keeps
its list only if the image still has the file it was made from. Saving the list
moves the page cache on (newsroom.cache) and makes the stories that show the image
render their stored parts again (the triggers of articles.parts).

Photos inserted in the editor's body are stored files with no Image row: their upload
queues make_upload_renditions for the file. A body names the file by its address,
and articles.images.responsive_body_images gives it the srcset of its renditions
once they exist; so when they land the task forgets the stored parts of the stories
whose body names the file, and moves the page cache on.
"""

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_save
from django.dispatch import receiver
from django_tasks import task

from newsroom import cache

from .images import make_renditions
from .models import Article, Image


@receiver(post_save, sender=Image, dispatch_uid="articles-image-renditions")
def queue_renditions(sender, instance, raw=False, **kwargs):
    if raw or instance.renditions or not instance.file:
        return
    make_image_renditions.enqueue(instance.pk, instance.file.name)


@task()
def make_image_renditions(image_id, name):
    """Make the renditions of image `image_id`'s file `name`; whether they were
    kept (not when the image was deleted or given another file meanwhile)."""
    if not Image.objects.filter(pk=image_id, file=name).exists():
        return False
    renditions = make_renditions(name, Image._meta.get_field("file").storage)
    with transaction.atomic():
        image = Image.objects.select_for_update().filter(pk=image_id, file=name)
        image = image.first()
        if image is None:
            return False
        image.renditions = renditions
        image.save(update_fields=["renditions"])
    return True


@task()
def make_upload_renditions(name):
    """Make the renditions of `name`, a file the editor's upload stored; whether it
    was still there. The stories whose body shows it render again."""
    if not default_storage.exists(name):
        return False
    make_renditions(name, default_storage)
    # A write carrying another generation than the row's makes the story's trigger
    # forget its parts (articles.caching); a render that started before the
    # renditions existed is then not kept either.
    shown = Article.objects.filter(body__contains=name).update(
        parts_generation=F("parts_generation") + 1
    )
    if shown:
        cache.bump()
    return True
