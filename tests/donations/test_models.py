from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from donations.models import (
    Appeal,
    AppealDailyCount,
    AppealSettings,
    AppealState,
    Donation,
)
from donations.money import format_money, parse_amount
from tests.factories import (
    AppealFactory,
    ArticleFactory,
    CampaignFactory,
    DonationFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db

ARTICLE_SLOTS = ["top", "inline", "end", "overlay"]


def eligible(article=None, placements=ARTICLE_SLOTS):
    return set(Appeal.objects.running().for_page(placements, article))


# Eligibility: decided on the server because it is the same for every reader ------


def test_a_running_appeal_is_eligible_on_an_article():
    appeal = AppealFactory()
    assert eligible(ArticleFactory()) == {appeal}


def test_an_appeal_is_eligible_only_inside_its_schedule():
    now = timezone.now()
    AppealFactory(starts_at=now + timedelta(hours=1))
    AppealFactory(starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    running = AppealFactory(
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(1)
    )
    assert eligible(ArticleFactory()) == {running}


def test_a_campaign_outside_its_dates_or_switched_off_stops_its_appeals():
    now = timezone.now()
    AppealFactory(campaign=CampaignFactory(active=False))
    AppealFactory(campaign=CampaignFactory(starts_at=now + timedelta(days=1)))
    AppealFactory(
        campaign=CampaignFactory(
            starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1)
        )
    )
    standalone = AppealFactory(campaign=None, button_url="https://example.org/give")
    assert eligible(ArticleFactory()) == {standalone}


def test_a_paused_appeal_is_not_eligible():
    AppealFactory(active=False)
    assert eligible(ArticleFactory()) == set()


def test_the_site_wide_pause_stops_every_appeal():
    AppealFactory(placement="top")
    AppealFactory(placement="inline")
    settings_row = AppealSettings.load()
    settings_row.paused = True
    settings_row.save()
    assert eligible(ArticleFactory()) == set()
    settings_row.paused = False
    settings_row.save()
    assert len(eligible(ArticleFactory())) == 2


def test_an_article_marked_no_appeals_gets_none():
    AppealFactory(placement="top")
    AppealFactory(placement="inline")
    assert eligible(ArticleFactory(no_appeals=True)) == set()


def test_section_targeting():
    politics, schools = SectionFactory(), SectionFactory()
    everywhere = AppealFactory()
    politics_only = AppealFactory()
    politics_only.sections.set([politics])
    assert eligible(ArticleFactory(section=politics)) == {everywhere, politics_only}
    assert eligible(ArticleFactory(section=schools)) == {everywhere}
    # A page that is not an article has no section: targeted appeals stay off it.
    top = AppealFactory(placement="top")
    top_politics = AppealFactory(placement="top")
    top_politics.sections.set([politics])
    assert eligible(None, ["top", "overlay"]) == {top}


def test_developing_only_and_never_on_developing():
    any_story = AppealFactory(developing="any")
    only = AppealFactory(developing="only")
    never = AppealFactory(developing="never")
    assert eligible(ArticleFactory(developing=True)) == {any_story, only}
    assert eligible(ArticleFactory(developing=False)) == {any_story, never}


def test_article_placements_are_not_eligible_off_articles():
    AppealFactory(placement="inline")
    AppealFactory(placement="end")
    home = AppealFactory(placement="home")
    assert eligible(None, ["top", "home", "overlay", "inline", "end"]) == {home}


def test_the_admin_explanation_agrees_with_the_page_query():
    politics, schools = SectionFactory(), SectionFactory()
    appeals = [
        AppealFactory(),
        AppealFactory(developing="only"),
        AppealFactory(developing="never"),
        AppealFactory(active=False),
        AppealFactory(starts_at=timezone.now() + timedelta(days=1)),
    ]
    appeals[0].sections.set([politics])
    articles = [
        ArticleFactory(section=politics),
        ArticleFactory(section=schools, developing=True),
        ArticleFactory(section=politics, no_appeals=True),
    ]
    for article in articles:
        shown = eligible(article, ["inline"])
        for appeal in appeals:
            reasons = appeal.reasons_not_shown_on(article)
            assert (appeal in shown) is (not reasons), (appeal, article, reasons)


# States the admin shows ------------------------------------------------------------


def test_appeal_states():
    now = timezone.now()
    assert AppealFactory().get_state() == AppealState.RUNNING
    assert (
        AppealFactory(starts_at=now + timedelta(days=1)).get_state()
        == AppealState.SCHEDULED
    )
    ended = AppealFactory(starts_at=now - timedelta(days=3), ends_at=now - timedelta(1))
    assert ended.get_state() == AppealState.ENDED
    assert AppealFactory(active=False).get_state() == AppealState.PAUSED
    assert (
        AppealFactory(campaign=CampaignFactory(active=False)).get_state()
        == AppealState.PAUSED
    )
    running = AppealFactory()
    assert running.get_state(site_paused=True) == AppealState.PAUSED


def test_an_appeal_runs_only_inside_its_campaign_window():
    now = timezone.now()
    campaign = CampaignFactory(
        starts_at=now - timedelta(days=5), ends_at=now + timedelta(days=5)
    )
    appeal = AppealFactory(campaign=campaign, starts_at=now - timedelta(days=30))
    assert appeal.window == (campaign.starts_at, campaign.ends_at)
    rules = appeal.rules([])
    assert rules["starts"] == int(campaign.starts_at.timestamp() * 1000)
    assert rules["ends"] == int(campaign.ends_at.timestamp() * 1000)


def test_a_standalone_appeal_needs_a_button_link():
    with pytest.raises(IntegrityError), transaction.atomic():
        AppealFactory(campaign=None, button_url="")


# Counters ---------------------------------------------------------------------------


def test_counters_increment_per_variant_and_day():
    variant = AppealFactory().variants.get()
    AppealDailyCount.increment(variant.pk, "impression")
    AppealDailyCount.increment(variant.pk, "impression")
    AppealDailyCount.increment(variant.pk, "click")
    AppealDailyCount.increment(variant.pk, "dismiss")
    yesterday = timezone.localdate() - timedelta(days=1)
    AppealDailyCount.increment(variant.pk, "impression", day=yesterday)
    today = AppealDailyCount.objects.get(variant=variant, day=timezone.localdate())
    assert (today.impressions, today.clicks, today.dismissals) == (2, 1, 1)
    assert AppealDailyCount.objects.get(variant=variant, day=yesterday).impressions == 1


# The ledger and campaign progress ---------------------------------------------------


def test_totals_are_net_of_refunds_and_leave_out_unsettled_gifts():
    campaign = CampaignFactory()
    DonationFactory(campaign=campaign, amount=100_00)
    DonationFactory(campaign=campaign, amount=50_00, amount_refunded=20_00)
    DonationFactory(
        campaign=campaign, amount=40_00, amount_refunded=40_00, status="refunded"
    )
    DonationFactory(campaign=campaign, amount=999_00, status="pending")
    DonationFactory(campaign=campaign, amount=999_00, status="failed")
    DonationFactory(campaign=campaign, amount=999_00, status="disputed")
    DonationFactory(campaign=campaign, amount=999_00, currency="EUR")
    DonationFactory(campaign=CampaignFactory(), amount=999_00)
    progress = campaign.progress()
    assert progress.raised == 130_00
    assert progress.donors == 2


def test_donors_are_counted_once_by_email_and_anonymous_gifts_each_count():
    campaign = CampaignFactory()
    DonationFactory(campaign=campaign, donor_email="ana@example.org")
    DonationFactory(campaign=campaign, donor_email="ANA@example.org")
    DonationFactory(campaign=campaign, donor_email="")
    DonationFactory(campaign=campaign, donor_email="")
    assert campaign.progress().donors == 3


def test_percent_and_pace_line_on_a_fixed_date():
    tz = timezone.get_current_timezone()
    campaign = CampaignFactory(
        goal=10_000_00,
        starts_at=datetime(2026, 3, 1, tzinfo=tz),
        ends_at=datetime(2026, 3, 31, tzinfo=tz),
    )
    DonationFactory(
        campaign=campaign, amount=4_000_00, received_at=datetime(2026, 3, 10, tzinfo=tz)
    )
    progress = campaign.progress(now=datetime(2026, 3, 16, tzinfo=tz))
    assert progress.percent == 40.0
    assert progress.expected == 5_000_00  # half-way through, half the goal
    assert progress.expected_percent == 50.0
    assert progress.on_track is False
    nearly = campaign.progress(now=datetime(2026, 3, 30, 12, tzinfo=tz))
    assert nearly.expected == 9_833_33
    # Before it starts and once it has ended, there is no pace to keep.
    for day in (datetime(2026, 2, 1, tzinfo=tz), datetime(2026, 4, 5, tzinfo=tz)):
        outside = campaign.progress(now=day)
        assert outside.expected is None
        assert outside.on_track is True


def test_an_open_ended_campaign_has_no_pace_line():
    campaign = CampaignFactory(ends_at=None)
    progress = campaign.progress()
    assert progress.expected is None
    assert progress.on_track is True


def test_progress_percent_stops_at_100():
    campaign = CampaignFactory(goal=100_00)
    DonationFactory(campaign=campaign, amount=250_00)
    assert campaign.progress().percent == 100.0


def test_a_processor_reference_is_recorded_once_per_processor():
    DonationFactory(processor="stripe", reference="pi_123")
    DonationFactory(processor="paypal", reference="pi_123")
    DonationFactory(processor="stripe", reference="")
    DonationFactory(processor="stripe", reference="")
    with pytest.raises(IntegrityError), transaction.atomic():
        DonationFactory(processor="stripe", reference="pi_123")


def test_the_database_refuses_impossible_amounts():
    with pytest.raises(IntegrityError), transaction.atomic():
        DonationFactory(amount=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        DonationFactory(amount=10_00, amount_refunded=11_00)


def test_a_donation_from_a_variant_knows_its_appeal_and_campaign():
    appeal = AppealFactory()
    donation = Donation.objects.create(
        amount=10_00, variant=appeal.variants.get(), campaign=None
    )
    assert donation.appeal == appeal
    assert donation.campaign == appeal.campaign


# Money ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minor"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("25.50", 2550),
        ("1,250.50", 125050),
        ("1000", 100000),
        ("$12", 1200),
        (" 7.05 ", 705),
    ],
)
def test_amounts_are_read_into_minor_units(text, minor):
    assert parse_amount(text) == minor


@pytest.mark.parametrize(
    "text", ["", "abc", "1,00", "12.345", "1.000,50", "-5", "1e3", "NaN", "25 00"]
)
def test_ambiguous_or_junk_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


def test_money_is_shown_with_cents_only_when_there_are_any():
    assert format_money(125000, "USD") == "$1,250"
    assert format_money(1250, "USD") == "$12.50"
    assert format_money(500, "EUR") == "€5"
