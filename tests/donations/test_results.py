from datetime import timedelta

import pytest
from django.utils import timezone

from donations.models import AppealDailyCount
from donations.results import (
    VariantResult,
    daily_chart,
    p_value,
    shown,
    variant_results,
    verdict,
    wilson,
)
from tests.factories import AppealFactory, DonationFactory


def result(label, impressions, clicks):
    variant = type("Variant", (), {"label": label})()
    return VariantResult(variant, impressions=impressions, clicks=clicks)


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson(10, 100)
    assert round(low, 4) == 0.0552
    assert round(high, 4) == 0.1744
    assert wilson(0, 0) is None
    low, high = wilson(0, 50)
    assert low == 0.0 and 0 < high < 0.08


def test_p_value_of_two_proportions():
    assert p_value(50, 1000, 50, 1000) == 1.0
    assert round(p_value(40, 1000, 70, 1000), 3) == 0.003
    assert p_value(0, 0, 1, 10) == 1.0


def test_small_counts_are_shown_as_fewer_than_ten():
    assert [shown(n) for n in (0, 1, 9, 10, 12345)] == [
        "<10",
        "<10",
        "<10",
        "10",
        "12,345",
    ]


def test_rates_are_hidden_until_there_are_enough_clicks():
    few = result("A", 5000, 9)
    assert few.clicks_display == "<10"
    assert few.ctr_display == "–"
    assert few.interval_display == "–"
    enough = result("A", 5000, 100)
    assert enough.ctr_display == "2.0%"
    assert enough.interval_display == "1.6% – 2.4%"


def test_verdicts_in_plain_words():
    assert "nothing to compare" in verdict([result("A", 5000, 100)])
    assert "Too early" in verdict([result("A", 5000, 100), result("B", 50, 3)])
    assert verdict([result("A", 1000, 40), result("B", 1000, 45)]) == (
        "B's click-through rate is higher than A's; not yet significant."
    )
    assert verdict([result("A", 1000, 40), result("B", 1000, 70)]) == (
        "B's click-through rate is higher than A's, and the difference is "
        "significant (95% confidence)."
    )
    assert "same click-through rate" in verdict(
        [result("A", 1000, 40), result("B", 1000, 40)]
    )


@pytest.mark.django_db
def test_results_add_up_counters_and_attributed_gifts_per_variant():
    appeal = AppealFactory(variants=["A", "B"])
    a, b = appeal.variants.order_by("label")
    today = timezone.localdate()
    for days in range(3):
        AppealDailyCount.objects.create(
            variant=a, day=today - timedelta(days), impressions=100, clicks=5
        )
    AppealDailyCount.objects.create(variant=b, day=today, impressions=300, clicks=20)
    DonationFactory(campaign=appeal.campaign, appeal=appeal, variant=b, amount=50_00)
    DonationFactory(
        campaign=appeal.campaign,
        appeal=appeal,
        variant=b,
        amount=10_00,
        status="failed",
    )
    DonationFactory(campaign=appeal.campaign, appeal=appeal, variant=None, amount=7_00)
    results, unattributed = variant_results(appeal)
    by_label = {r.label: r for r in results}
    assert (by_label["A"].impressions, by_label["A"].clicks) == (300, 15)
    assert (by_label["B"].impressions, by_label["B"].clicks) == (300, 20)
    assert by_label["B"].donations == 1
    assert by_label["B"].raised_display == "$50"
    assert unattributed.donations == 1
    assert unattributed.raised_display == "$7"


@pytest.mark.django_db
def test_the_chart_draws_one_line_per_variant_and_small_counts_on_the_baseline():
    appeal = AppealFactory(variants=["A", "B"])
    a, b = appeal.variants.order_by("label")
    today = timezone.localdate()
    AppealDailyCount.objects.create(
        variant=a, day=today - timedelta(days=1), impressions=500, clicks=3
    )
    AppealDailyCount.objects.create(variant=a, day=today, impressions=1000, clicks=40)
    charts, table = daily_chart(appeal, today)
    impressions, clicks = charts
    assert [line["label"] for line in impressions["series"]] == ["A", "B"]
    baseline = f"{impressions['axis']['y']:.1f}"
    a_dots = impressions["series"][0]["dots"]
    assert [d["title"] for d in a_dots] == [
        f"{today - timedelta(days=1)}: 500",
        f"{today}: 1,000",
    ]
    assert a_dots[1]["y"] == f"{12:.1f}"  # the peak touches the top
    assert clicks["series"][0]["dots"][0]["y"] == baseline  # 3 clicks: "<10"
    assert clicks["series"][0]["dots"][0]["title"].endswith("<10")
    assert [row["day"] for row in table] == [today, today - timedelta(days=1)]
    assert table[1]["cells"][:3] == ["500", "<10", "<10"]
