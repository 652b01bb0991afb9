"""
What an appeal's counters say: click-through rates with confidence intervals, a verdict
in plain words when variants compete, and a small SVG chart of daily counts.

Counts below PRIVACY_FLOOR are shown as “<10” (and drawn on the chart's baseline): the
counters are aggregates precisely so that nobody can be picked out of them.
"""

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, F, Sum
from django.utils.translation import gettext as _

from .models import AppealDailyCount, Donation
from .money import format_money

PRIVACY_FLOOR = 10
MIN_IMPRESSIONS = 100  # per variant, before any verdict
Z95 = 1.959964
CHART_DAYS = 60
COLOURS = ["#9b1c1c", "#1d4ed8", "#047857", "#b45309", "#6d28d9", "#0e7490"]


def shown(count):
    """A counter as the results show it."""
    return f"<{PRIVACY_FLOOR}" if count < PRIVACY_FLOOR else f"{count:,}"


def wilson(successes, trials, z=Z95):
    """The Wilson score interval of a proportion: honest with small counts and
    rates near zero, where the textbook p ± z·se interval is not."""
    if trials <= 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    margin = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    ) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def p_value(clicks_a, trials_a, clicks_b, trials_b):
    """Two-sided p-value of a two-proportion z-test (pooled)."""
    if not trials_a or not trials_b:
        return 1.0
    pooled = (clicks_a + clicks_b) / (trials_a + trials_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
    if se == 0:
        return 1.0
    z = (clicks_a / trials_a - clicks_b / trials_b) / se
    return math.erfc(abs(z) / math.sqrt(2))


def percent(value):
    return f"{100 * value:.1f}%"


@dataclass
class VariantResult:
    variant: object
    impressions: int = 0
    clicks: int = 0
    dismissals: int = 0
    donations: int = 0
    raised: dict = field(default_factory=dict)  # currency -> minor units

    @property
    def label(self):
        return self.variant.label if self.variant else _("(variant unknown)")

    @property
    def ctr(self):
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def enough(self):
        return self.impressions >= PRIVACY_FLOOR and self.clicks >= PRIVACY_FLOOR

    @property
    def ctr_display(self):
        return percent(self.ctr) if self.enough else "–"

    @property
    def interval_display(self):
        interval = wilson(self.clicks, self.impressions)
        if not self.enough or interval is None:
            return "–"
        return f"{percent(interval[0])} – {percent(interval[1])}"

    @property
    def raised_display(self):
        return ", ".join(
            format_money(amount, currency)
            for currency, amount in sorted(self.raised.items())
        ) or format_money(0, "USD")

    def __getattr__(self, name):
        # impressions_display, clicks_display, ...: counters with the privacy floor
        if name.endswith("_display") and name[: -len("_display")] in COUNTERS:
            return shown(getattr(self, name[: -len("_display")]))
        raise AttributeError(name)


COUNTERS = {"impressions", "clicks", "dismissals", "donations"}


def variant_results(appeal):
    variants = list(appeal.variants.all())
    results = {v.pk: VariantResult(v) for v in variants}
    totals = (
        AppealDailyCount.objects.filter(variant__appeal=appeal)
        .values("variant")
        .annotate(
            impressions=Sum("impressions"),
            clicks=Sum("clicks"),
            dismissals=Sum("dismissals"),
        )
    )
    for row in totals:
        result = results[row["variant"]]
        result.impressions = row["impressions"]
        result.clicks = row["clicks"]
        result.dismissals = row["dismissals"]
    gifts = (
        Donation.objects.counted()
        .filter(appeal=appeal)
        .values("variant", "currency")
        .annotate(count=Count("pk"), raised=Sum(F("amount") - F("amount_refunded")))
    )
    unknown = VariantResult(None)
    for row in gifts:
        result = results.get(row["variant"], unknown)
        result.donations += row["count"]
        result.raised[row["currency"]] = row["raised"]
    return list(results.values()), (unknown if unknown.donations else None)


def verdict(results):
    """The comparison an admin can act on, in plain words."""
    live = [r for r in results if r.variant is not None]
    if len(live) < 2:
        return _(
            "Only one version, so there is nothing to compare. Add a variant B with "
            "other words to test them."
        )
    if any(r.impressions < MIN_IMPRESSIONS for r in live):
        return _(
            "Too early to tell: every version needs at least %(count)s impressions."
        ) % {"count": MIN_IMPRESSIONS}
    leader, runner_up = sorted(live, key=lambda r: r.ctr, reverse=True)[:2]
    if leader.ctr == runner_up.ctr:
        return _("%(a)s and %(b)s have the same click-through rate so far.") % {
            "a": leader.label,
            "b": runner_up.label,
        }
    significant = (
        p_value(
            leader.clicks, leader.impressions, runner_up.clicks, runner_up.impressions
        )
        < 0.05
    )
    names = {"a": leader.label, "b": runner_up.label}
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
