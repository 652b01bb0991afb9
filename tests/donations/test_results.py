import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from donations.models import AppealDailyCount
from donations.results import (
    NOT_YET,
    VariantResult,
    ctr_verdict,
    daily_chart,
    gift_verdict,
    mean_p_value,
    p_value,
    revenue_verdict,
    shown,
    variant_results,
    verdicts,
    wilson,
)
from tests.factories import AppealFactory, DonationFactory


def result(label, impressions, clicks, donations=0, gifts=()):
    """A variant's totals; `gifts` are net amounts in cents (their count is
    `donations` unless given)."""
    variant = type("Variant", (), {"label": label})()
    return VariantResult(
        variant,
        impressions=impressions,
        clicks=clicks,
        donations=len(gifts) or donations,
        revenue=sum(gifts),
        revenue_squares=float(sum(g * g for g in gifts)),
    )


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


def test_click_verdicts_in_plain_words():
    assert "too early" in ctr_verdict([result("A", 5000, 100), result("B", 50, 3)])
    assert ctr_verdict([result("A", 1000, 40), result("B", 1000, 45)]) == (
        "B's click-through rate is higher than A's; not yet significant."
    )
    assert ctr_verdict([result("A", 1000, 40), result("B", 1000, 70)]) == (
        "B's click-through rate is higher than A's, and the difference is "
        "significant (95% confidence)."
    )
    assert "same click-through rate" in ctr_verdict(
        [result("A", 1000, 40), result("B", 1000, 40)]
    )


def test_one_version_has_nothing_to_compare():
    assert len(verdicts([result("A", 5000, 100)])) == 1
    assert "nothing to compare" in verdicts([result("A", 5000, 100)])[0]
    assert "nothing to compare" in verdicts([])[0]


def test_money_leads_the_verdict_and_waits_for_enough_gifts():
    few = [result("A", 10_000, 300, gifts=[25_00] * 9), result("B", 10_000, 200)]
    money, gifts, clicks = verdicts(few)
    assert money == (
        "Money raised per impression: not enough data yet: every version needs at "
        "least 100 impressions and 10 gifts."
    )
    assert gifts.startswith("Gifts per impression: not enough data yet")
    assert "A's click-through rate is higher" in clicks


def test_more_clicks_can_mean_less_money():
    """A wins the clicks, B the gifts and the money: the verdict says so."""
    a = result("A", 20_000, 900, gifts=[10_00] * 20)
    b = result("B", 20_000, 500, gifts=[50_00] * 60)
    money, gifts, clicks = verdicts([a, b])
    assert money == (
        "B raises more per impression than A ($150 against $10 per 1,000 "
        "impressions), and the difference is significant (95% confidence)."
    )
    assert gifts == (
        "B brings more gifts per impression than A (0.30% against 0.10%), and the "
        "difference is significant (95% confidence)."
    )
    assert clicks.startswith("A's click-through rate is higher than B's, and")


def test_close_money_is_not_yet_significant():
    a = result("A", 10_000, 300, gifts=[25_00] * 20)
    b = result("B", 10_000, 300, gifts=[25_00] * 19 + [35_00])
    assert revenue_verdict([a, b]) == (
        "B raises more per impression than A ($51 against $50 per 1,000 "
        "impressions); not yet significant."
    )
    assert "the same gifts per impression" in gift_verdict([a, b])


def test_gift_and_money_rates_are_shown_with_intervals_once_there_are_enough():
    few = result("A", 5000, 100, gifts=[25_00] * 9)
    assert (few.gift_rate_display, few.revenue_display) == (NOT_YET, NOT_YET)
    assert few.revenue_interval_display == NOT_YET
    enough = result("A", 10_000, 100, gifts=[25_00] * 20)
    assert enough.gift_rate_display == "0.20%"
    assert enough.gift_interval_display == "0.13% – 0.31%"
    assert enough.revenue_display == "$50"
    # 20 gifts of $25 in 10,000 impressions: $50 ± 1.96 × $11.17 per 1,000.
    assert enough.revenue_interval_display == "$28.11 – $71.89"


