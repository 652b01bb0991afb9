from urllib.parse import urlsplit

import reversion
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, format_lazy, get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from newsroom.admin import RefuseStaleSavesMixin
from richtext.fields import RichTextFormField
from richtext.removed import removed_markup_message
from richtext.templatetags.richtext import rich_text

from . import revisions
from .images import process_upload
from .models import (
    NOTE_LENGTH,
    QUOTE_MAX_LENGTH,
    Article,
    Author,
    Byline,
    Correction,
    Image,
    PullQuote,
    Quote,
    RepublishCount,
    RepublishPartner,
    Section,
    Speaker,
    Status,
    Tag,
    Update,
    WorkflowError,
    format_local,
)
from .views import preview_link_for


class RichTextWarningsMixin:
    """Tells the editor, as the admin saves, what the sanitizer left out of each
    rich-text field of the form and its inlines (a script, an iframe, an unsafe
    link): it never vanishes without a word."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self.warn_removed_markup(request, form)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form.has_changed() and inline_form not in formset.deleted_forms:
                self.warn_removed_markup(
                    request, inline_form, formset.model._meta.verbose_name
                )

    def warn_removed_markup(self, request, form, of=None):
        for name, field in form.fields.items():
            if not isinstance(field, RichTextFormField):
                continue
            label = f"{of} {field.label}" if of else field.label
            warning = removed_markup_message(
                str(label).lower(), form.cleaned_data.get(name)
            )
            if warning:
                self.message_user(request, warning, messages.WARNING)


@admin.register(Section)
class SectionAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "title", "user"]
    list_select_related = ["user"]
    search_fields = ["name", "title"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo", "user"]


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
        if not image.renditions:
            return ""
        return format_html(
            '<img src="{}" alt="" width="80" style="height:auto">',
            image.file.storage.url(image.renditions[0]["fallback"]),
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


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    min_num = 0
    autocomplete_fields = ["author"]
    fields = ["author", "position"]
    verbose_name = gettext_lazy("byline")
    verbose_name_plural = gettext_lazy("Bylines (in the order they appear)")


class PullQuoteInline(admin.TabularInline):
    """Quotes from the quotes database, shown in the body after paragraph N."""

    model = PullQuote
    extra = 0
    autocomplete_fields = ["quote"]
    fields = ["quote", "after_paragraph"]
    verbose_name = gettext_lazy("pull quote")
    verbose_name_plural = gettext_lazy(
        "Pull quotes (find a quote by its words or its speaker; add new ones with +)"
    )


def rendered(html):
    """Rich text shown read only as readers see it: sanitized again and rendered."""
    return format_html('<div class="rendered-text">{}</div>', rich_text(html))


def rendered_body_fields(fields):
    return ["rendered_body" if name == "body" else name for name in fields]


def only_visible_stories(request, queryset):
    """Rows of stories this user may open (Article.objects.visible_to)."""
    if request.user.has_perm("articles.publish_article"):
        return queryset
    return queryset.filter(article__in=Article.objects.visible_to(request.user))


class RenderedBodyMixin:
    """A read-only form (no change permission) shows the rich text rendered."""

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return rendered_body_fields(fields)
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "rendered_body"]

    @admin.display(description=gettext_lazy("Text"))
    def rendered_body(self, row):
        return rendered(row.body)


def compact_time(moment):
    """A time for a change list: the date and the clock time, which wrap between
    each other but never inside, so a narrow column takes two short lines."""
    if moment is None:
        return "-"
    local = timezone.localtime(moment)
    return format_html(
        '<time class="compact-time" datetime="{}"><span>{}</span> <span>{}</span>'
        "</time>",
        local.isoformat(),
        date_format(local, "DATE_FORMAT"),
        date_format(local, "TIME_FORMAT"),
    )


class SingleLineField(forms.CharField):
    """A headline, dek or search-engine text: saved as one line, whatever was pasted
    into its box (see one_line_box)."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


