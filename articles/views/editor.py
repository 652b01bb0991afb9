"""Endpoints of the rich-text editor in the admin."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..images import (
    TooManyUploads,
    make_renditions,
    process_upload,
    shown_rendition,
    upload_slot,
)


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
            name = default_storage.save(f"images/editor/{processed.name}", processed)
            renditions = make_renditions(name, default_storage)
    except ValidationError as error:
        return JsonResponse(
            {"error": {"message": " ".join(error.messages)}}, status=400
        )
    except TooManyUploads:
        message = _(
            "Two of your images are still uploading: wait for them, then try again."
        )
        return JsonResponse({"error": {"message": message}}, status=429)
    # CKEditor's upload adapter writes the numbered ones as the image's srcset, so
    # a phone downloads the 480-pixel copy, not the 1200. JPEG or PNG, not WebP:
    # a browser that reads srcset but not WebP would show nothing.
    urls = {str(r["width"]): default_storage.url(r["fallback"]) for r in renditions}
    urls["default"] = default_storage.url(shown_rendition(renditions)["fallback"])
    return JsonResponse({"urls": urls})
