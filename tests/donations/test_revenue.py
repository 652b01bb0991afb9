"""Money over time in the admin, and the export of donations for accounting."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.export import safe
from donations.models import Donation, Subscription
from donations.revenue import period_starts, revenue
from tests.factories import CampaignFactory, DonationFactory, UserFactory

pytestmark = pytest.mark.django_db

REVENUE = "admin:donations_donation_revenue"
EXPORT = "admin:donations_donation_export"


@pytest.fixture
def fundraiser(client):
    user = UserFactory(role="Fundraising")
    client.force_login(user)
    return user


def days_ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def ledger():
    campaign = CampaignFactory(
        goal=1_000_00, starts_at=days_ago(20), ends_at=timezone.now() + timedelta(10)
    )
    DonationFactory(campaign=campaign, amount=50_00, received_at=days_ago(1))
    DonationFactory(
        campaign=campaign,
        amount=20_00,
        amount_refunded=5_00,
        frequency="monthly",
        received_at=days_ago(1),
    )
    DonationFactory(
        campaign=campaign,
        amount=30_00,
        amount_refunded=30_00,
        status="refunded",
        received_at=days_ago(2),
    )
    DonationFactory(
        campaign=campaign, amount=99_00, status="disputed", received_at=days_ago(2)
    )
    DonationFactory(campaign=campaign, amount=10_00, received_at=days_ago(15))
    DonationFactory(campaign=campaign, amount=7_00, currency="EUR")
    return campaign


def test_revenue_by_day_is_net_of_refunds_and_split_by_frequency(ledger):
    buckets, chart = revenue(Donation.objects.all(), "USD", "day")
    assert len(buckets) == len(chart["bars"]) == 30
    by_day = {b.start: b for b in buckets}
    yesterday = timezone.localtime(days_ago(1)).date()
    assert (by_day[yesterday].one_time, by_day[yesterday].recurring) == (50_00, 15_00)
    assert sum(b.total for b in buckets) == 50_00 + 15_00 + 10_00
    # Every period's total is what the campaign's progress counts.
    assert sum(b.total for b in buckets) == ledger.progress().raised


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_periods_follow_each_other_without_gaps(period):
    today = timezone.localdate()
    starts = period_starts(period, today, 14)
    assert len(starts) == len(set(starts)) == 14
    assert starts == sorted(starts)
    assert starts[-1] <= today


def test_the_revenue_page_draws_the_chart_and_the_pace(client, fundraiser, ledger):
    response = client.get(reverse(REVENUE), {"period": "week"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg class="results__chart"') == 2
    assert "$75 in the periods shown" in page
    assert f"Pace: {ledger.name}" in page
    assert "$75 raised of $1,000" in page
    assert "Steady pace to the goal" in page
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    "query",
    [
        {"period": "decade"},
        {"campaign": "x'; --"},
        {"campaign": "999999"},
        {"currency": "XXX"},
        {"campaign": "all", "currency": "EUR", "period": "month"},
    ],
)
def test_the_revenue_page_takes_any_query_string(client, fundraiser, ledger, query):
    assert client.get(reverse(REVENUE), query).status_code == 200


def test_the_revenue_page_with_no_gifts_at_all(client, fundraiser):
    assert client.get(reverse(REVENUE)).status_code == 200


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_export_follows_the_changelists_filters_and_search(
    client, fundraiser, ledger
):
    changelist = client.get(reverse("admin:donations_donation_changelist"))
    link = re.search(r'href="([^"]*/export/[^"]*)"', changelist.content.decode())[1]
    assert link == reverse(EXPORT) + "?"
    everything = rows_of(client.get(reverse(EXPORT)))
    assert everything[0][:5] == ["Id", "Received", "Amount", "Refunded", "Net"]
    assert len(everything) == 1 + 6
    filtered = client.get(
        reverse("admin:donations_donation_changelist"),
        {"status__exact": "succeeded", "currency": "USD"},
    )
    assert filtered.status_code == 200
    refunded = rows_of(client.get(reverse(EXPORT), {"status__exact": "refunded"}))
    assert [(r[2], r[3], r[4]) for r in refunded[1:]] == [("30.00", "30.00", "0.00")]
    monthly = rows_of(client.get(reverse(EXPORT), {"frequency__exact": "monthly"}))
    assert len(monthly) == 2 and monthly[1][7] == "Monthly"


def test_the_export_is_streamed_and_says_when_a_recurring_gift_ended(
    client, fundraiser
):
    ended = Subscription.objects.create(reference="sub_1", ended_at=days_ago(3))
    DonationFactory(subscription=ended, frequency="monthly", donor_name="Mo")
    response = client.get(reverse(EXPORT), {"q": "Mo"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    row = rows_of(response)[1]
    assert row[8] == "sub_1"
    assert row[9] == timezone.localtime(days_ago(3)).date().isoformat()


def test_export_cells_cannot_run_as_spreadsheet_formulas(client, fundraiser):
    DonationFactory(
        donor_name='=HYPERLINK("http://evil.example","x")',
        donor_email="a@example.org",
        reference="+1-555",
    )
    row = rows_of(client.get(reverse(EXPORT)))[1]
    assert row[16] == '\'=HYPERLINK("http://evil.example","x")'
    assert row[15] == "'+1-555"
    assert [safe(v) for v in ("@x", "-2", "\tx", "ok", None)] == [
        "'@x",
        "'-2",
        "'\tx",
        "ok",
        "",
    ]


def test_a_bad_filter_in_the_export_is_a_400(client, fundraiser):
    response = client.get(reverse(EXPORT), {"received_at__gte": "not a date"})
    assert response.status_code == 400


def test_editors_cannot_export_or_see_revenue(client):
    client.force_login(UserFactory(role="Editor"))
    assert client.get(reverse(EXPORT)).status_code == 403
    assert client.get(reverse(REVENUE)).status_code == 403
