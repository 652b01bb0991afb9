"""The schedule window campaigns and appeals share, written once.

A campaign or an appeal runs while it is switched on (`active`), has started
(`starts_at` at or before the moment) and has not ended (`ends_at` empty, or after the
moment). `running_q()` says so to the database and `Scheduled.is_running()` of a row
in memory; tests/donations/test_schedule.py checks on generated dates that the two
agree, and that nothing changes between now and `next_change()`.
"""

from datetime import datetime
from typing import NamedTuple

from django.db import models
from django.db.models import F, Min, Q
from django.utils import timezone


def not_ended_q(moment, prefix=""):
    """Ends after `moment`, or never. With F("starts_at") as the moment, this is
    also the rule that a window ends after it starts."""
    return Q(**{f"{prefix}ends_at__isnull": True}) | Q(
        **{f"{prefix}ends_at__gt": moment}
    )


def running_q(now, prefix=""):
    """Running at `now`. `prefix` reaches a related row's window: "campaign__"."""
    started = Q(**{f"{prefix}active": True, f"{prefix}starts_at__lte": now})
    return started & not_ended_q(now, prefix)


def ends_after_it_starts(name, message):
    """The database's side of the window: it ends after it starts, or never."""
    return models.CheckConstraint(
        condition=not_ended_q(F("starts_at")),
        name=name,
        violation_error_message=message,
    )


class Window(NamedTuple):
    """From `starts_at` until `ends_at` (None: open-ended)."""

    starts_at: datetime
    ends_at: datetime | None

    def has_started(self, now):
        return self.starts_at <= now

    def has_ended(self, now):
        return self.ends_at is not None and self.ends_at <= now

    def contains(self, now):
        return self.has_started(now) and not self.has_ended(now)

    def __and__(self, other):
        """The part of both windows: an appeal's inside its campaign's."""
        ends = [end for end in (self.ends_at, other.ends_at) if end is not None]
        return Window(max(self.starts_at, other.starts_at), min(ends, default=None))


class ScheduledQuerySet(models.QuerySet):
    def running(self, now=None):
        return self.filter(running_q(now or timezone.now()))

    def next_change(self, now):
        """The next moment after `now` at which one of these starts or ends by
        itself, or None: pages that show them are fresh until then."""
        found = self.filter(active=True).aggregate(
            start=Min("starts_at", filter=Q(starts_at__gt=now)),
            end=Min("ends_at", filter=Q(ends_at__gt=now)),
        )
        return min(filter(None, found.values()), default=None)


class Scheduled:
    """For a model with `active`, `starts_at` and `ends_at` fields."""

    @property
    def window(self):
        return Window(self.starts_at, self.ends_at)

    def is_running(self, now=None):
        return self.active and self.window.contains(now or timezone.now())
