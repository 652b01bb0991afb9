"""
Money over time, for the admin: revenue by day, week or month (one-time and recurring
gifts, net of refunds) and a campaign's pace towards its goal, drawn on the server as
SVG like the appeal results' charts, with the same numbers as a table.

Refunds are counted against the gift they return, on the day of the gift: the chart
says what each day's gifts came to in the end, which is what a campaign's total is.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Case, F, Q, Sum, When
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Donation
from .money import format_money

PERIODS = {
    "day": (_("Day"), TruncDay, 30),
    "week": (_("Week"), TruncWeek, 26),
    "month": (_("Month"), TruncMonth, 24),
}
ONE_TIME_COLOUR = "#1d4ed8"
RECURRING_COLOUR = "#059669"
PACE_COLOUR = "#9ca3af"


def period_starts(period, last, count):
    """The first day of each of the `count` periods up to the one holding `last`."""
    if period == "day":
        return [last - timedelta(days=count - 1 - i) for i in range(count)]
    if period == "week":
        monday = last - timedelta(days=last.weekday())
        return [monday - timedelta(weeks=count - 1 - i) for i in range(count)]
    starts, year, month = [], last.year, last.month
    for _i in range(count):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


@dataclass
class Bucket:
    start: date
    one_time: int = 0
    recurring: int = 0

    @property
    def total(self):
        return self.one_time + self.recurring


def nice_ceiling(value):
    """A round number at or above `value` for the top of an axis."""
    if value <= 0:
        return 100
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return int(10 * magnitude)


def revenue(queryset, currency, period="week", today=None):
    """Buckets of net revenue in `currency`, and an SVG bar chart of them."""
    label, trunc, count = PERIODS[period]
    today = today or timezone.localdate()
    starts = period_starts(period, today, count)
    first = timezone.make_aware(datetime.combine(starts[0], time.min))
    net = F("amount") - F("amount_refunded")
    rows = (
        queryset.counted()
        .filter(currency=currency, received_at__gte=first)
        .annotate(bucket=trunc("received_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("bucket")
        .annotate(
            one_time=Sum(
                Case(When(frequency=Donation.Frequency.ONCE, then=net), default=0)
            ),
            recurring=Sum(
                Case(When(~Q(frequency=Donation.Frequency.ONCE), then=net), default=0)
            ),
        )
    )
    buckets = {start: Bucket(start) for start in starts}
    for row in rows:
        day = (
            timezone.localtime(row["bucket"]).date()
            if isinstance(row["bucket"], datetime)
            else row["bucket"]
        )
        if day in buckets:
            buckets[day].one_time += row["one_time"] or 0
            buckets[day].recurring += row["recurring"] or 0
    ordered = [buckets[start] for start in starts]
    return ordered, bar_chart(ordered, currency, period)


def bar_chart(buckets, currency, period, width=720, height=240):
    left, right, top, bottom = 84, 24, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max((b.total for b in buckets), default=0) / 100) * 100
    slot = plot_w / len(buckets)
    bar = max(2.0, slot * 0.7)
    bars = []
    for i, bucket in enumerate(buckets):
        x = left + i * slot + (slot - bar) / 2
        recurring_h = plot_h * bucket.recurring / peak
        one_time_h = plot_h * bucket.one_time / peak
        base = top + plot_h
        bars.append(
            {
                "x": f"{x:.1f}",
                "width": f"{bar:.1f}",
                "recurring_y": f"{base - recurring_h:.1f}",
                "recurring_h": f"{recurring_h:.1f}",
                "one_time_y": f"{base - recurring_h - one_time_h:.1f}",
                "one_time_h": f"{one_time_h:.1f}",
                "title": f"{bucket.start.isoformat()}: "
                f"{format_money(bucket.total, currency)} "
                f"({format_money(bucket.one_time, currency)} + "
                f"{format_money(bucket.recurring, currency)})",
            }
        )
    # About six labels, the last period's always; none so close that they overlap.
    every = max(1, len(buckets) // 6)
    last = len(buckets) - 1
    shown = [i for i in range(0, last + 1, every) if last - i >= every * 0.75]
    labels = [
        {
            "x": f"{left + i * slot + slot / 2:.1f}",
            "label": label_of(buckets[i].start, period),
        }
        for i in [*shown, last]
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "axis": {"x1": left, "x2": width - right, "y": top + plot_h},
        "ticks": [
            {
                "y": f"{top + plot_h - plot_h * f:.1f}",
                "label": format_money(round(peak * f), currency, cents=False),
            }
            for f in (0, 0.25, 0.5, 0.75, 1)
        ],
        "labels": labels,
        "label_y": height - 8,
        "colours": {"one_time": ONE_TIME_COLOUR, "recurring": RECURRING_COLOUR},
    }


def label_of(day, period):
    if period == "month":
        return day.strftime("%Y-%m")
    return day.strftime("%m-%d") if period == "day" else day.isoformat()


def pace(campaign, now=None, width=720, height=240):
    """A campaign's running total by day against the straight line from nothing at
    its start to its goal at its end (its pace), as an SVG line chart."""
    now = now or timezone.now()
    start = timezone.localtime(campaign.starts_at).date()
    today = timezone.localtime(now).date()
    end = timezone.localtime(campaign.ends_at).date() if campaign.ends_at else None
    last = max(start, min(today, end) if end else today)
    days = [start + timedelta(days=i) for i in range((last - start).days + 1)]
    rows = (
        Donation.objects.for_campaign(campaign)
        .annotate(day=TruncDay("received_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("day")
        .annotate(net=Sum(F("amount") - F("amount_refunded")))
    )
    per_day = {}
    for row in rows:
        day = row["day"]
        day = timezone.localtime(day).date() if isinstance(day, datetime) else day
        per_day[day] = per_day.get(day, 0) + (row["net"] or 0)
    before = sum(v for d, v in per_day.items() if d < start)
    running, total = [], before
    for day in days:
        total += per_day.get(day, 0)
        running.append(total)
    axis_end = end or last
    span = max(1, (axis_end - start).days)
    left, right, top, bottom = 84, 24, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = nice_ceiling(max([campaign.goal, *running]) / 100) * 100

    def x(day):
        return left + plot_w * (day - start).days / span

    def y(value):
        return top + plot_h - plot_h * value / peak

    points = " ".join(
        f"{x(d):.1f},{y(v):.1f}" for d, v in zip(days, running, strict=True)
    )
    pace_line = None
    if end:
        pace_line = {
            "x1": f"{x(start):.1f}",
            "y1": f"{y(0):.1f}",
            "x2": f"{x(end):.1f}",
            "y2": f"{y(campaign.goal):.1f}",
        }
    progress = campaign.progress(now)
    return {
        "width": width,
        "height": height,
        "points": points,
        "pace": pace_line,
        "goal_y": f"{y(campaign.goal):.1f}",
        "goal_label": format_money(campaign.goal, campaign.currency, cents=False),
        "axis": {"x1": left, "x2": width - right, "y": top + plot_h},
        "ticks": [
            {
                "y": f"{y(peak * f):.1f}",
                "label": format_money(round(peak * f), campaign.currency, cents=False),
            }
            for f in (0, 0.5, 1)
        ],
        "first": {"x": left, "label": start.isoformat()},
        "last": {"x": width - right, "label": axis_end.isoformat()},
        "label_y": height - 8,
        "today": {"x": f"{x(last):.1f}", "y": f"{y(running[-1]):.1f}"},
        "progress": progress,
        "raised": format_money(progress.raised, campaign.currency, cents=False),
        "expected": (
            format_money(progress.expected, campaign.currency, cents=False)
            if progress.expected is not None
            else None
        ),
        "colours": {"raised": ONE_TIME_COLOUR, "pace": PACE_COLOUR},
    }