def one_line_box(rows=2):
    """A box tall enough to read all of a headline or dek (an <input> cuts a long one
    off), with a character count under it (js/admin-forms.js)."""
    return forms.Textarea(attrs={"rows": rows, "class": "one-line", "data-counter": ""})


def https_urls(field, **kwargs):
    """A link typed without a scheme is taken as https (Django 6's default)."""
    if isinstance(field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return field.formfield(**kwargs)


class UpdateListInline(admin.TabularInline):
    """The story's updates, listed on the article. Each is posted and edited in its
    own form ("Post an update"), so two people posting at once never collide with
    each other or with an edit of the article."""

    model = Update
    template = "admin/articles/article/updates_inline.html"
    fields = ["published_at", "state", "pinned", "author"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = gettext_lazy("Live updates")

    # A story live for days gathers hundreds of updates: its form lists the latest
    # (drafts first) and links to the rest in the updates list.
    shown = 20

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("author")
        story = request.resolver_match and request.resolver_match.kwargs.get(
            "object_id"
        )
        if story and str(story).isdigit():
            latest = Update.objects.filter(article_id=story).values("pk")
            queryset = queryset.filter(pk__in=latest[: self.shown])
        return queryset

    @admin.display(description=gettext_lazy("State"))
    def state(self, update):
        return update_state(update)


class CorrectionInline(RenderedBodyMixin, admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "body", "prominent", "published_at"]
    verbose_name_plural = gettext_lazy(
        "Corrections, clarifications and editor's notes (shown to readers)"
    )


def update_state(update):
    if update.published_at is None:
        return _("Draft")
    if update.published_at > timezone.now():
        return _("Scheduled")
    return _("Published")


class UpdateForm(forms.ModelForm):
    publish_now = forms.BooleanField(
        label=gettext_lazy("Publish now"),
        required=False,
        help_text=gettext_lazy(
            "Stamps the update with the moment you save. Untick to keep it a draft or "
            "to set a time below."
        ),
    )

    class Meta:
        model = Update
        fields = ["article", "headline", "body", "author", "published_at", "pinned"]
        field_classes = {"headline": SingleLineField}
        widgets = {"headline": one_line_box()}


@admin.register(Update)
class UpdateAdmin(
    RefuseStaleSavesMixin, RichTextWarningsMixin, RenderedBodyMixin, admin.ModelAdmin
):
    form = UpdateForm
    list_display = ["__str__", "story", "state", "publish_time", "author", "pinned"]
    list_filter = ["pinned", "published_at"]
    list_select_related = ["article", "author"]
    search_fields = ["headline", "body", "article__headline"]
    autocomplete_fields = ["article", "author"]
    date_hierarchy = "published_at"
    actions = ["publish_selected_now"]

    @admin.display(description=gettext_lazy("State"))
    def state(self, update):
        return update_state(update)

    def get_queryset(self, request):
        return only_visible_stories(request, super().get_queryset(request))

    @admin.display(description=gettext_lazy("Story"), ordering="article__headline")
    def story(self, update):
        return update.article.headline

    @admin.display(description=gettext_lazy("Publish time"), ordering="published_at")
    def publish_time(self, update):
        return compact_time(update.published_at)

    def is_publisher(self, request):
        return request.user.has_perm("articles.publish_article")

    def get_fields(self, request, obj=None):
        fields = ["article", "headline", "body", "author"]
        if obj is not None and not self.has_change_permission(request, obj):
            return [*rendered_body_fields(fields), "published_at", "pinned"]
        if self.is_publisher(request):
            fields += ["publish_now", "published_at", "pinned"]
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("publish_now", True)
        # Who posts it wrote it; someone without an author profile (an editor
        # relaying a reporter's call, say) posts under the story's first byline.
        author = Author.objects.filter(user=request.user).first()
        story = str(initial.get("article", ""))
        if author is None and story.isdigit():
            byline = (
                Byline.objects.filter(article_id=story)
                .order_by("position", "pk")
                .first()
            )
            author = byline and byline.author
        if author:
            initial.setdefault("author", author.pk)
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "article":
            # New updates go to developing stories; an existing update keeps its own.
            current = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (
                Article.objects.visible_to(request.user)
                .filter(Q(developing=True) | Q(updates__pk=current or 0))
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "article" and formfield is not None:
            # A story is chosen here, never written or changed from an update.
            formfield.widget.can_add_related = False
            formfield.widget.can_change_related = False
            formfield.widget.can_delete_related = False
        return formfield

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed or self.is_publisher(request):
            return allowed
        # Writers' updates are drafts until an editor publishes them; until then the
        # writer may edit their own.
        return obj.created_by_id == request.user.pk and obj.published_at is None

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if form.cleaned_data.get("publish_now") and self.is_publisher(request):
            obj.published_at = timezone.now()
        if not self.is_publisher(request) and not change:
            obj.published_at = None
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        if "_addanother" in request.POST:
            # The next update goes to the same story.
            self.message_user(
                request,
                _("Update posted: %(state)s. Post the next one.")
                % {"state": update_state(obj)},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:articles_update_add") + f"?article={obj.article_id}"
            )
        if "_continue" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            _("Update posted: %(state)s.") % {"state": update_state(obj)},
            messages.SUCCESS,
        )
        return self.back_to_story(request, obj)

    def response_change(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        self.message_user(
            request,
            _("Update saved: %(state)s.") % {"state": update_state(obj)},
            messages.SUCCESS,
        )
        return self.back_to_story(request, obj)

    def back_to_story(self, request, update):
        """After an update is saved: its story, where its updates are listed, or the
        story's updates for someone who may not open the story."""
        if (
            Article.objects.visible_to(request.user)
            .filter(pk=update.article_id)
            .exists()
        ):
            return HttpResponseRedirect(
                reverse("admin:articles_article_change", args=[update.article_id])
                + "#updates-group"
            )
        return HttpResponseRedirect(
            reverse("admin:articles_update_changelist")
            + f"?article__id__exact={update.article_id}"
        )

    @admin.action(
        description=gettext_lazy("Publish selected updates now"),
        permissions=["publish"],
    )
    def publish_selected_now(self, request, queryset):
        count = 0
        for update in queryset.filter(published_at__isnull=True):
            update.published_at = timezone.now()
            update.save()
            count += 1
        self.message_user(
            request,
            ngettext("%d update published.", "%d updates published.", count) % count,
            messages.SUCCESS,
        )

    def has_publish_permission(self, request):
        return self.is_publisher(request)


@admin.register(Correction)
class CorrectionAdmin(
    RefuseStaleSavesMixin, RichTextWarningsMixin, RenderedBodyMixin, admin.ModelAdmin
):
    """The newsroom's corrections log: every correction, clarification, editor's
    note and retraction, newest first. Each is also listed on its story's form."""

    list_display = ["__str__", "story", "kind", "shown_at", "prominent"]
    list_filter = ["kind", "prominent"]
    list_select_related = ["article"]
    search_fields = ["body", "article__headline"]
    autocomplete_fields = ["article"]
    date_hierarchy = "published_at"
    fields = ["article", "kind", "body", "prominent", "published_at"]

    def get_queryset(self, request):
        return only_visible_stories(request, super().get_queryset(request))

    @admin.display(description=gettext_lazy("Story"), ordering="article__headline")
    def story(self, correction):
        return correction.article.headline

    @admin.display(description=gettext_lazy("Publish time"), ordering="published_at")
    def shown_at(self, correction):
        return compact_time(correction.published_at)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ArticleForm(forms.ModelForm):
    """Carries the edit counter the editor loaded, so a save made by someone else in
    the meantime is never silently overwritten."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    loaded_at = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Article
        fields = [
            "headline",
            "slug",
            "dek",
            "body",
            "section",
            "tags",
            "featured_image",
            "licence",
            "seo_title",
            "seo_description",
            "canonical_url",
            "published_at",
            "unpublish_at",
            "updated_materially_at",
            "developing",
            "no_appeals",
        ]
        formfield_callback = https_urls
        field_classes = dict.fromkeys(
            ["headline", "dek", "seo_title", "seo_description"], SingleLineField
        )
        widgets = {
            "headline": one_line_box(),
            "dek": one_line_box(rows=3),
            "seo_title": one_line_box(),
            "seo_description": one_line_box(rows=3),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
            self.fields["loaded_at"].initial = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            self.check_not_stale(cleaned)
        return cleaned

    def check_not_stale(self, cleaned):
        # Locks the row until this save commits, so two simultaneous saves are
        # serialised and the second sees the first one's counter.
        current = (
            Article.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values("version", "updated_at")
            .first()
        )
        loaded = cleaned.get("loaded_version")
        if current is None or loaded == current["version"]:
            return
        loaded_at = (
            parse_datetime(cleaned.get("loaded_at") or "") or current["updated_at"]
        )
        newer, changed = revisions.saves_since(self.instance, loaded_at)
        who = sorted(
            {
                (v.revision.user.get_full_name() or v.revision.user.get_username())
                for v in newer
                if v.revision.user
            }
        ) or [_("someone else")]
        when = format_local(current["updated_at"])
        message = _(
            "%(who)s saved this article at %(when)s, after you opened it. "
            "Your changes have NOT been saved, so nothing of theirs was overwritten. "
        ) % {"who": get_text_list(who, _("and")), "when": when}
        if changed:
            message += _("They changed: %(fields)s. ") % {"fields": ", ".join(changed)}
        message += _(
            "Copy what you need from this page, then reload the article to edit "
            "the latest version."
        )
        raise ValidationError(message, code="stale")


# Workflow steps shown on the change form, newest first.
WORKFLOW_HISTORY = 8

WORKFLOW_ACTIONS = {
    "submit": ("submit_for_review", gettext_lazy("Submitted for review.")),
    "publish": ("publish", gettext_lazy("Published.")),
    "unpublish": ("unpublish", gettext_lazy("Unpublished: readers no longer see it.")),
    "send_back": ("send_back", gettext_lazy("Sent back to draft.")),
}


@admin.register(Article)
class ArticleAdmin(RichTextWarningsMixin, admin.ModelAdmin):
    form = ArticleForm
    change_form_template = "admin/articles/article/change_form.html"
    object_history_template = "admin/articles/article/object_history.html"
    list_display = [
        "headline",
        "status_badge",
        "section",
        "byline_names",
        "publish_time",
        "last_edited",
    ]
    list_filter = ["status", "section", "published_at"]
    list_select_related = ["section"]
    search_fields = ["headline", "dek", "slug", "authors__name"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "tags", "featured_image"]
    inlines = [BylineInline, PullQuoteInline, UpdateListInline, CorrectionInline]
    view_on_site = False  # the change form has its own Preview / View on site link
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    actions = ["submit_selected", "publish_selected", "unpublish_selected"]
    readonly_fields = ["status_badge", "first_published_at", "edited", "coverage"]
    fieldsets = [
        (None, {"fields": ["headline", "slug", "dek", "body"]}),
        (gettext_lazy("Placement"), {"fields": ["section", "tags", "featured_image"]}),
        (
            gettext_lazy("Story"),
            {"fields": ["developing", "coverage", "no_appeals"]},
        ),
        (
            gettext_lazy("Publishing"),
            {
                "fields": [
                    "status_badge",
                    "published_at",
                    "unpublish_at",
                    "first_published_at",
                    "updated_materially_at",
                    "edited",
                    "loaded_version",
                    "loaded_at",
                ]
            },
        ),
        (
            gettext_lazy("License and search engines"),
            {
                "fields": ["licence", "seo_title", "seo_description", "canonical_url"],
                "classes": ["collapse"],
            },
        ),
    ]

    def get_queryset(self, request):
        bylines = Byline.objects.select_related("author")
        return (
            super()
            .get_queryset(request)
            .visible_to(request.user)
            .prefetch_related(Prefetch("bylines", queryset=bylines))
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if (
            request.GET.get("model_name") == "update"
            and request.GET.get("field_name") == "article"
        ):
            # The update form's chooser offers developing stories only.
            queryset = queryset.filter(developing=True)
        return queryset, may_have_duplicates

    def change_view(self, request, object_id, form_url="", extra_context=None):
        private = self.private_story(request, object_id)
        return private or super().change_view(
            request, object_id, form_url, extra_context
        )

    def private_story(self, request, object_id):
        """A story that exists but is not this user's to open (a colleague's draft)
        is refused in words, rather than with Django's "doesn't exist. Perhaps it was
        deleted?"."""
        if not str(object_id).isdigit() or (
            self.get_queryset(request).filter(pk=object_id).exists()
            or not Article.objects.filter(pk=object_id).exists()
        ):
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("You can’t open this story"),
        }
        return TemplateResponse(
            request, "admin/articles/article/private.html", context, status=403
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read only: the body as readers see it, not its HTML source.
        return [
            (name, {**options, "fields": rendered_body_fields(options["fields"])})
            for name, options in fieldsets
        ]

    @admin.display(description=gettext_lazy("Body"))
    def rendered_body(self, article):
        return rendered(article.body)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("articles.publish_article"):
            fields += ["published_at", "unpublish_at", "updated_materially_at"]
        return fields

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.can_edit(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or not obj.is_published())

    @admin.display(description=gettext_lazy("Status"), ordering="status")
    def status_badge(self, article):
        if article.pk is None:
            return _("New draft")
        state = "scheduled" if article.is_scheduled() else article.status
        if article.is_expired():
            state = Status.UNPUBLISHED
        return format_html(
            '<span class="status-badge status-badge--{}">{}</span>',
            state,
            article.state_label,
        )

    @admin.display(description=gettext_lazy("Publish time"), ordering="published_at")
    def publish_time(self, article):
        return compact_time(article.published_at)

    @admin.display(description=gettext_lazy("Last edited"), ordering="updated_at")
    def last_edited(self, article):
        return compact_time(article.updated_at)

    @admin.display(description=gettext_lazy("Bylines"))
    def byline_names(self, article):
        return ", ".join(byline.author.name for byline in article.bylines.all())

    @admin.display(description=gettext_lazy("Coverage"))
    def coverage(self, article):
        if not article.coverage_started_at:
            return "-"
        started = format_local(article.coverage_started_at)
        if article.coverage_ended_at:
            return _("From %(start)s to %(end)s") % {
                "start": started,
                "end": format_local(article.coverage_ended_at),
            }
        return _("Live since %(start)s") % {"start": started}

    @admin.display(description=gettext_lazy("Last edited"))
    def edited(self, article):
        if article.pk is None:
            return "-"
        who = article.updated_by.get_full_name() if article.updated_by else "-"
        return f"{format_local(article.updated_at)} ({who})"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Every save through the admin records a revision, with its bylines.
        with reversion.create_revision(manage_manually=False):
            reversion.set_user(request.user)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def log_addition(self, request, obj, message):
        reversion.set_comment(_("Created"))
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        reversion.set_comment(entry.get_change_message() or _("Saved"))
        return entry

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for warning in form.instance.placements_past_the_end():
            self.message_user(request, warning, messages.WARNING)

    # Workflow buttons on the change form: the save happens first, then the step.

    def response_add(self, request, obj, post_url_continue=None):
        return self.run_workflow(request, obj) or super().response_add(
            request, obj, post_url_continue
        )

    def response_change(self, request, obj):
        return self.run_workflow(request, obj) or super().response_change(request, obj)

    def run_workflow(self, request, obj):
        change_url = reverse("admin:articles_article_change", args=[obj.pk])
        if "_preview_link" in request.POST and request.user.has_perm(
            "articles.publish_article"
        ):
            link = request.build_absolute_uri(preview_link_for(obj))
            days = settings.PREVIEW_LINK_MAX_AGE // 86400
            self.message_user(
                request,
                format_html(
                    _(
                        "Preview link for people without an account, "
                        'valid for {} days: <a href="{}">{}</a>'
                    ),
                    days,
                    link,
                    link,
                ),
            )
            return HttpResponseRedirect(change_url)
        if "_revoke_preview_links" in request.POST:
            try:
                obj.revoke_preview_links(by=request.user)
            except PermissionDenied as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _(
                        "Preview links made before now no longer work: whoever "
                        "follows one is told to ask the newsroom for a new one."
                    ),
                )
            return HttpResponseRedirect(change_url)
        action = request.POST.get("_workflow")
        note = request.POST.get("_workflow_note", "")
        if action not in WORKFLOW_ACTIONS:
            self.keep_unsent_note(request, note)
            return None
        method, done = WORKFLOW_ACTIONS[action]
        obj.refresh_from_db()
        started = timezone.now()
        try:
            getattr(obj, method)(by=request.user, note=note)
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            self.keep_unsent_note(request, note)
        except WorkflowError as error:
            problems = " ".join(str(p) for p in error.problems)
            self.message_user(request, f"{error} {problems}".strip(), messages.ERROR)
            self.keep_unsent_note(request, note)
        else:
            if action == "publish" and obj.is_scheduled():
                done = _("Scheduled for %(when)s.") % {
                    "when": format_local(obj.published_at)
                }
            elif action == "publish" and obj.published_at < started:
                done = _(
                    "Published, backdated to %(when)s: the publish time set on it. "
                    "To show it as new instead, set the publish time to now and "
                    "save."
                ) % {"when": format_local(obj.published_at)}
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    def keep_unsent_note(self, request, note):
        """A note is kept only with a workflow step that happens: when none did,
        the writer gets the text back to copy rather than losing it."""
        if note.strip():
            self.message_user(
                request,
                _(
                    "Your note was not sent: a note goes with a workflow step that "
                    "succeeds (submit, send back, publish, unpublish). Here it is, to "
                    "copy: %(note)s"
                )
                % {"note": note.strip()},
                messages.WARNING,
            )

    def render_change_form(self, request, context, add=False, change=False, **kwargs):
        obj = context.get("original")
        user = request.user
        context.update(
            update_count=obj.updates.count() if obj else 0,
            updates_shown=UpdateListInline.shown,
            can_post_update=user.has_perm("articles.add_update"),
            read_only_reason=obj.why_not_editable(user) if obj else None,
            can_publish=user.has_perm("articles.publish_article"),
            article_status=obj.status if obj else Status.DRAFT,
            is_scheduled=bool(obj and obj.is_scheduled()),
            is_expired=bool(obj and obj.is_expired()),
            is_live=bool(obj and obj.is_published()),
            publish_problems=obj.publish_problems() if obj else [],
            workflow_notes=(
                obj.workflow_notes.select_related("author")[:WORKFLOW_HISTORY]
                if obj
                else []
            ),
            workflow_note=request.POST.get("_workflow_note", ""),
            note_length=NOTE_LENGTH,
        )
        return super().render_change_form(request, context, add, change, **kwargs)

    # Bulk workflow actions in the list, through the same model methods.

    def run_bulk(self, request, queryset, method, done):
        succeeded, failed = 0, []
        for article in queryset:
            try:
                getattr(article, method)(by=request.user)
                succeeded += 1
            except (PermissionDenied, WorkflowError) as error:
                problems = " ".join(str(p) for p in getattr(error, "problems", []))
                failed.append(f"“{article.headline}”: {error} {problems}".strip())
        if succeeded:
            self.message_user(request, done(succeeded), messages.SUCCESS)
        for failure in failed:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description=gettext_lazy("Submit selected articles for review"))
    def submit_selected(self, request, queryset):
        self.run_bulk(
            request,
            queryset,
            "submit_for_review",
            lambda n: (
                ngettext(
                    "%d article submitted for review.",
                    "%d articles submitted for review.",
                    n,
                )
                % n
            ),
        )

    @admin.action(
        description=gettext_lazy("Publish selected articles"),
        permissions=["publish"],
    )
    def publish_selected(self, request, queryset):
        self.run_bulk(
            request,
            queryset,
            "publish",
            lambda n: (
                ngettext("%d article published.", "%d articles published.", n) % n
            ),
        )

    @admin.action(
        description=gettext_lazy("Unpublish selected articles"),
        permissions=["publish"],
    )
    def unpublish_selected(self, request, queryset):
        self.run_bulk(
            request,
            queryset,
            "unpublish",
            lambda n: (
                ngettext("%d article unpublished.", "%d articles unpublished.", n) % n
            ),
        )

    def has_publish_permission(self, request):
        return request.user.has_perm("articles.publish_article")

    # Revisions: the history lists them; compare two; restore one.

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="articles_article_compare",
            ),
            path(
                "<path:object_id>/history/<int:version_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="articles_article_restore",
            ),
            *super().get_urls(),
        ]

    def history_view(self, request, object_id, extra_context=None):
        article = get_object_or_404(self.get_queryset(request), pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "versions": revisions.versions_of(article),
            "can_restore": self.has_change_permission(request, article),
        }
        return super().history_view(request, object_id, extra_context)

    def restore_view(self, request, object_id, version_id):
        article = get_object_or_404(self.get_queryset(request), pk=object_id)
        version = get_object_or_404(revisions.versions_of(article), pk=version_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            article.restore(version, by=request.user)
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:articles_article_history", args=[article.pk])
            )
        self.message_user(
            request,
            _("Restored the revision of %(when)s. Check it, then publish if needed.")
            % {"when": format_local(version.revision.date_created)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:articles_article_change", args=[article.pk])
        )

    def compare_view(self, request, object_id):
        article = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        versions = revisions.versions_of(article)
        try:
            old = versions.get(pk=int(request.GET.get("from", "")))
            new = versions.get(pk=int(request.GET.get("to", "")))
        except (ValueError, versions.model.DoesNotExist):
            self.message_user(
                request,
                _("Choose two revisions of this article to compare."),
                messages.ERROR,
            )
            return HttpResponseRedirect(
                reverse("admin:articles_article_history", args=[article.pk])
            )
        if old.revision.date_created > new.revision.date_created:
            old, new = new, old
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": article,
            "title": _("Compare revisions of “%s”") % article.headline,
            "old": old,
            "new": new,
            "changes": revisions.compare(old, new),
        }
        return TemplateResponse(request, "admin/articles/article/compare.html", context)


