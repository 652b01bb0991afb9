"""
Is a background worker taking tasks? The worker service's health check.

It queues a heartbeat task at the highest priority and waits for a worker to run it:
the database, the queue and a worker's loop are all checked at once. A worker that is
busy with a long task (a big import) cannot answer; it is still healthy while that
task has run for less than --busy-for seconds. Exits 0 when healthy, 1 otherwise.
"""

import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from newsroom.tasks import heartbeat


class Command(BaseCommand):
    help = "Check that a background worker takes tasks (exit 1 if none does)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--timeout",
            type=float,
            default=15.0,
            help="Seconds to wait for a worker to run the heartbeat (default: 15).",
        )
        parser.add_argument(
            "--busy-for",
            type=float,
            default=3600.0,
            help=(
                "A worker running one task for less than this many seconds is busy, "
                "not stuck (default: 3600)."
            ),
        )

    def handle(self, *, timeout, busy_for, **options):
        started = time.monotonic()
        result = heartbeat.enqueue()
        try:
            while time.monotonic() - started < timeout:
                result.refresh()
                if result.status == TaskResultStatus.SUCCESSFUL:
                    elapsed = time.monotonic() - started
                    self.stdout.write(f"worker: ok (answered in {elapsed:.1f} s)")
                    return
                if result.status == TaskResultStatus.FAILED:
                    raise CommandError("worker: the heartbeat task failed")
                time.sleep(0.2)
        finally:
            # Heartbeats are not kept: one every health check would pile up.
            DBTaskResult.objects.filter(id=result.id).delete()
        since = timezone.now() - timedelta(seconds=busy_for)
        busy = (
            DBTaskResult.objects.running()
            .filter(started_at__gte=since)
            .order_by("started_at")
            .first()
        )
        if busy is not None:
            self.stdout.write(
                f"worker: busy with {busy.task_path} since {busy.started_at:%H:%M:%S}"
            )
            return
        raise CommandError(f"worker: no worker ran the heartbeat within {timeout:g} s")
