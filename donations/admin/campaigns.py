"""Campaigns in the admin: dates, goal and progress at a glance."""

from django.contrib import admin
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from articles.admin import RichTextWarningsMixin
from newsroom.admin import RefuseStaleSavesMixin

from ..forms import CampaignForm
from ..models import Campaign, Donation
from ..money import format_money


@admin.register(Campaign)
class CampaignAdmin(RefuseStaleSavesMixin, RichTextWarningsMixin, admin.ModelAdmin):
    form = CampaignForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "name",
        "running_badge",
        "goal_display",
        "raised_display",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    date_hierarchy = "starts_at"
    readonly_fields = ["progress_summary"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "active"]}),
        (
            gettext_lazy("Goal"),
            {
                "fields": [
                    "goal",
                    "currency",
                    "starts_at",
                    "ends_at",
                    "progress_summary",
                ]
            },
        ),
        (
            gettext_lazy("Giving"),
            {
                "fields": [
                    "donate_url",
                    "monthly_donate_url",
                    "suggested_amounts",
                    "default_frequency",
                    "default_amount",
                    "thank_you_text",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        raised = (
            Donation.objects.counted()
            .filter(campaign=OuterRef("pk"), currency=OuterRef("currency"))
            .net_total_subquery()
        )
        return super().get_queryset(request).annotate(raised=Subquery(raised))

    @admin.display(description=gettext_lazy("State"), boolean=True)
    def running_badge(self, campaign):
        return campaign.is_running()

    @admin.display(description=gettext_lazy("Goal"), ordering="goal")
    def goal_display(self, campaign):
        return format_money(campaign.goal, campaign.currency)

    @admin.display(description=gettext_lazy("Raised (net)"), ordering="raised")
    def raised_display(self, campaign):
        return format_money(campaign.raised or 0, campaign.currency)

    @admin.display(description=gettext_lazy("Progress"))
    def progress_summary(self, campaign):
        if campaign.pk is None:
            return "-"
        progress = campaign.progress()
        text = _("%(raised)s of %(goal)s (%(percent).0f%%) from %(donors)s donors.") % {
            "raised": progress.money(progress.raised),
            "goal": progress.money(progress.goal),
            "percent": progress.percent,
            "donors": progress.donors,
        }
        if progress.expected is not None:
            text += " " + _("On pace, it would be at %(expected)s today.") % {
                "expected": progress.money(progress.expected)
            }
        return text