def test_more_clicks_than_impressions_count_as_every_impression_clicked():
    odd = result("A", 10, 12)
    assert odd.clicks_exceed is True
    assert odd.ctr == 1.0
    assert odd.ctr_display == "100.0%"
    assert wilson(12, 10) == wilson(10, 10)
    assert p_value(12, 10, 5, 10) == p_value(10, 10, 5, 10)


counts = st.integers(min_value=0, max_value=10**12)


@st.composite
def variant_totals(draw):
    """Any totals a variant's counters and gifts can reach, consistent or not."""
    gifts = draw(st.lists(st.integers(1, 10**13), max_size=30))
    return result(
        draw(st.sampled_from("ABCDEF")),
        draw(counts),
        draw(counts),
        donations=draw(counts),
        gifts=gifts,
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(variant_totals(), max_size=5))
def test_any_counts_give_verdicts_and_displays(results):
    lines = verdicts(results)
    assert lines and all(isinstance(line, str) and line for line in lines)
    for r in results:
        for name in (
            "impressions_display",
            "clicks_display",
            "ctr_display",
            "interval_display",
            "gift_rate_display",
            "gift_interval_display",
            "revenue_display",
            "revenue_interval_display",
            "raised_display",
        ):
            assert isinstance(getattr(r, name), str)
        assert 0.0 <= r.ctr <= 1.0
        assert 0.0 <= r.gift_rate <= 1.0
        interval = r.revenue_interval()
        if interval is not None:
            assert 0.0 <= interval[0] <= r.revenue_per_impression <= interval[1]


@given(counts, counts)
def test_wilson_is_a_proper_interval_for_any_counts(successes, trials):
    interval = wilson(successes, trials)
    if trials == 0:
        assert interval is None
        return
    low, high = interval
    assert 0.0 <= low <= min(successes, trials) / trials <= high <= 1.0


@given(counts, counts, counts, counts)
def test_p_values_are_probabilities_for_any_counts(a, n_a, b, n_b):
    assert 0.0 <= p_value(a, n_a, b, n_b) <= 1.0


@given(
    st.floats(0, 1e12),
    st.floats(0, 1e24),
    counts,
    st.floats(0, 1e12),
    st.floats(0, 1e24),
    counts,
)
def test_mean_p_values_are_probabilities(mean_a, var_a, n_a, mean_b, var_b, n_b):
    value = mean_p_value(mean_a, var_a, n_a, mean_b, var_b, n_b)
    assert not math.isnan(value) and 0.0 <= value <= 1.0


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


ODD_COUNTS = {
    "more clicks than impressions": [("A", 10, 25), ("B", 200, 300)],
    "zero impressions": [("A", 0, 5), ("B", 0, 0)],
    "zero impressions, many clicks": [("A", 0, 50), ("B", 1000, 10)],
    "one variant": [("A", 150, 400)],
    "no data": [],
    "huge counts": [("A", 10**15, 10**15 + 7), ("B", 10**15, 1)],
}


@pytest.mark.django_db
@pytest.mark.parametrize("counts", ODD_COUNTS.values(), ids=ODD_COUNTS.keys())
def test_the_results_page_renders_on_odd_counts(admin_client, counts):
    labels = [label for label, _i, _c in counts] or ["A"]
    appeal = AppealFactory(variants=labels)
    today = timezone.localdate()
    for label, impressions, clicks in counts:
        AppealDailyCount.objects.create(
            variant=appeal.variants.get(label=label),
            day=today,
            impressions=impressions,
            clicks=clicks,
        )
    a = appeal.variants.get(label="A")
    DonationFactory(
        campaign=appeal.campaign, appeal=appeal, variant=a, amount=9_000_000_000_00
    )
    DonationFactory.create_batch(
        12, campaign=appeal.campaign, appeal=appeal, variant=a, amount=25_00
    )
    response = admin_client.get(
        reverse("admin:donations_appeal_results", args=[appeal.pk])
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Gifts per impression" in page
    # Noted where the counts are shown; "<10" clicks keep their secret.
    noted = any(c > i and c >= 10 for _label, i, c in counts)
    assert ("More clicks than impressions" in page) is noted
