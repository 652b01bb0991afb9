from io import StringIO

import pytest
from django.core.management import call_command

from donations.models import (
    Appeal,
    AppealDailyCount,
    AppealVariant,
    Campaign,
    Donation,
    Placement,
)

pytestmark = pytest.mark.django_db


def load():
    call_command("load_demo_donations", stdout=StringIO())
    return (
        Campaign.objects.count(),
        Appeal.objects.count(),
        AppealVariant.objects.count(),
        Donation.objects.count(),
        AppealDailyCount.objects.count(),
    )


def test_the_demo_has_a_running_campaign_with_the_issues_appeals():
    load()
    campaign = Campaign.objects.get()
    assert campaign.is_running()
    appeals = {a.placement: a for a in campaign.appeals.all()}
    assert set(appeals) == {Placement.INLINE, Placement.END, Placement.TOP}
    assert appeals[Placement.INLINE].variants.count() == 2
    assert all(a.get_state() == "running" for a in appeals.values())
    progress = campaign.progress()
    assert 0 < progress.raised < progress.goal
    assert Donation.objects.filter(status="refunded").exists()
    assert Donation.objects.filter(variant__isnull=False).exists()


def test_the_demo_loads_again_without_duplicates():
    first = load()
    assert load() == first
