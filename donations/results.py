"""
What an appeal's counters say: per variant, the click-through rate, gifts per
impression and money raised per impression, each with a 95% interval; a verdict in
plain words when variants compete, led by money rather than clicks; and a small SVG
chart of daily counts.

Counters come from beacons and gifts from the ledger, so they need not agree: a
reader may click twice, a gift may come from a link someone shared, an impression
may never be counted. Nothing here assumes they do: any counts give a page.

Counts below PRIVACY_FLOOR are shown as “<10” (and drawn on the chart's baseline), and
no rate is shown that would give such a count away: the counters are aggregates
precisely so that nobody can be picked out of them.
"""

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, F, FloatField, Sum
from django.db.models.functions import Cast, Power
from django.utils.translation import gettext as _

from .models import AppealDailyCount, Donation
from .money import format_money

PRIVACY_FLOOR = 10
MIN_IMPRESSIONS = 100  # per variant, before any verdict
MIN_GIFTS = PRIVACY_FLOOR  # per variant, before gifts or money are compared
Z95 = 1.959964
PER = 1000  # gifts and money are shown per this many impressions
CHART_DAYS = 60
COLOURS = ["#9b1c1c", "#1d4ed8", "#047857", "#b45309", "#6d28d9", "#0e7490"]
NOT_YET = "–"


def shown(count):
    """A counter as the results show it."""
    return f"<{PRIVACY_FLOOR}" if count < PRIVACY_FLOOR else f"{count:,}"


def wilson(successes, trials, z=Z95):
    """The Wilson score interval of a proportion: honest with small counts and
    rates near zero, where the textbook p ± z·se interval is not. Successes beyond
    the trials (more clicks than impressions) count as every trial succeeding."""
    if trials <= 0:
        return None
    successes = min(max(successes, 0), trials)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    margin = (
        z * math.sqrt(max(0.0, p * (1 - p) / trials + z * z / (4 * trials * trials)))
    ) / denominator
    # The interval always holds p; min/max keep rounding from saying otherwise.
    return max(0.0, min(p, centre - margin)), min(1.0, max(p, centre + margin))


def p_value(successes_a, trials_a, successes_b, trials_b):
    """Two-sided p-value of a two-proportion z-test (pooled)."""
    if trials_a <= 0 or trials_b <= 0:
        return 1.0
    successes_a = min(max(successes_a, 0), trials_a)
    successes_b = min(max(successes_b, 0), trials_b)
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    se = math.sqrt(max(0.0, pooled * (1 - pooled)) * (1 / trials_a + 1 / trials_b))
    if se == 0:
        return 1.0
    z = (successes_a / trials_a - successes_b / trials_b) / se
    return math.erfc(abs(z) / math.sqrt(2))


def mean_p_value(mean_a, variance_a, n_a, mean_b, variance_b, n_b):
    """Two-sided p-value of Welch's z-test for two means (large samples: every
    impression is one observation, most of them zero)."""
    if n_a <= 0 or n_b <= 0:
        return 1.0
    se = math.sqrt(max(0.0, variance_a) / n_a + max(0.0, variance_b) / n_b)
    if se == 0 or not math.isfinite(se):
        return 1.0
    z = (mean_a - mean_b) / se
    return math.erfc(abs(z) / math.sqrt(2)) if math.isfinite(z) else 0.0


def percent(value):
    return f"{100 * value:.1f}%"


def percent_fine(value):
    """Gift rates are small: two decimals, so 0.12% and 0.31% are not both 0.1%."""
    return f"{100 * value:.2f}%"


def proportion(successes, trials):
    """Successes per trial, at most 1; none without trials."""
    return min(successes, trials) / trials if trials > 0 else 0.0


def interval_text(interval, shown, unit):
    """“1.6% – 2.4%” in `unit`, or “–” while the counts are too few to show."""
    if not shown or interval is None:
        return NOT_YET
    low, high = interval
    return f"{unit(low)} – {unit(high)}"


