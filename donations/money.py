"""
Money as the ledger keeps it: integer minor units (cents), never floats.

Every currency offered here has two decimal places, so one rule converts between what
people type ("25", "1,000.50") and what is stored (2500, 100050). A currency with a
different exponent (the yen has none) would need that rule generalised first.
"""

import re
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

MINOR_PER_MAJOR = 100


class Currency(models.TextChoices):
    USD = "USD", _("US dollar")
    CAD = "CAD", _("Canadian dollar")
    EUR = "EUR", _("Euro")
    GBP = "GBP", _("Pound sterling")
    AUD = "AUD", _("Australian dollar")
    NZD = "NZD", _("New Zealand dollar")
    MXN = "MXN", _("Mexican peso")
    CHF = "CHF", _("Swiss franc")


SYMBOLS = {
    "USD": "$",
    "CAD": "CA$",
    "EUR": "€",
    "GBP": "£",
    "AUD": "A$",
    "NZD": "NZ$",
    "MXN": "MX$",
    "CHF": "CHF\u00a0",
}

# "25", "25.5", "25.50", "1000.00", or grouped with commas: "1,000.50". A decimal
# comma is refused rather than guessed at: "1,000" must never become 1.000.
AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")


def parse_amount(text):
    """The minor units in an amount written in major units, or ValueError."""
    cleaned = str(text).strip()
    for symbol in sorted(SYMBOLS.values(), key=len, reverse=True):
        if cleaned.startswith(symbol.strip()):
            cleaned = cleaned[len(symbol.strip()) :].strip()
            break
    if not AMOUNT.match(cleaned):
        raise ValueError(text)
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation as error:  # pragma: no cover (the pattern rules it out)
        raise ValueError(text) from error
    return int(value * MINOR_PER_MAJOR)


def to_major(minor):
    return Decimal(minor) / MINOR_PER_MAJOR


def format_money(minor, currency, cents=None):
    """“$1,250” or “$12.50”: cents only when there are any, unless asked."""
    minor = int(minor or 0)
    if cents is None:
        cents = minor % MINOR_PER_MAJOR != 0
    value = to_major(minor)
    digits = number_format(
        value, decimal_pos=2 if cents else 0, use_l10n=True, force_grouping=True
    )
    return f"{SYMBOLS.get(currency, currency + chr(0xA0))}{digits}"
