"""The donations admin, one module a subject; importing the package registers them
all (admin autodiscovery imports `donations.admin`)."""

from .appeals import AppealAdmin, AppealSettingsAdmin, VariantInline
from .campaigns import CampaignAdmin
from .gifts import DonationAdmin, StripeEventAdmin

__all__ = [
    "AppealAdmin",
    "AppealSettingsAdmin",
    "CampaignAdmin",
    "DonationAdmin",
    "StripeEventAdmin",
    "VariantInline",
]