# Quotes ------------------------------------------------------------------------


@admin.register(Speaker)
class SpeakerAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "title", "quote_list", "on_site"]
    search_fields = ["name", "title"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo"]
    fields = ["name", "slug", "title", "bio", "photo"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_visibility()
            .annotate(quote_count=Count("quotes"))
            .order_by("name")  # a count groups rows, which drops the default order
        )

    @admin.display(description=gettext_lazy("Quotes"), ordering="quote_count")
    def quote_list(self, speaker):
        url = reverse("admin:articles_quote_changelist")
        return format_html(
            '<a href="{}?speaker__id__exact={}">{}</a>',
            url,
            speaker.pk,
            speaker.quote_count,
        )

    @admin.display(
        description=gettext_lazy("On the site"), boolean=True, ordering="is_public"
    )
    def on_site(self, speaker):
        return speaker.is_public


class QuoteTextField(forms.CharField):
    """Quote text as it is saved: whitespace collapsed before the length check. No
    maxlength in the browser, which would cut a long paste off without a word."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class QuoteForm(forms.ModelForm):
    class Meta:
        model = Quote
        fields = [
            "text",
            "speaker",
            "speaker_title",
            "said_on",
            "context",
            "source_url",
        ]
        field_classes = {"text": QuoteTextField}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"})
        }
        help_texts = {
            "text": format_lazy(
                "{} {}",
                Quote._meta.get_field("text").help_text,
                format_lazy(
                    gettext_lazy("At most {limit} characters."), limit=QUOTE_MAX_LENGTH
                ),
            )
        }
        formfield_callback = https_urls


@admin.register(Quote)
class QuoteAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    form = QuoteForm
    list_display = [
        "excerpt",
        "speaker",
        "speaker_title",
        "said_on",
        "article_list",
        "on_site",
    ]
    list_select_related = ["speaker"]
    date_hierarchy = "said_on"
    search_fields = ["text", "speaker__name", "context"]
    autocomplete_fields = ["speaker"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["used_in", "share_image"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "text",
                    "speaker",
                    "speaker_title",
                    "said_on",
                    "context",
                    "source_url",
                ]
            },
        ),
        (gettext_lazy("On the site"), {"fields": ["used_in", "share_image"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_visibility()
            .annotate(article_count=Count("pull_quotes"))
            .order_by(*Quote._meta.ordering)  # a count drops the default order
        )

    @admin.display(description=gettext_lazy("Quote"), ordering="text")
    def excerpt(self, quote):
        return Truncator(quote.text).chars(90)

    @admin.display(description=gettext_lazy("Articles"), ordering="article_count")
    def article_list(self, quote):
        return quote.article_count

    @admin.display(
        description=gettext_lazy("On the site"), boolean=True, ordering="is_public"
    )
    def on_site(self, quote):
        return quote.is_public

    @admin.display(description=gettext_lazy("Used in"))
    def used_in(self, quote):
        if quote.pk is None:
            return "-"
        pull_quotes = quote.pull_quotes.select_related("article").order_by(
            "-article__published_at", "-article__pk"
        )
        if not pull_quotes:
            return _(
                "No article yet. Readers see the quote once it is a pull quote in "
                "a published article."
            )
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}, {})</li>',
            (
                (
                    reverse("admin:articles_article_change", args=[item.article_id]),
                    item.article.headline,
                    item.article.state_label,
                    _("after paragraph %(n)d") % {"n": item.after_paragraph},
                )
                for item in pull_quotes
            ),
        )
        return format_html('<ul class="used-in">{}</ul>', items)

    @admin.display(description=gettext_lazy("Share image"))
    def share_image(self, quote):
        if quote.pk is None:
            return _("Drawn from the quote once it is saved.")
        url = quote.get_share_image_url()
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" width="600" height="315"></a>',
            url,
            url,
            _("Share image of this quote"),
        )


@admin.register(RepublishCount)
class RepublishCountAdmin(admin.ModelAdmin):
    """Where our stories are republished and how often they are read there: daily
    totals per story and site, counted by the pixel in the republished copy. Read
    only: the counts are facts, not content."""

    list_display = ["article", "host_or_unknown", "day", "views"]
    list_select_related = ["article"]
    list_filter = ["day"]
    date_hierarchy = "day"
    search_fields = ["host", "article__headline"]
    ordering = ["-day", "-views"]

    @admin.display(description=gettext_lazy("site"), ordering="host")
    def host_or_unknown(self, count):
        return count.host or _("(other or unknown sites)")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RepublishPartnerForm(forms.ModelForm):
    class Meta:
        model = RepublishPartner
        fields = ["host", "name"]

    def clean_host(self):
        host = self.cleaned_data["host"].strip().lower()
        if "://" in host:  # an address pasted whole
            try:
                host = urlsplit(host).hostname or ""
            except ValueError:
                host = ""
        return host.rstrip(".")


@admin.register(RepublishPartner)
class RepublishPartnerAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    """Sites confirmed to republish our stories. The republish pixel counts views
    by site only for these: anyone can claim any site in a Referer header."""

    form = RepublishPartnerForm
    list_display = ["host", "name", "confirmed_by", "confirmed_at"]
    list_select_related = ["confirmed_by"]
    search_fields = ["host", "name"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)
