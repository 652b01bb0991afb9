"""The ledger in the admin: donations by hand, revenue, CSV export and import, and
the Stripe events received."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import (
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newsroom.admin import RefuseStaleSavesMixin

from .. import export, revenue
from ..forms import DonationForm, ImportForm
from ..models import AppealVariant, Campaign, Donation, DonationImport, StripeEvent
from ..money import format_money
from ..tasks import check_import, run_import


class PersonalDataFilter(admin.SimpleListFilter):
    title = gettext_lazy("donor details")
    parameter_name = "personal"

    def lookups(self, request, model_admin):
        return [("yes", _("With an e-mail address")), ("no", _("Anonymous"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(donor_email="")
        if self.value() == "no":
            return queryset.filter(donor_email="")
        return queryset


class RecurringFilter(admin.SimpleListFilter):
    title = gettext_lazy("recurring gift")
    parameter_name = "recurring"

    def lookups(self, request, model_admin):
        return [
            ("active", _("Part of an active recurring gift")),
            ("ended", _("Part of an ended recurring gift")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(
                subscription__isnull=False, subscription__ended_at__isnull=True
            )
        if self.value() == "ended":
            return queryset.filter(subscription__ended_at__isnull=False)
        return queryset


@admin.register(Donation)
class DonationAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    form = DonationForm
    change_list_template = "admin/donations/donation/change_list.html"
    list_display = [
        "received_at",
        "amount_display",
        "status",
        "frequency_display",
        "campaign",
        "appeal",
        "source",
        "reference",
    ]
    list_filter = [
        "status",
        "frequency",
        RecurringFilter,
        "source",
        "processor",
        "campaign",
        PersonalDataFilter,
    ]
    list_select_related = ["campaign", "appeal", "subscription"]
    search_fields = ["reference", "donor_email", "donor_name"]
    date_hierarchy = "received_at"
    autocomplete_fields = ["campaign", "appeal"]
    readonly_fields = [
        "recorded_by",
        "created_at",
        "updated_at",
        "events",
        "recurring_gift",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "amount",
                    "amount_refunded",
                    "currency",
                    "received_at",
                    "frequency",
                    "status",
                ]
            },
        ),
        (
            gettext_lazy("Where it came from"),
            {
                "fields": [
                    "campaign",
                    "appeal",
                    "variant",
                    "source",
                    "processor",
                    "reference",
                    "recurring_gift",
                ]
            },
        ),
        (
            gettext_lazy("Personal data"),
            {
                "fields": ["donor_name", "donor_email"],
                "description": gettext_lazy(
                    "Personal data: kept only to send receipts, and never shown to "
                    "readers or in results. Leave empty for an anonymous gift."
                ),
            },
        ),
        (
            gettext_lazy("Record"),
            {"fields": ["note", "recorded_by", "created_at", "updated_at", "events"]},
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("variant")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "variant":
            kwargs["queryset"] = AppealVariant.objects.select_related("appeal")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("source", Donation.Source.MANUAL)
        initial.setdefault("processor", Donation.Processor.CHECK)
        current = Campaign.objects.current()
        if current is not None:
            initial.setdefault("campaign", current.pk)
            initial.setdefault("currency", current.currency)
        return initial

    @admin.display(description=gettext_lazy("Amount"), ordering="amount")
    def amount_display(self, donation):
        return donation.amount_text()

    @admin.display(description=gettext_lazy("Frequency"), ordering="frequency")
    def frequency_display(self, donation):
        """“Monthly”, and whether the recurring gift it is part of has ended."""
        label = donation.get_frequency_display()
        subscription = donation.subscription
        if subscription is None or subscription.ended_at is None:
            return label
        return format_html(
            '{} <span class="status-badge status-badge--ended" title="{}">{}</span>',
            label,
            subscription.end_reason,
            _("Ended %(date)s")
            % {"date": formats.date_format(subscription.ended_at, "SHORT_DATE_FORMAT")},
        )

    @admin.display(description=gettext_lazy("Recurring gift"))
    def recurring_gift(self, donation):
        subscription = donation.subscription if donation.pk else None
        if subscription is None:
            return "-"
        if subscription.ended_at is None:
            return _("%(reference)s, active") % {"reference": subscription.reference}
        return _("%(reference)s, ended %(date)s (%(reason)s)") % {
            "reference": subscription.reference,
            "date": formats.date_format(subscription.ended_at, "SHORT_DATE_FORMAT"),
            "reason": subscription.end_reason or _("no reason given"),
        }

    @admin.display(description=gettext_lazy("Processor events"))
    def events(self, donation):
        if donation.pk is None:
            return "-"
        events = donation.stripe_events.order_by("received_at")
        return ", ".join(f"{e.type} ({e.event_id})" for e in events) or "-"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        elif {"amount", "amount_refunded", "status"} & set(form.changed_data):
            # Corrected by hand: the processor's later events start from this.
            obj.processor_facts = {}
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="donations_donation_import",
            ),
            path(
                "import/<int:import_id>/",
                self.admin_site.admin_view(self.import_status_view),
                name="donations_donation_import_status",
            ),
            path(
                "revenue/",
                self.admin_site.admin_view(self.revenue_view),
                name="donations_donation_revenue",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="donations_donation_export",
            ),
            *super().get_urls(),
        ]

    # Money over time and the export for accounting -------------------------------

    def revenue_view(self, request):
        """Revenue by day, week or month, one-time and recurring, net of refunds;
        and a campaign's pace towards its goal."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        period = request.GET.get("period", "week")
        if period not in revenue.PERIODS:
            period = "week"
        campaigns = list(Campaign.objects.order_by("-starts_at", "name"))
        chosen = request.GET.get("campaign", "")
        campaign = next((c for c in campaigns if str(c.pk) == chosen), None)
        if campaign is None and not chosen:
            campaign = Campaign.objects.current()
        queryset = Donation.objects.all()
        if campaign is not None:
            queryset = queryset.filter(campaign=campaign)
        currencies = sorted(
            set(Donation.objects.values_list("currency", flat=True).distinct())
            | ({campaign.currency} if campaign else set())
        ) or ["USD"]
        currency = request.GET.get("currency", "")
        if currency not in currencies:
            currency = campaign.currency if campaign else currencies[0]
        buckets, chart = revenue.revenue(queryset, currency, period)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Revenue over time"),
            "period": period,
            "periods": [(key, value[0]) for key, value in revenue.PERIODS.items()],
            "campaigns": campaigns,
            "campaign": campaign,
            "currency": currency,
            "currencies": currencies,
            "chart": chart,
            "rows": [
                {
                    "start": bucket.start,
                    "one_time": format_money(bucket.one_time, currency),
                    "recurring": format_money(bucket.recurring, currency),
                    "total": format_money(bucket.total, currency),
                }
                for bucket in reversed(buckets)
            ],
            "total": format_money(sum(b.total for b in buckets), currency),
            "pace": revenue.pace(campaign) if campaign else None,
        }
        response = TemplateResponse(
            request, "admin/donations/donation/revenue.html", context
        )
        add_never_cache_headers(response)
        return response

    def export_view(self, request):
        """The donations the changelist shows with its current filters, search and
        dates, as CSV for accounting: streamed, so any number of rows."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(_("Those filters are not valid."))
        queryset = changelist.get_queryset(request).select_related(
            "campaign", "appeal", "variant", "subscription"
        )
        filename = f"donations-{timezone.localdate():%Y-%m-%d}.csv"
        response = StreamingHttpResponse(
            export.rows(queryset), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        add_never_cache_headers(response)
        return response

    # Importing a CSV: the upload is stored and checked by a background task
    # (donations.tasks); its status page follows the task, then imports on
    # confirmation, by another task. No request reads the file row by row.

    def import_context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import donations from a CSV file"),
            **extra,
        }

    def import_view(self, request):
        """Upload a processor's CSV: it is checked in the background."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                text = form.cleaned_data["file"]
                job = DonationImport.objects.create(
                    file_name=request.FILES["file"].name[:255],
                    text=text,
                    campaign=form.cleaned_data["campaign"],
                    created_by=request.user,
                    rows_total=max(0, text.count("\n") - 1) or 1,
                )
                transaction.on_commit(lambda: check_import.enqueue(job.pk))
                return HttpResponseRedirect(
                    reverse("admin:donations_donation_import_status", args=[job.pk])
                )
            status = 400
        else:
            form = ImportForm()
        context = self.import_context(
            request,
            form=form,
            recent=DonationImport.objects.select_related("created_by")[:10],
        )
        return TemplateResponse(
            request, "admin/donations/donation/import.html", context, status=status
        )

    def import_status_view(self, request, import_id):
        """Where an import is; a form to confirm it once checked."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        job = get_object_or_404(
            DonationImport.objects.select_related("campaign", "created_by"),
            pk=import_id,
        )
        if request.method == "POST":
            # Only a checked import starts, once: a double click queues nothing more.
            started = DonationImport.objects.filter(
                pk=job.pk, state=DonationImport.State.CHECKED
            ).update(state=DonationImport.State.IMPORTING, rows_done=0)
            if started:
                transaction.on_commit(lambda: run_import.enqueue(job.pk))
            return HttpResponseRedirect(request.path)
        context = self.import_context(
            request,
            job=job,
            summary=job.summary,
            title=_("Import of %(file)s") % {"file": job},
        )
        response = TemplateResponse(
            request, "admin/donations/donation/import_status.html", context
        )
        add_never_cache_headers(response)
        return response


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    """What Stripe sent, for checking the webhook: read-only."""

    list_display = ["received_at", "type", "event_id", "outcome", "donation"]
    list_filter = ["type"]
    search_fields = ["event_id", "outcome"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
