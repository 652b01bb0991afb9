"""The admin site: Django's, with "View on site" limited to what the user may see."""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _


class NewsroomAdminSite(admin.AdminSite):
    def get_urls(self):
        # Ahead of Django's own "r/<ct>/<pk>/", which hands any staff member the
        # public address of any object by number, drafts included.
        return [
            path(
                "r/<int:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
            *super().get_urls(),
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """The public address of an object the user may see in the admin, or a
        404 (as for an object that does not exist)."""
        not_found = Http404(_("There is no such object."))
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            raise not_found from None
        model_admin = self._registry.get(model)
        if model_admin is None:
            raise not_found
        try:
            obj = model_admin.get_queryset(request).get(pk=object_id)
        except (model.DoesNotExist, ValidationError, ValueError):
            raise not_found from None
        if not model_admin.has_view_or_change_permission(request, obj):
            raise not_found
        return shortcut(request, content_type_id, object_id)
