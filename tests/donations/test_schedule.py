"""The one schedule window of campaigns and appeals (donations.models.schedule): what
SQL decides and what a row in memory says agree on every start, end and moment, ties
included, and nothing starts or ends between now and the next change the page cache
is told of."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from donations.imports import import_rows
from donations.models import Appeal, AppealSettings, Campaign, Donation
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 1, 12, tzinfo=UTC)


def minute(n):
    return BASE + timedelta(minutes=n)


# Starts, ends and moments on a few whole minutes, so that ties (a start or an end
# exactly at the moment asked about) come up often.
moments = st.integers(-5, 9).map(minute)


@st.composite
def windows(draw):
    start = draw(st.integers(-3, 3))
    length = draw(st.none() | st.integers(1, 4))
    return {
        "active": draw(st.booleans()),
        "starts_at": minute(start),
        "ends_at": None if length is None else minute(start + length),
    }


@contextmanager
def rolled_back():
    """Each generated example on an empty ledger: its rows are gone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def campaign(n=0, **window):
    return Campaign.objects.create(
        name=f"Campaign {n}",
        slug=f"campaign-{n}",
        goal=1000,
        donate_url="https://donate.example.org/",
        **window,
    )


def appeal(campaign=None, **window):
    return Appeal.objects.create(
        name="Appeal",
        placement="top",
        campaign=campaign,
        button_url="" if campaign else "https://donate.example.org/",
        **window,
    )


def running(model, now):
    return set(model.objects.running(now).values_list("pk", flat=True))


@settings(max_examples=150, deadline=None)
@given(window=windows(), now=moments)
def test_a_campaign_runs_in_sql_exactly_when_it_runs_in_memory(window, now):
    with rolled_back():
        row = campaign(**window)
        assert (row.pk in running(Campaign, now)) is row.is_running(now)


@settings(max_examples=200, deadline=None)
@given(
    own=windows(),
    of_campaign=st.none() | windows(),
    paused=st.booleans(),
    now=moments,
)
def test_an_appeal_runs_in_sql_exactly_when_it_runs_in_memory(
    own, of_campaign, paused, now
):
    with rolled_back():
        AppealSettings.objects.create(paused=paused)
        row = appeal(campaign(**of_campaign) if of_campaign else None, **own)
        fresh = Appeal.objects.select_related("campaign").get(pk=row.pk)
        assert (row.pk in running(Appeal, now)) is fresh.is_running(now)


@settings(max_examples=100, deadline=None)
@given(
    campaigns=st.lists(windows(), min_size=1, max_size=3),
    appeals=st.lists(st.tuples(windows(), st.integers(0, 3)), max_size=3),
    now=moments,
)
def test_nothing_starts_or_ends_before_the_next_change(campaigns, appeals, now):
    """The page cache keeps pages until the next change (DonationsConfig.ready):
    every campaign and appeal stays as it is until then."""
    with rolled_back():
        rows = [campaign(n, **window) for n, window in enumerate(campaigns)]
        for window, index in appeals:
            appeal(rows[index] if index < len(rows) else None, **window)
        changes = [model.objects.next_change(now) for model in (Appeal, Campaign)]
        change = min(filter(None, changes), default=None)

        def state(moment):
            return running(Campaign, moment), running(Appeal, moment)

        if change is None:
            assert state(now) == state(minute(1000))
        else:
            assert change > now
            assert state(now) == state(change - timedelta(microseconds=1))


@settings(max_examples=50, deadline=None)
@given(st.lists(windows(), min_size=1, max_size=5))
def test_campaigns_sort_ending_first_alike_in_sql_and_in_memory(windows):
    with rolled_back():
        rows = [campaign(n, **window) for n, window in enumerate(windows)]
        in_sql = list(Campaign.objects.ending_first())
        assert in_sql == sorted(rows, key=Campaign.ending_key)


def test_an_imported_gift_counts_towards_the_campaign_a_webhook_would_choose():
    """A gift naming no campaign goes to the running one that ends soonest, whether
    it comes by webhook or in a CSV file (the import used to prefer an open-ended
    campaign)."""
    CampaignFactory(starts_at=minute(-60 * 24 * 90), ends_at=None)
    dated = CampaignFactory(
        starts_at=minute(-60 * 24 * 90), ends_at=minute(60 * 24 * 90)
    )
    text = (
        "id,Created date (UTC),Amount,Currency,Status\r\n"
        "ch_1,2026-03-05 14:22:01,25.00,usd,Paid\r\n"
    )
    assert import_rows(text).added == 1
    gift = Donation.objects.get()
    assert gift.campaign == dated
    assert Campaign.objects.for_gift(gift.received_at, "USD") == dated
