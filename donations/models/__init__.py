"""The donations models, one module a subject; every name is re-exported here, so
`from donations.models import Appeal` is the way to import them.

- campaigns: Campaign, its queryset and Progress
- appeals: Appeal, the site-wide AppealSettings, placements and reader choices
- variants: an appeal's copy (AppealVariant) and its AppealDailyCount
- gifts: the ledger (Donation, Subscription, StripeEvent)
- imports: DonationImport, a CSV file on its way into the ledger
"""

from .appeals import (
    ARTICLE_PLACEMENTS,
    Appeal,
    AppealQuerySet,
    AppealSettings,
    AppealState,
    Developing,
    Placement,
    Readers,
    epoch_ms,
)
from .campaigns import Campaign, CampaignQuerySet, Progress
from .gifts import Donation, DonationQuerySet, StripeEvent, Subscription, aware
from .imports import STALLED_AFTER, DonationImport
from .variants import AppealDailyCount, AppealVariant, AppealVariantQuerySet

__all__ = [
    "ARTICLE_PLACEMENTS",
    "STALLED_AFTER",
    "Appeal",
    "AppealDailyCount",
    "AppealQuerySet",
    "AppealSettings",
    "AppealState",
    "AppealVariant",
    "AppealVariantQuerySet",
    "Campaign",
    "CampaignQuerySet",
    "Developing",
    "Donation",
    "DonationImport",
    "DonationQuerySet",
    "Placement",
    "Progress",
    "Readers",
    "StripeEvent",
    "Subscription",
    "aware",
    "epoch_ms",
]