@dataclass
class VariantResult:
    variant: object
    impressions: int = 0
    clicks: int = 0
    dismissals: int = 0
    donations: int = 0
    raised: dict = field(default_factory=dict)  # currency -> minor units
    # The money compared per impression, in one currency (see variant_results):
    currency: str = "USD"
    revenue: int = 0  # minor units, net of refunds
    revenue_squares: float = 0.0  # sum of each gift's net amount squared

    @property
    def label(self):
        return self.variant.label if self.variant else _("(variant unknown)")

    @property
    def clicks_exceed(self):
        """Said only of counts that are shown: “<10” keeps its secret."""
        return self.clicks > self.impressions and self.clicks >= PRIVACY_FLOOR

    # Clicks --------------------------------------------------------------------

    @property
    def ctr(self):
        """Clicks per impression, at most 1: a reader who clicks twice, or before
        the appeal counted as seen, is not two readers."""
        return proportion(self.clicks, self.impressions)

    @property
    def enough(self):
        return self.impressions >= PRIVACY_FLOOR and self.clicks >= PRIVACY_FLOOR

    @property
    def ctr_display(self):
        return percent(self.ctr) if self.enough else NOT_YET

    @property
    def interval_display(self):
        interval = wilson(self.clicks, self.impressions)
        return interval_text(interval, self.enough, percent)

    # Gifts ---------------------------------------------------------------------

    @property
    def enough_gifts(self):
        """Enough to show a rate that gives no small count away."""
        return self.impressions >= MIN_IMPRESSIONS and self.donations >= MIN_GIFTS

    @property
    def gift_rate(self):
        return proportion(self.donations, self.impressions)

    @property
    def gift_rate_display(self):
        return percent_fine(self.gift_rate) if self.enough_gifts else NOT_YET

    @property
    def gift_interval_display(self):
        interval = wilson(self.donations, self.impressions)
        return interval_text(interval, self.enough_gifts, percent_fine)

    # Money ---------------------------------------------------------------------

    @property
    def revenue_per_impression(self):
        """Mean money per impression (minor units): each impression is one
        observation, worth a gift's net amount or nothing."""
        if self.impressions <= 0:
            return 0.0
        return max(0, self.revenue) / self.impressions

    @property
    def revenue_variance(self):
        n = self.impressions
        if n <= 1:
            return 0.0
        mean = self.revenue_per_impression
        squares = max(0.0, float(self.revenue_squares))
        return max(0.0, (squares - n * mean * mean) / (n - 1))

    def revenue_interval(self, z=Z95):
        if self.impressions <= 0:
            return None
        mean = self.revenue_per_impression
        margin = z * math.sqrt(self.revenue_variance / self.impressions)
        return max(0.0, mean - margin), mean + margin

    def money_per(self, minor_per_impression):
        return format_money(round(minor_per_impression * PER), self.currency)

    @property
    def revenue_display(self):
        if not self.enough_gifts:
            return NOT_YET
        return self.money_per(self.revenue_per_impression)

    @property
    def revenue_interval_display(self):
        return interval_text(self.revenue_interval(), self.enough_gifts, self.money_per)

    @property
    def raised_display(self):
        return ", ".join(
            format_money(amount, currency)
            for currency, amount in sorted(self.raised.items())
        ) or format_money(0, self.currency)

    def __getattr__(self, name):
        # impressions_display, clicks_display, ...: counters with the privacy floor
        if name.endswith("_display") and name[: -len("_display")] in COUNTERS:
            return shown(getattr(self, name[: -len("_display")]))
        raise AttributeError(name)


COUNTERS = {"impressions", "clicks", "dismissals", "donations"}


def variant_results(appeal):
    variants = list(appeal.variants.all())
    totals = (
        AppealDailyCount.objects.filter(variant__appeal=appeal)
        .values("variant")
        .annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            dismissals=Sum("dismissals"),
        )
    )
    net = F("amount") - F("amount_refunded")
    gifts = list(
        Donation.objects.counted()
        .filter(appeal=appeal)
        .values("variant", "currency")
        .annotate(
            count=Count("pk"),
            raised=Sum(net),
            # In floating point: squares of large gifts overflow a bigint.
            squares=Sum(Power(Cast(net, FloatField()), 2)),
        )
        .order_by("variant", "currency")
    )
    # Money per impression is compared in one currency: the campaign's, else the
    # one most gifts came in.
    if appeal.campaign_id:
        currency = appeal.campaign.currency
    else:
        by_count = Counter()
        for row in gifts:
            by_count[row["currency"]] += row["count"]
        currency = by_count.most_common(1)[0][0] if by_count else "USD"
    results = {v.pk: VariantResult(v, currency=currency) for v in variants}
    for row in totals:
        result = results[row["variant"]]
        result.impressions = row["impressions"] or 0
        result.clicks = row["clicks"] or 0
        result.dismissals = row["dismissals"] or 0
    unknown = VariantResult(None, currency=currency)
    for row in gifts:
        result = results.get(row["variant"], unknown)
        result.donations += row["count"]
        result.raised[row["currency"]] = row["raised"] or 0
        if row["currency"] == currency:
            result.revenue += row["raised"] or 0
            result.revenue_squares += row["squares"] or 0.0
    return list(results.values()), (unknown if unknown.donations else None)


