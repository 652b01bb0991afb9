"""The admin site: Django's, with "View on site" limited to what the user may see;
and the refusal of stale saves, for every admin form more than one person may edit."""

import hashlib
import json
from functools import wraps

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.decorators import secure_admin_login
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _


class StaffAccountAdapter(DefaultAccountAdapter):
    """Accounts are made by a site admin, never by signing up."""

    def is_open_for_signup(self, request):
        return False


def must_enrol_second_factor(user):
    """Whether `user` must add a second factor before the admin opens for them
    (settings.MFA_REQUIRED, for superusers and MFA_REQUIRED_ROLES)."""
    if not (settings.MFA_REQUIRED and user.is_authenticated):
        return False
    required = (
        user.is_superuser
        or user.groups.filter(name__in=settings.MFA_REQUIRED_ROLES).exists()
    )
    return required and not is_mfa_enabled(user)


class NewsroomAdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        # Signing in happens at allauth's page (throttled, with a second factor);
        # the admin's own form would skip both.
        return secure_admin_login(super().login)(request, extra_context)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def second_factor_first(request, *args, **kwargs):
            if must_enrol_second_factor(request.user):
                messages.warning(
                    request,
                    _(
                        "Your role requires a second factor: add an authenticator "
                        "app or a security key to open the admin."
                    ),
                )
                return redirect("mfa_index")
            return inner(request, *args, **kwargs)

        return second_factor_first

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


def https_urls(field, **kwargs):
    """A link typed without a scheme is taken as https (Django 6's default), in
    an admin form's own fields (its `Meta.formfield_callback`). The admin builds
    the form it shows with its `formfield_overrides` instead, which say the same."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


# Stale saves ------------------------------------------------------------------------

STALE_FIELD = "loaded_state"


def row_state(model, pk, related=(), lock=False):
    """A fingerprint of a row and of its `related` rows (the admin's inlines) as
    they stand in the database: it changes whenever anyone saves any of them."""
    rows = model._default_manager.filter(pk=pk)
    if lock:
        # Held until this save commits (the admin saves in a transaction): two
        # saves at once are serialised, and the second sees the first's changes.
        rows = rows.select_for_update()
    state = {"row": list(rows.values())}
    for name in related:
        field = model._meta.get_field(name)
        state[name] = list(
            field.related_model._default_manager.filter(**{field.field.name: pk})
            .order_by("pk")
            .values()
        )
    data = json.dumps(state, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


class StaleSaveForm(forms.ModelForm):
    """Carries the state of the row the editor loaded, so that a save made by
    someone else in the meantime is never silently overwritten."""

    loaded_state = forms.CharField(widget=forms.HiddenInput, required=False)
    stale_related = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and not self.is_bound:
            self.fields[STALE_FIELD].initial = row_state(
                type(self.instance), self.instance.pk, self.stale_related
            )

    def clean(self):
        cleaned = super().clean()
        loaded = cleaned.get(STALE_FIELD)
        # A form sent without it (a script, a tab from before this check) is
        # taken as it is, as before.
        if self.instance.pk is not None and loaded:
            model = type(self.instance)
            current = row_state(model, self.instance.pk, self.stale_related, lock=True)
            if current != loaded:
                raise ValidationError(self.stale_message(model), code="stale")
        return cleaned

    def stale_message(self, model):
        last = (
            LogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(model),
                object_id=str(self.instance.pk),
            )
            .select_related("user")
            .order_by("-action_time")
            .first()
        )
        who = _("Someone else")
        when = ""
        if last is not None:
            who = last.user.get_full_name() or last.user.get_username()
            when = " " + _("(at %(when)s)") % {
                "when": date_format(
                    timezone.localtime(last.action_time), "DATETIME_FORMAT"
                )
            }
        return _(
            "%(who)s saved this %(thing)s%(when)s after you opened it. Your "
            "changes have NOT been saved, so nothing of theirs was overwritten. "
            "Copy what you need from this page, then reload it to edit the latest "
            "version."
        ) % {"who": who, "thing": model._meta.verbose_name, "when": when}


class RefuseStaleSavesMixin:
    """For a ModelAdmin whose objects more than one person may edit: a save based
    on an outdated copy is refused with what happened, and nothing is lost.
    `stale_related` names the reverse relations edited inline (their rows count
    as part of the object)."""

    stale_related = ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and "form" not in kwargs:
            kwargs["form"] = type(
                self.form.__name__,
                (StaleSaveForm, self.form),
                {"stale_related": tuple(self.stale_related)},
            )
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or STALE_FIELD in flatten_fieldsets(fieldsets):
            return fieldsets
        (name, options), *rest = fieldsets
        fields = [*options["fields"], STALE_FIELD]
        return [(name, {**options, "fields": fields}), *rest]
