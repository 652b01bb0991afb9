"""Background tasks of the donations app (django-tasks; run by `manage.py db_worker`).

Checking and importing a processor's CSV take seconds for a big file (tens of them
for 20,000 rows on a small server): past what a web request may take. The admin stores
the file in a DonationImport and queues these; the status page follows the progress
they report.
"""

import time

from django.utils import formats, timezone
from django_tasks import task

from .imports import Action, import_rows, read_stripe_csv
from .models import DonationImport

State = DonationImport.State
PREVIEW_ROWS = 200  # rows shown before confirming; every error is listed anyway
LISTED_ERRORS = 500


def summarise(result):
    rows = [row for row in result.rows if row.action in (Action.ERROR, Action.REFUND)][
        :LISTED_ERRORS
    ]
    shown = {row.line for row in rows}
    rows += [row for row in result.rows[:PREVIEW_ROWS] if row.line not in shown]
    rows.sort(key=lambda row: row.line)
    return {
        "added": result.added,
        "refunds": result.refunds,
        "duplicates": result.duplicates,
        "skipped": result.skipped,
        "errors": [str(message) for message in result.errors],
        "row_errors": len(result.row_errors),
        "rows": [
            {
                "line": row.line,
                "reference": row.reference,
                "received": formats.date_format(
                    timezone.localtime(row.donation.received_at), "DATETIME_FORMAT"
                )
                if row.donation
                else "",
                "amount": row.donation.amount_text() if row.donation else "",
                "status": str(row.donation.get_status_display())
                if row.donation
                else "",
                "campaign": str(row.donation.campaign or "") if row.donation else "",
                "action": row.action,
                "messages": [str(message) for message in row.messages],
            }
            for row in rows
        ],
    }


def _run(import_id, expected, work):
    job = DonationImport.objects.select_related("campaign", "created_by").get(
        pk=import_id
    )
    if job.state != expected:
        return f"import {import_id} is {job.state}, not {expected}"
    started = time.monotonic()
    try:
        return work(job, started)
    except Exception:
        DonationImport.objects.filter(pk=import_id).update(state=State.FAILED)
        raise


@task()
def check_import(import_id):
    """Read the file and say what importing it would do."""

    def work(job, started):
        result = read_stripe_csv(job.text, job.campaign, progress=job.report_progress)
        job.summary = summarise(result)
        job.rows_total = job.rows_done = len(result.rows)
        job.check_seconds = round(time.monotonic() - started, 2)
        job.state = State.CHECKED if result.ok else State.REFUSED
        if not result.ok:
            job.text = ""
        job.save()
        return job.state

    return _run(import_id, State.CHECKING, work)


@task()
def run_import(import_id):
    """Import the checked file whole, or nothing if a row has become wrong."""

    def work(job, started):
        job.rows_done = 0
        result = import_rows(
            job.text, job.campaign, by=job.created_by, progress=job.report_progress
        )
        job.summary = summarise(result)
        job.rows_done = len(result.rows)
        job.import_seconds = round(time.monotonic() - started, 2)
        job.state = State.DONE if result.ok else State.REFUSED
        job.text = ""
        job.save()
        return job.state

    return _run(import_id, State.IMPORTING, work)