def _compared(results):
    live = [r for r in results if r.variant is not None]
    return live if len(live) >= 2 else None


def ctr_verdict(results):
    live = _compared(results)
    if live is None:
        return None
    if any(r.impressions < MIN_IMPRESSIONS for r in live):
        return _(
            "Clicks: too early to tell; every version needs at least %(count)s "
            "impressions."
        ) % {"count": MIN_IMPRESSIONS}
    leader, runner_up = sorted(live, key=lambda r: r.ctr, reverse=True)[:2]
    names = {"a": leader.label, "b": runner_up.label}
    if leader.ctr == runner_up.ctr:
        return _("%(a)s and %(b)s have the same click-through rate so far.") % names
    significant = (
        p_value(
            leader.clicks, leader.impressions, runner_up.clicks, runner_up.impressions
        )
        < 0.05
    )
    if significant:
        return (
            _(
                "%(a)s's click-through rate is higher than %(b)s's, and the difference "
                "is significant (95%% confidence)."
            )
            % names
        )
    return _(
        "%(a)s's click-through rate is higher than %(b)s's; not yet significant."
    ) % (names)


def not_enough_gifts():
    return _(
        "not enough data yet: every version needs at least %(impressions)s "
        "impressions and %(gifts)s gifts."
    ) % {"impressions": MIN_IMPRESSIONS, "gifts": MIN_GIFTS}


def gift_verdict(results):
    live = _compared(results)
    if live is None:
        return None
    if not all(r.enough_gifts for r in live):
        return _("Gifts per impression: %(why)s") % {"why": not_enough_gifts()}
    leader, runner_up = sorted(live, key=lambda r: r.gift_rate, reverse=True)[:2]
    names = {
        "a": leader.label,
        "b": runner_up.label,
        "rate_a": percent_fine(leader.gift_rate),
        "rate_b": percent_fine(runner_up.gift_rate),
    }
    if leader.gift_rate == runner_up.gift_rate:
        return _("%(a)s and %(b)s bring the same gifts per impression so far.") % names
    significant = (
        p_value(
            leader.donations,
            leader.impressions,
            runner_up.donations,
            runner_up.impressions,
        )
        < 0.05
    )
    if significant:
        return (
            _(
                "%(a)s brings more gifts per impression than %(b)s (%(rate_a)s "
                "against %(rate_b)s), and the difference is significant (95%% "
                "confidence)."
            )
            % names
        )
    return (
        _(
            "%(a)s brings more gifts per impression than %(b)s (%(rate_a)s against "
            "%(rate_b)s); not yet significant."
        )
        % names
    )


def revenue_verdict(results):
    live = _compared(results)
    if live is None:
        return None
    if not all(r.enough_gifts for r in live):
        return _("Money raised per impression: %(why)s") % {"why": not_enough_gifts()}
    leader, runner_up = sorted(
        live, key=lambda r: r.revenue_per_impression, reverse=True
    )[:2]
    names = {
        "a": leader.label,
        "b": runner_up.label,
        "money_a": leader.money_per(leader.revenue_per_impression),
        "money_b": runner_up.money_per(runner_up.revenue_per_impression),
        "per": f"{PER:,}",
    }
    if leader.revenue_per_impression == runner_up.revenue_per_impression:
        return _("%(a)s and %(b)s raise the same per impression so far.") % names
    significant = (
        mean_p_value(
            leader.revenue_per_impression,
            leader.revenue_variance,
            leader.impressions,
            runner_up.revenue_per_impression,
            runner_up.revenue_variance,
            runner_up.impressions,
        )
        < 0.05
    )
    if significant:
        return (
            _(
                "%(a)s raises more per impression than %(b)s (%(money_a)s against "
                "%(money_b)s per %(per)s impressions), and the difference is "
                "significant (95%% confidence)."
            )
            % names
        )
    return (
        _(
            "%(a)s raises more per impression than %(b)s (%(money_a)s against "
            "%(money_b)s per %(per)s impressions); not yet significant."
        )
        % names
    )


