"""Endpoints of the rich-text editor in the admin."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..images import EDITOR_UPLOADS, TooManyUploads, process_upload, upload_slot
from ..renditions import make_upload_renditions


@require_POST
@staff_member_required
def editor_image_upload(request):
    """Images inserted in CKEditor 5: the same pipeline as every upload."""
    if not request.user.has_perm("articles.add_image"):
        return JsonResponse(
            {"error": {"message": _("You may not upload images.")}}, status=403
        )
    upload = request.FILES.get("upload")
    if upload is None:
        return JsonResponse({"error": {"message": _("No file was sent.")}}, status=400)
    try:
        with upload_slot(request.user):
            processed = process_upload(upload)
            name = default_storage.save(EDITOR_UPLOADS + processed.name, processed)
            # Queued in the request's transaction, if it has one: rolled back, it
            # queues nothing.
            make_upload_renditions.enqueue(name)
    except ValidationError as error:
        return JsonResponse(
            {"error": {"message": " ".join(error.messages)}}, status=400
        )
    except TooManyUploads:
        message = _(
            "Two of your images are still uploading: wait for them, then try again."
        )
        return JsonResponse({"error": {"message": message}}, status=429)
    # The stored file (at most MAX_STORED_EDGE pixels, stripped of its metadata)
    # until the worker has made the renditions: the story's page then gives it
    # their srcset (articles.images.responsive_body_images).
    return JsonResponse({"urls": {"default": default_storage.url(name)}})
