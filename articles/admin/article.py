"""Articles: the form, the editorial workflow, revisions."""

import reversion
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Prefetch
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import revisions, workflow
from ..links import format_local
from ..models import (
    NOTE_LENGTH,
    Article,
    Byline,
    PullQuote,
    Status,
    WorkflowError,
)
from ..views import preview_link_for
from .forms import ArticleForm
from .live import CorrectionInline, UpdateListInline
from .mixins import RichTextWarningsMixin, compact_time, rendered, rendered_body_fields


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


# Workflow steps shown on the change form, newest first.
WORKFLOW_HISTORY = 8

WORKFLOW_ACTIONS = {
    "submit": (workflow.submit_for_review, gettext_lazy("Submitted for review.")),
    "publish": (workflow.publish, gettext_lazy("Published.")),
    "unpublish": (
        workflow.unpublish,
        gettext_lazy("Unpublished: readers no longer see it."),
    ),
    "send_back": (workflow.send_back, gettext_lazy("Sent back to draft.")),
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
        for warning in workflow.placements_past_the_end(form.instance):
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
                workflow.revoke_preview_links(obj, by=request.user)
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
        step, done = WORKFLOW_ACTIONS[action]
        obj.refresh_from_db()
        started = timezone.now()
        try:
            step(obj, by=request.user, note=note)
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
            publish_problems=workflow.publish_problems(obj) if obj else [],
            workflow_notes=(
                obj.workflow_notes.select_related("author")[:WORKFLOW_HISTORY]
                if obj
                else []
            ),
            workflow_note=request.POST.get("_workflow_note", ""),
            note_length=NOTE_LENGTH,
        )
        return super().render_change_form(request, context, add, change, **kwargs)

    # Bulk workflow actions in the list, through the same workflow steps.

    def run_bulk(self, request, queryset, step, done):
        succeeded, failed = 0, []
        for article in queryset:
            try:
                step(article, by=request.user)
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
            workflow.submit_for_review,
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
            workflow.publish,
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
            workflow.unpublish,
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
            workflow.restore(article, version, by=request.user)
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
