"""Republishing: partners and counts of their views."""

from urllib.parse import urlsplit

from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newsroom.admin import RefuseStaleSavesMixin

from ..models import RepublishCount, RepublishPartner


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
