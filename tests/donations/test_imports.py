"""Importing Stripe's payments export, in the admin: preview, line numbers, all or
nothing."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from donations.imports import Action, import_rows, read_stripe_csv
from donations.models import Donation
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


def test_the_admin_previews_then_imports_on_confirmation(client, fundraiser):
    campaign = CampaignFactory()
    client.force_login(fundraiser)
    preview = upload(client, csv_text(*GOOD), campaign=campaign.pk)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "4 donations will be added" in page
    assert Donation.objects.count() == 0
    payload = re.search(r'name="payload" value="([^"]+)"', page)[1]
    done = client.post(reverse("admin:donations_donation_import"), {"payload": payload})
    assert done.status_code == 302
    assert Donation.objects.filter(campaign=campaign).count() == 4
    assert set(Donation.objects.values_list("recorded_by", flat=True)) == {
        fundraiser.pk
    }
    # Confirming the same preview again (a double click) adds nothing.
    client.post(reverse("admin:donations_donation_import"), {"payload": payload})
    assert Donation.objects.count() == 4


def test_the_admin_shows_row_errors_with_line_numbers_and_imports_nothing(
    client, fundraiser
):
    client.force_login(fundraiser)
    bad = "ch_2,2026-03-06 09:00:00,twenty,0,usd,Paid,,,,pi_2,"
    response = upload(client, csv_text(GOOD[0], bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was imported" in page
    assert "Line 3:" in page
    assert "“twenty”" in page
    assert 'name="payload"' not in page
    assert Donation.objects.count() == 0


def test_a_tampered_preview_is_refused(client, fundraiser):
    client.force_login(fundraiser)
    response = client.post(
        reverse("admin:donations_donation_import"), {"payload": "forged:payload"}
    )
    assert response.status_code == 302
    assert Donation.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("é".encode("latin-1") * 10, "not UTF-8"),
        (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
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
