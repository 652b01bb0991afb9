"""Donations as CSV for accounting: one row per gift, amounts in major units with
their currency, every cell safe to open in a spreadsheet."""

import csv

from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Donation
from .money import to_major

# A cell that starts with one of these is a formula to Excel, LibreOffice and
# Google Sheets (CSV injection): it is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Echo:
    """csv.writer writes to this; each row comes back as a string to stream."""

    def write(self, value):
        return value


def header():
    return [
        _("Id"),
        _("Received"),
        _("Amount"),
        _("Refunded"),
        _("Net"),
        _("Currency"),
        _("Status"),
        _("Frequency"),
        _("Recurring gift"),
        _("Recurring gift ended"),
        _("Campaign"),
        _("Appeal"),
        _("Variant"),
        _("Source"),
        _("Processor"),
        _("Processor reference"),
        _("Donor name"),
        _("Donor e-mail"),
    ]


def decimal(minor):
    """25.00: major units with both decimals, as accounting software expects."""
    return f"{to_major(minor):.2f}"


def choice_labels():
    """Each choice field's labels, translated once per export, not once per row."""
    return {
        name: {
            value: str(label) for value, label in Donation._meta.get_field(name).choices
        }
        for name in ("status", "frequency", "source", "processor")
    }


def row(donation, labels=None):
    labels = labels or choice_labels()
    subscription = donation.subscription
    ended = subscription.ended_at if subscription else None
    return [
        donation.pk,
        timezone.localtime(donation.received_at).isoformat(timespec="seconds"),
        decimal(donation.amount),
        decimal(donation.amount_refunded),
        decimal(donation.net),
        donation.currency,
        labels["status"].get(donation.status, donation.status),
        labels["frequency"].get(donation.frequency, donation.frequency),
        subscription.reference if subscription else "",
        timezone.localtime(ended).date().isoformat() if ended else "",
        donation.campaign or "",
        donation.appeal.name if donation.appeal else "",
        donation.variant.label if donation.variant else "",
        labels["source"].get(donation.source, donation.source),
        labels["processor"].get(donation.processor, donation.processor),
        donation.reference,
        donation.donor_name,
        donation.donor_email,
    ]


def rows(queryset):
    writer = csv.writer(Echo())
    yield "\ufeff"  # a byte-order mark: spreadsheets then read UTF-8 as UTF-8
    yield writer.writerow([safe(cell) for cell in header()])
    labels = choice_labels()
    for donation in queryset.iterator(chunk_size=2000):
        yield writer.writerow([safe(cell) for cell in row(donation, labels)])
