"""Importing Stripe's payments export, in the admin: preview, line numbers, all or
nothing."""

import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from donations.imports import Action, import_rows, read_stripe_csv
from donations.models import Donation, DonationImport
from tests.factories import AppealFactory, CampaignFactory, DonationFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "id,Created date (UTC),Amount,Amount Refunded,Currency,Status,Customer Email,"
    "Card Name,Invoice ID,PaymentIntent ID,newsroom_appeal (metadata)"
)
GOOD = [
    "ch_1,2026-03-05 14:22:01,25.00,0.00,usd,Paid,ana@example.org,Ana,,pi_1,",
    "ch_2,2026-03-06 09:00:00,100.00,40.00,usd,Partially Refunded,,,,pi_2,",
    "ch_3,2026-03-07 10:30:00,10.00,10.00,usd,Refunded,bo@example.org,Bo,,pi_3,",
    "ch_4,2026-03-08 11:00:00,15.00,0.00,usd,Paid,mo@example.org,Mo,in_9,pi_4,",
    "ch_5,2026-03-09 12:00:00,50.00,0.00,usd,Failed,,,,pi_5,",
]


def csv_text(*rows, header=HEADER):
    return "\r\n".join([header, *rows]) + "\r\n"


@pytest.fixture
def fundraiser():
    return UserFactory(role="Fundraising")


def test_reading_a_file_saves_nothing_and_says_what_would_happen():
    result = read_stripe_csv(csv_text(*GOOD))
    assert result.ok
    assert [row.action for row in result.rows] == ["add"] * 4 + ["skip"]
    assert [row.line for row in result.rows] == [2, 3, 4, 5, 6]
    assert Donation.objects.count() == 0


def test_a_good_file_is_imported_with_amounts_refunds_and_statuses():
    campaign = CampaignFactory()
    result = import_rows(csv_text(*GOOD), campaign)
    assert result.added == 4
    assert result.skipped == 1
    rows = {d.reference: d for d in Donation.objects.all()}
    assert set(rows) == {"pi_1", "pi_2", "pi_3", "pi_4"}
    assert (rows["pi_1"].amount, rows["pi_1"].status) == (2500, "succeeded")
    assert rows["pi_1"].donor_email == "ana@example.org"
    assert rows["pi_1"].received_at.isoformat() == "2026-03-05T14:22:01+00:00"
    assert (rows["pi_2"].amount_refunded, rows["pi_2"].status) == (4000, "succeeded")
    assert (rows["pi_3"].amount_refunded, rows["pi_3"].status) == (1000, "refunded")
    assert rows["pi_4"].frequency == "monthly"
    assert {d.source for d in rows.values()} == {"import"}
    assert {d.campaign for d in rows.values()} == {campaign}
    assert campaign.progress().raised == 2500 + 6000 + 1500


def test_a_bad_row_imports_nothing_and_names_its_line():
    text = csv_text(
        GOOD[0],
        "ch_2,2026-03-06 09:00:00,twenty,0,usd,Paid,,,,pi_2,",
        "ch_3,06/03/2026,10.00,0,usd,Paid,,,,pi_3,",
        "ch_4,2026-03-06 09:00:00,10.00,0,xyz,Paid,,,,pi_4,",
        "ch_5,2026-03-06 09:00:00,10.00,20.00,usd,Paid,,,,pi_5,",
        "ch_6,2026-03-06 09:00:00,10.00,0,usd,Mystery,,,,pi_6,",
    )
    result = import_rows(text)
    assert not result.ok
    assert Donation.objects.count() == 0
    errors = {row.line: " ".join(row.messages) for row in result.row_errors}
    assert set(errors) == {3, 4, 5, 6, 7}
    assert "“twenty”" in errors[3]
    assert "06/03/2026" in errors[4]
    assert "xyz" in errors[5].lower()
    assert "More is refunded" in errors[6]
    assert "Mystery" in errors[7]


def test_payments_already_in_the_ledger_are_skipped_by_any_of_their_ids():
    DonationFactory(processor="stripe", reference="pi_1", source="webhook")
    DonationFactory(processor="stripe", reference="in_9", source="webhook")
    result = import_rows(csv_text(*GOOD))
    actions = {row.reference: row.action for row in result.rows}
    assert actions["pi_1"] == Action.DUPLICATE
    assert actions["pi_4"] == Action.DUPLICATE  # known by its invoice id
    assert Donation.objects.count() == 2 + 2


