from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from donations.models import (
    Appeal,
    AppealDailyCount,
    AppealSettings,
    AppealVariant,
    Campaign,
    Donation,
    Placement,
)

CAMPAIGN = {
    "slug": "fall-member-drive",
    "name": "Fall member drive",
    "goal": 50_000_00,
    "currency": "USD",
    # The processor's page takes the amount and our reference (campaign, appeal,
    # variant), as Stripe Payment Links take client_reference_id.
    "donate_url": (
        "https://donate.example.org/newsroom"
        "?amount={amount}&client_reference_id={reference}"
    ),
    "monthly_donate_url": (
        "https://donate.example.org/newsroom/monthly"
        "?amount={amount}&client_reference_id={reference}"
    ),
    "suggested_amounts": [10, 25, 50, 100],
    "default_frequency": "once",
    "default_amount": 25,
    "thank_you_text": (
        "<p>Thank you for standing with independent local journalism. A receipt is "
        "on its way to your inbox.</p>"
    ),
}

APPEALS = [
    # name, placement, fields, variants [(label, heading, body, button)]
    (
        "Mid-story ask (copy test)",
        Placement.INLINE,
        {"paragraph": 2, "priority": 10, "suggested_amounts": [10, 25, 50]},
        [
            (
                "A",
                "Join us",
                "<p>This story is free because readers like you pay for it. Become "
                "a member today.</p>",
                "Become a member",
            ),
            (
                "B",
                "Can you chip in?",
                "<p>No paywall, no ads: just readers who chip in so everyone can "
                "read the news that matters here.</p>",
                "Chip in",
            ),
        ],
    ),
    (
        "End-of-article epic",
        Placement.END,
        {"priority": 5, "show_progress": True},
        [
            (
                "A",
                "Thousands of small donations fund our newsroom",
                "<p>We are a nonprofit. We don't sell ads, we don't put stories "
                "behind a paywall and we never sell your data. Readers who give "
                "what they can keep it that way.</p>",
                "Donate",
            )
        ],
    ),
    (
        "Member drive top bar",
        Placement.TOP,
        {"priority": 1, "cap_views": 5, "cap_days": 7, "dismiss_days": 7},
        [
            (
                "A",
                "Our fall member drive is on.",
                "<p>Help us reach $50,000 by the end of the month.</p>",
                "Give now",
            )
        ],
    ),
]

# (reference, amount in cents, days ago, status, frequency, appeal name, label)
DONATIONS = [
    ("demo_0001", 2500, 18, "succeeded", "once", "Mid-story ask (copy test)", "A"),
    ("demo_0002", 5000, 17, "succeeded", "once", "Mid-story ask (copy test)", "B"),
    ("demo_0003", 1000, 15, "succeeded", "monthly", "Mid-story ask (copy test)", "B"),
    ("demo_0004", 10000, 14, "succeeded", "once", "End-of-article epic", "A"),
    ("demo_0005", 25000, 12, "succeeded", "once", None, None),
    ("demo_0006", 5000, 10, "refunded", "once", "Mid-story ask (copy test)", "A"),
    ("demo_0007", 2500, 9, "succeeded", "once", "Member drive top bar", "A"),
    ("demo_0008", 1500, 7, "succeeded", "monthly", None, None),
    ("demo_0009", 100000, 6, "succeeded", "once", None, None),
    ("demo_0010", 5000, 4, "succeeded", "once", "Mid-story ask (copy test)", "B"),
    ("demo_0011", 2500, 2, "pending", "once", "End-of-article epic", "A"),
    ("demo_0012", 7500, 1, "succeeded", "once", "Mid-story ask (copy test)", "B"),
    ("demo_0013", 500000, 16, "succeeded", "once", None, None),
    ("demo_0014", 1000000, 8, "succeeded", "once", None, None),
    ("demo_0015", 250000, 3, "succeeded", "yearly", "End-of-article epic", "A"),
]


class Command(BaseCommand):
    help = (
        "Load a demo campaign with appeals, counters and donations. Safe to run "
        "again: nothing is duplicated."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            AppealSettings.load()
            campaign = self.load_campaign()
            variants = self.load_appeals(campaign)
            self.load_counts(variants)
            self.load_donations(campaign, variants)
        self.stdout.write(self.style.SUCCESS("Demo campaign and appeals loaded."))

    def load_campaign(self):
        now = timezone.now()
        campaign, created = Campaign.objects.get_or_create(
            slug=CAMPAIGN["slug"],
            defaults={
                **CAMPAIGN,
                "starts_at": now - timedelta(days=20),
                "ends_at": now + timedelta(days=25),
            },
        )
        if not created and not campaign.is_running(now):
            # An old demo database: keep the drive running around today.
            campaign.starts_at = now - timedelta(days=20)
            campaign.ends_at = now + timedelta(days=25)
            campaign.active = True
            campaign.save()
        return campaign

    def load_appeals(self, campaign):
        variants = {}
        for name, placement, fields, copies in APPEALS:
            appeal, _created = Appeal.objects.get_or_create(
                name=name,
                defaults={
                    "campaign": campaign,
                    "placement": placement,
                    "starts_at": campaign.starts_at,
                    **fields,
                },
            )
            for label, heading, body, button in copies:
                variants[name, label] = AppealVariant.objects.get_or_create(
                    appeal=appeal,
                    label=label,
                    defaults={"heading": heading, "body": body, "button_label": button},
                )[0]
        return variants

    def load_counts(self, variants):
        today = timezone.localdate()
        for index, ((_name, label), variant) in enumerate(sorted(variants.items())):
            for days_ago in range(14):
                # Made-up but plausible numbers, the same on every run.
                base = 900 + 37 * ((days_ago * 7 + index * 3) % 11)
                clicks = base * (3 if label == "B" else 2) // 100 + days_ago % 4
                AppealDailyCount.objects.update_or_create(
                    variant=variant,
                    day=today - timedelta(days=days_ago),
                    defaults={
                        "impressions": base,
                        "clicks": clicks,
                        "dismissals": base // 40,
                    },
                )

    def load_donations(self, campaign, variants):
        now = timezone.now()
        for reference, amount, days_ago, status, frequency, name, label in DONATIONS:
            variant = variants.get((name, label)) if name else None
            Donation.objects.get_or_create(
                processor=Donation.Processor.OTHER,
                reference=reference,
                defaults={
                    "amount": amount,
                    "amount_refunded": amount if status == "refunded" else 0,
                    "currency": campaign.currency,
                    "received_at": now - timedelta(days=days_ago),
                    "status": status,
                    "frequency": frequency,
                    "campaign": campaign,
                    "appeal": variant.appeal if variant else None,
                    "variant": variant,
                    "source": Donation.Source.MANUAL,
                    "note": "Demo donation",
                },
            )
