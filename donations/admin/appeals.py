"""Appeals in the admin: their state, results and a preview on a real page; the
site-wide pause."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from articles.admin import RichTextWarningsMixin
from articles.models import Article
from articles.views import home_preview, story_preview
from newsroom.admin import RefuseStaleSavesMixin

from ..forms import AppealForm
from ..models import Appeal, AppealSettings, AppealState, AppealVariant, Placement
from ..results import results_context
from ..slots import PageAppeals


class VariantInline(admin.StackedInline):
    model = AppealVariant
    extra = 0
    min_num = 1
    fields = ["label", "weight", "heading", "body", "button_label"]


STATE_COLOURS = {
    AppealState.RUNNING: "running",
    AppealState.SCHEDULED: "scheduled",
    AppealState.ENDED: "ended",
    AppealState.PAUSED: "paused",
}


@admin.register(Appeal)
class AppealAdmin(RefuseStaleSavesMixin, RichTextWarningsMixin, admin.ModelAdmin):
    stale_related = ("variants",)
    form = AppealForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    change_form_template = "admin/donations/appeal/change_form.html"
    list_display = [
        "name",
        "state_badge",
        "placement",
        "campaign",
        "priority",
        "variant_count",
        "starts_at",
        "ends_at",
        "results_link",
    ]
    list_filter = ["placement", "active", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["name", "variants__heading"]
    autocomplete_fields = ["campaign", "sections"]
    readonly_fields = ["state_badge"]
    inlines = [VariantInline]
    fieldsets = [
        (
            None,
            {"fields": ["name", "campaign", "placement", "paragraph", "state_badge"]},
        ),
        (
            gettext_lazy("Schedule"),
            {"fields": ["active", "starts_at", "ends_at", "priority", "weight"]},
        ),
        (
            gettext_lazy("Button"),
            {"fields": ["button_url", "suggested_amounts", "show_progress"]},
        ),
        (
            gettext_lazy("Where and to whom"),
            {
                "fields": ["sections", "developing", "min_articles_read", "readers"],
                "description": gettext_lazy(
                    "Sections and developing stories are decided when the page is "
                    "made; the reader rules below are decided in each reader's "
                    "browser, which nothing leaves."
                ),
            },
        ),
        (
            gettext_lazy("How often"),
            {"fields": ["cap_views", "cap_days", "dismiss_days", "hide_from_donors"]},
        ),
    ]

    class Media:
        css = {"all": ["css/admin.css", "css/donations-admin.css"]}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                site_paused=AppealSettings.site_paused(),
                variant_count=Count("variants", distinct=True),
            )
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/results/",
                self.admin_site.admin_view(self.results_view),
                name="donations_appeal_results",
            ),
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="donations_appeal_preview",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=gettext_lazy("State"))
    def state_badge(self, appeal):
        if appeal.pk is None:
            return "-"
        state = appeal.get_state(site_paused=getattr(appeal, "site_paused", None))
        return format_html(
            '<span class="status-badge status-badge--{}">{}</span>',
            STATE_COLOURS[state],
            state.label,
        )

    @admin.display(description=gettext_lazy("Variants"), ordering="variant_count")
    def variant_count(self, appeal):
        return appeal.variant_count

    @admin.display(description=gettext_lazy("Results"))
    def results_link(self, appeal):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:donations_appeal_results", args=[appeal.pk]),
            _("Results"),
        )

    def get_appeal(self, request, object_id):
        if not str(object_id).isdigit():
            raise Http404(_("There is no such appeal."))
        appeal = get_object_or_404(
            Appeal.objects.select_related("campaign"), pk=object_id
        )
        if not self.has_view_permission(request, appeal):
            raise PermissionDenied
        return appeal

    def results_view(self, request, object_id):
        appeal = self.get_appeal(request, object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": appeal,
            "title": _("Results: %(name)s") % {"name": appeal.name},
            "appeal": appeal,
            "state": appeal.get_state(),
            **results_context(appeal, timezone.localdate()),
        }
        return TemplateResponse(request, "admin/donations/appeal/results.html", context)

    def preview_view(self, request, object_id):
        """The appeal on a real page of the site, in any placement, as a reader
        would get it in the first frame, whatever the reader rules would decide."""
        appeal = self.get_appeal(request, object_id)
        variants = list(appeal.variants.select_related("appeal__campaign"))
        if not variants:
            self.message_user(request, _("Add a variant first."), messages.WARNING)
            return HttpResponseRedirect(
                reverse("admin:donations_appeal_change", args=[appeal.pk])
            )
        chosen = request.GET.get("variant", "")
        variant = next((v for v in variants if str(v.pk) == chosen), variants[0])
        placement = request.GET.get("placement", "")
        if placement not in Placement.values:
            placement = appeal.placement
        recent = list(
            Article.objects.published()
            .order_by("-published_at")[:30]
            .values("pk", "headline")
        )
        article_id = request.GET.get("article", "")
        article_id = int(article_id) if article_id.isdigit() else None
        if article_id not in {a["pk"] for a in recent}:
            article_id = recent[0]["pk"] if recent else None
        notice = {
            "appeal": appeal,
            "variant": variant,
            "variants": variants,
            "placement": placement,
            "placements": Placement.choices,
            "articles": recent,
            "article_id": article_id,
            "form_action": request.path,
        }
        if placement == Placement.HOME:
            return home_preview(
                request,
                "donations/appeal_preview_home.html",
                {
                    "appeal_preview": PageAppeals.for_preview(variant, placement, None),
                    "appeal_preview_notice": notice,
                },
            )
        if article_id is None:
            self.message_user(
                request,
                _("Publish an article first: appeals are previewed on one."),
                messages.WARNING,
            )
            return HttpResponseRedirect(
                reverse("admin:donations_appeal_change", args=[appeal.pk])
            )
        article = Article.objects.for_page().get(pk=article_id)
        notice["reasons"] = appeal.reasons_not_shown_on(article)
        return story_preview(
            request,
            article,
            "donations/appeal_preview.html",
            {
                "appeal_preview": PageAppeals.for_preview(variant, placement, article),
                "appeal_preview_notice": notice,
            },
        )


@admin.register(AppealSettings)
class AppealSettingsAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    """One switch: the list goes straight to it."""

    fields = ["paused"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        settings_row = AppealSettings.load()
        return HttpResponseRedirect(
            reverse("admin:donations_appealsettings_change", args=[settings_row.pk])
        )

    def response_change(self, request, obj):
        if obj.paused:
            self.message_user(
                request,
                _("All appeals are paused. Cached pages catch up as they expire."),
                messages.WARNING,
            )
        return HttpResponseRedirect(reverse("admin:index"))