def test_importing_the_same_file_twice_adds_nothing_the_second_time():
    import_rows(csv_text(*GOOD))
    second = import_rows(csv_text(*GOOD))
    assert second.added == 0
    assert second.duplicates == 4
    assert Donation.objects.count() == 4


def test_a_payment_twice_in_one_file_is_added_once():
    result = read_stripe_csv(csv_text(GOOD[0], GOOD[0].replace("ch_1", "ch_1b")))
    assert [row.action for row in result.rows] == ["add", "duplicate"]
    assert "line 2" in result.rows[1].messages[0]


def test_line_numbers_count_lines_of_the_file_not_records():
    quoted = 'ch_2,2026-03-06 09:00:00,oops,0,usd,Paid,"multi\nline",,,pi_2,'
    result = read_stripe_csv(csv_text(GOOD[0], quoted, GOOD[3]))
    assert [row.line for row in result.rows] == [2, 3, 5]
    assert result.row_errors[0].line == 3


def test_appeal_attribution_from_metadata_columns():
    appeal = AppealFactory()
    row = f"ch_1,2026-03-05 14:22:01,25.00,0,usd,Paid,,,,pi_1,{appeal.pk}"
    import_rows(csv_text(row))
    donation = Donation.objects.get()
    assert donation.appeal == appeal
    assert donation.campaign == appeal.campaign


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("name,email\nAna,ana@example.org\n", "lacks the column"),
        ("id,Amount\nch_1,25\n", "“Created date (UTC)”"),
    ],
)
def test_a_file_that_is_not_a_stripe_export_is_refused(text, message):
    result = read_stripe_csv(text)
    assert not result.ok
    assert message in " ".join(result.errors)


def test_older_column_names_are_understood():
    header = "id,Created (UTC),Amount,Currency,Status"
    result = read_stripe_csv(
        csv_text("ch_1,2026-03-05 14:22,5.00,usd,succeeded", header=header)
    )
    assert result.ok
    assert result.rows[0].reference == "ch_1"


# In the admin ------------------------------------------------------------------


def upload(client, text, **data):
    file = SimpleUploadedFile("payments.csv", text.encode(), content_type="text/csv")
    return client.post(
        reverse("admin:donations_donation_import"), {"file": file, **data}
    )


def run_worker():
    """What `manage.py db_worker` does with each queued task, in this process and
    this test's transaction (tests/test_tasks.py runs the real worker process)."""
    worker = Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    while (queued := DBTaskResult.objects.ready().get_locked()) is not None:
        queued.claim(worker.worker_id)
        worker.run_task(queued)


def test_the_admin_checks_in_the_background_then_imports_on_confirmation(
    client, fundraiser, db_tasks, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory()
    client.force_login(fundraiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_text(*GOOD), campaign=campaign.pk)
    job = DonationImport.objects.get()
    status_url = reverse("admin:donations_donation_import_status", args=[job.pk])
    assert response.status_code == 302
    assert response["Location"] == status_url
    # Queued, not yet checked: the page says so and refreshes itself.
    waiting = client.get(status_url).content.decode()
    assert "Checking the file…" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting
    run_worker()
    checked = client.get(status_url).content.decode()
    assert "4 donations will be added" in checked
    assert "refresh" not in checked
    assert Donation.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(status_url)
        # A double click queues nothing more.
        client.post(status_url)
    assert confirmed.status_code == 302
    assert "Importing…" in client.get(status_url).content.decode()
    run_worker()
    done = client.get(status_url).content.decode()
    assert "Imported 4 donations" in done
    assert "To add" not in done and "Added" in done
    assert "March 5, 2026" in done  # when each gift came, as the site writes dates
    assert Donation.objects.filter(campaign=campaign).count() == 4
    assert set(Donation.objects.values_list("recorded_by", flat=True)) == {
        fundraiser.pk
    }
    job.refresh_from_db()
    assert job.state == DonationImport.State.DONE
    assert job.text == ""  # the donors' details are not kept twice
    assert job.check_seconds is not None and job.import_seconds is not None


def test_the_admin_shows_row_errors_with_line_numbers_and_imports_nothing(
    client, fundraiser, django_capture_on_commit_callbacks
):
    client.force_login(fundraiser)
    bad = "ch_2,2026-03-06 09:00:00,twenty,0,usd,Paid,,,,pi_2,"
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_text(GOOD[0], bad))
    page = client.get(response["Location"]).content.decode()
    assert "Nothing was imported" in page
    assert "Line 3:" in page
    assert "“twenty”" in page
    assert 'class="default"' not in page
    assert DonationImport.objects.get().state == DonationImport.State.REFUSED
    # Confirming a refused import does nothing.
    client.post(response["Location"])
    assert DonationImport.objects.get().state == DonationImport.State.REFUSED
    assert Donation.objects.count() == 0