def verdicts(results):
    """What an admin can act on, in plain words: money first, since a version
    that gets more clicks but fewer gifts is not the better ask."""
    if _compared(results) is None:
        return [
            _(
                "Only one version, so there is nothing to compare. Add a variant B "
                "with other words to test them."
            )
        ]
    return [
        revenue_verdict(results),
        gift_verdict(results),
        ctr_verdict(results),
    ]


def daily_chart(appeal, today, days=CHART_DAYS, width=640, height=180):
    """Two small line charts (impressions, clicks per day), one line per variant,
    as numbers for an SVG template; and the rows of the same data for a table."""
    start = today - timedelta(days=days - 1)
    variants = list(appeal.variants.all())
    counts = {
        (row.variant_id, row.day): row
        for row in AppealDailyCount.objects.filter(
            variant__appeal=appeal, day__gte=start, day__lte=today
        )
    }
    if counts:
        start = max(start, min(day for _variant, day in counts))
    span = (today - start).days + 1
    dates = [start + timedelta(days=i) for i in range(span)]
    left, right, top, bottom = 48, 12, 12, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    charts = []
    for metric, title in (
        ("impressions", _("Impressions per day")),
        ("clicks", _("Clicks per day")),
    ):
        peak = max([getattr(row, metric) for row in counts.values()] + [PRIVACY_FLOOR])
        series = []
        for index, variant in enumerate(variants):
            points, dots = [], []
            for i, day in enumerate(dates):
                row = counts.get((variant.pk, day))
                value = getattr(row, metric) if row else 0
                drawn = value if value >= PRIVACY_FLOOR else 0
                x = left + (plot_w * i / max(1, span - 1))
                y = top + plot_h - plot_h * drawn / peak
                points.append(f"{x:.1f},{y:.1f}")
                dots.append(
                    {
                        "x": f"{x:.1f}",
                        "y": f"{y:.1f}",
                        "title": f"{day}: {shown(value)}",
                    }
                )
            series.append(
                {
                    "label": variant.label,
                    "colour": COLOURS[index % len(COLOURS)],
                    "points": " ".join(points),
                    "dots": dots,
                }
            )
        charts.append(
            {
                "title": title,
                "width": width,
                "height": height,
                "series": series,
                "axis": {"x1": left, "x2": width - right, "y": top + plot_h},
                "ticks": [
                    {
                        "y": f"{top + plot_h - plot_h * f:.1f}",
                        "label": f"{round(peak * f):,}",
                    }
                    for f in (0, 0.5, 1)
                ],
                "first": {"x": left, "label": dates[0].isoformat()},
                "last": {"x": width - right, "label": dates[-1].isoformat()},
                "label_y": height - 6,
            }
        )
    table = [
        {
            "day": day,
            "cells": [
                shown(getattr(counts.get((v.pk, day)), metric, 0))
                for v in variants
                for metric in ("impressions", "clicks", "dismissals")
            ],
        }
        for day in reversed(dates)
        if any((v.pk, day) in counts for v in variants)
    ]
    return charts, table


def results_context(appeal, today):
    """Everything the results page shows."""
    results, unattributed = variant_results(appeal)
    charts, table = daily_chart(appeal, today)
    return {
        "results": results,
        "unattributed": unattributed,
        "verdicts": verdicts(results),
        "clicks_exceed": any(result.clicks_exceed for result in results),
        "per": f"{PER:,}",
        "min_gifts": MIN_GIFTS,
        "min_impressions": MIN_IMPRESSIONS,
        "charts": charts,
        "table": table,
        "table_variants": [result.variant for result in results],
    }
