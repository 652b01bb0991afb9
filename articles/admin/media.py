"""Images."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from newsroom.admin import RefuseStaleSavesMixin

from ..images import process_upload
from ..models import Image


class ImageForm(forms.ModelForm):
    class Meta:
        model = Image
        fields = [
            "file",
            "alt_text",
            "decorative",
            "caption",
            "credit",
            "may_redistribute",
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload and upload != self.initial.get("file"):
            # Re-encoded, stripped of metadata and renamed before it is stored.
            return process_upload(upload)
        return upload


@admin.register(Image)
class ImageAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    form = ImageForm
    list_display = ["thumbnail", "__str__", "credit", "may_redistribute", "created_at"]
    list_filter = ["may_redistribute", "decorative"]
    search_fields = ["alt_text", "caption", "credit"]
    readonly_fields = ["preview", "dimensions"]

    @admin.display(description=gettext_lazy("Image"))
    def thumbnail(self, image):
        if not image.file:
            return ""
        # The stored file until the worker has made the renditions.
        name = image.renditions[0]["fallback"] if image.renditions else image.file.name
        return format_html(
            '<img src="{}" alt="" width="80" style="height:auto">',
            image.file.storage.url(name),
        )

    @admin.display(description=gettext_lazy("Preview"))
    def preview(self, image):
        if not image.pk:
            return "-"
        return format_html(
            '<img src="{}" alt="" style="max-width:480px;height:auto">',
            image.fallback_url(),
        )

    @admin.display(description=gettext_lazy("Size"))
    def dimensions(self, image):
        return f"{image.width} × {image.height}" if image.pk else "-"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)