def test_a_csv_refund_of_a_gift_already_recorded_is_recorded(
    client, fundraiser, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory()
    DonationFactory(
        processor="stripe",
        reference="pi_2",
        amount=10000,
        campaign=campaign,
        source="webhook",
    )
    client.force_login(fundraiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_text(GOOD[1]))
    checked = client.get(response["Location"]).content.decode()
    assert "1 refund of a gift already recorded will be recorded" in checked
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"])
    donation = Donation.objects.get()
    assert donation.amount_refunded == 4000
    assert campaign.progress().raised == 6000
    # The same file again: nothing more to record.
    result = read_stripe_csv(csv_text(GOOD[1]))
    assert [row.action for row in result.rows] == [Action.DUPLICATE]


def test_a_whole_refund_in_a_csv_takes_the_gift_out():
    campaign = CampaignFactory()
    DonationFactory(
        processor="stripe", reference="pi_3", amount=1000, campaign=campaign
    )
    import_rows(csv_text(GOOD[2]))
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_refunded) == ("refunded", 1000)
    assert campaign.progress().raised == 0


def test_an_import_no_worker_takes_says_so(client, fundraiser, db_tasks):
    client.force_login(fundraiser)
    upload(client, csv_text(GOOD[0]))
    job = DonationImport.objects.get()
    url = reverse("admin:donations_donation_import_status", args=[job.pk])
    assert "is the background worker running" not in client.get(url).content.decode()
    DonationImport.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - timedelta(minutes=11)
    )
    assert "is the background worker running" in client.get(url).content.decode()


def test_a_missing_import_is_a_404(client, fundraiser):
    client.force_login(fundraiser)
    missing = reverse("admin:donations_donation_import_status", args=[999999])
    assert client.get(missing).status_code == 404


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("é".encode("latin-1") * 10, "not UTF-8"),
        (b"x" * (20 * 1024 * 1024 + 1), "larger than 20 MB"),
    ],
)
def test_an_unreadable_upload_is_a_form_error(client, fundraiser, content, message):
    client.force_login(fundraiser)
    file = SimpleUploadedFile("payments.csv", content, content_type="text/csv")
    response = client.post(reverse("admin:donations_donation_import"), {"file": file})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_importing_needs_the_add_permission(client):
    client.force_login(UserFactory(role="Editor"))
    response = client.get(reverse("admin:donations_donation_import"))
    assert response.status_code == 403


def test_the_largest_file_imports_through_the_admin_with_no_long_request(
    client, fundraiser, db_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    """20,000 rows, the most a file may have: every request the fundraiser makes
    answers fast, the work happens in the worker, which reports its progress."""
    CampaignFactory()
    rows = [
        f"ch_{i},2026-03-{1 + i % 28:02d} 10:{i % 60:02d}:00,{5 + i % 200}.00,"
        f"{'5.00' if i % 50 == 0 else '0.00'},usd,"
        f"{'Failed' if i == 0 else 'Partially Refunded' if i % 50 == 0 else 'Paid'},"
        f"donor{i % 5000}@example.org,Donor {i},{f'in_{i}' if i % 4 == 0 else ''},"
        f"pi_{i},"
        for i in range(20_000)
    ]
    reported = []
    report = DonationImport.report_progress
    monkeypatch.setattr(
        DonationImport,
        "report_progress",
        lambda job, done: reported.append(done) or report(job, done),
    )
    client.force_login(fundraiser)
    timings = []

    def timed(method, *args, **kwargs):
        started = time.monotonic()
        response = method(*args, **kwargs)
        timings.append(time.monotonic() - started)
        return response

    with django_capture_on_commit_callbacks(execute=True):
        response = timed(upload, client, csv_text(*rows))
    status_url = response["Location"]
    assert "of about 20,000 rows read" in timed(client.get, status_url).content.decode()
    run_worker()
    assert reported[-1] == 20_000 and len(reported) >= 40
    checked = timed(client.get, status_url).content.decode()
    assert "19,999 donations will be added" in checked
    with django_capture_on_commit_callbacks(execute=True):
        timed(client.post, status_url)
    run_worker()
    assert "Imported 19,999 donations" in timed(client.get, status_url).content.decode()
    assert Donation.objects.count() == 19_999
    assert max(timings) < 2, timings
