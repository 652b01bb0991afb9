import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from donations.models import AppealDailyCount, AppealSettings, Donation
from tests.donations.conftest import appeal_data
from tests.factories import (
    AppealFactory,
    ArticleFactory,
    CampaignFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fundraiser(client):
    user = UserFactory(role="Fundraising")
    client.force_login(user)
    return user


def test_the_fundraising_role_runs_campaigns_appeals_results_and_the_ledger():
    perms = set(
        Group.objects.get(name="Fundraising").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    for codename in (
        "add_campaign",
        "change_campaign",
        "add_appeal",
        "change_appeal",
        "delete_appeal",
        "add_appealvariant",
        "change_appealsettings",
        "view_appealdailycount",
        "add_donation",
        "change_donation",
        "view_stripeevent",
    ):
        assert ("donations", codename) in perms, codename
    assert ("donations", "delete_donation") not in perms
    assert ("donations", "delete_donation") in set(
        Group.objects.get(name="Site admin").permissions.values_list(
            "content_type__app_label", "codename"
        )
    )
    editor = set(
        Group.objects.get(name="Editor").permissions.values_list("codename", flat=True)
    )
    assert "change_appeal" not in editor
    assert "change_article" in editor  # and so the story's "no appeals" flag


@pytest.mark.parametrize(
    "name",
    [
        "admin:donations_campaign_changelist",
        "admin:donations_campaign_add",
        "admin:donations_appeal_changelist",
        "admin:donations_appeal_add",
        "admin:donations_donation_changelist",
        "admin:donations_donation_add",
        "admin:donations_donation_import",
        "admin:donations_stripeevent_changelist",
    ],
)
def test_fundraising_admin_pages_open(client, fundraiser, name):
    CampaignFactory()
    AppealFactory()
    assert client.get(reverse(name)).status_code == 200


def test_editors_cannot_run_appeals(client):
    client.force_login(UserFactory(role="Editor"))
    appeal = AppealFactory()
    for url in (
        reverse("admin:donations_appeal_changelist"),
        reverse("admin:donations_appeal_results", args=[appeal.pk]),
        reverse("admin:donations_appeal_preview", args=[appeal.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_the_appeal_list_shows_each_state(client, fundraiser):
    now = timezone.now()
    AppealFactory(name="Running one")
    AppealFactory(name="Later one", starts_at=now + timezone.timedelta(days=2))
    AppealFactory(
        name="Old one",
        starts_at=now - timezone.timedelta(days=9),
        ends_at=now - timezone.timedelta(days=2),
    )
    AppealFactory(name="Paused one", active=False)
    page = client.get(reverse("admin:donations_appeal_changelist")).content.decode()
    for state in ("running", "scheduled", "ended", "paused"):
        assert f"status-badge--{state}" in page, state


def test_creating_an_appeal_with_two_variants_in_the_admin(client, fundraiser):
    campaign = CampaignFactory()
    data = {
        "name": "Year-end ask",
        "campaign": campaign.pk,
        "placement": "inline",
        "paragraph": "3",
        "active": "on",
        "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00",
        "priority": "0",
        "weight": "1",
        "suggested_amounts": "10,25",
        "developing": "any",
        "min_articles_read": "0",
        "readers": "all",
        "cap_days": "7",
        "dismiss_days": "30",
        "hide_from_donors": "on",
        "variants-TOTAL_FORMS": "2",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-label": "A",
        "variants-0-weight": "1",
        "variants-0-heading": "Join us",
        "variants-0-body": "<p>Be a member.</p>",
        "variants-1-label": "B",
        "variants-1-weight": "1",
        "variants-1-heading": "Chip in",
        "variants-1-body": "<p>Give what you can.</p>",
    }
    response = client.post(reverse("admin:donations_appeal_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    appeal = campaign.appeals.get()
    assert appeal.suggested_amounts == [10, 25]
    assert sorted(appeal.variants.values_list("label", flat=True)) == ["A", "B"]


def test_a_standalone_appeal_without_a_link_is_a_form_error(client, fundraiser):
    data = {
        "name": "Nowhere",
        "placement": "top",
        "paragraph": "3",
        "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00",
        "priority": "0",
        "weight": "1",
        "developing": "any",
        "min_articles_read": "0",
        "readers": "all",
        "cap_days": "7",
        "dismiss_days": "30",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-label": "A",
        "variants-0-weight": "1",
        "variants-0-heading": "Hi",
    }
    response = client.post(reverse("admin:donations_appeal_add"), data)
    assert response.status_code == 200
    assert "needs a button link" in response.content.decode()


def test_results_show_counts_rates_verdict_and_a_chart(client, fundraiser):
    appeal = AppealFactory(variants=["A", "B"])
    a, b = appeal.variants.order_by("label")
    today = timezone.localdate()
    AppealDailyCount.objects.create(
        variant=a, day=today, impressions=1000, clicks=40, dismissals=3
    )
    AppealDailyCount.objects.create(variant=b, day=today, impressions=1000, clicks=45)
    response = client.get(reverse("admin:donations_appeal_results", args=[appeal.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "B&#x27;s click-through rate is higher than A&#x27;s; not yet significant."
        in page
    )
    assert "4.0%" in page and "4.5%" in page
    assert "&lt;10" in page  # A's three dismissals
    assert page.count("<polyline") == 4  # two charts, two variants
    assert "<script" not in page.split('id="content-main"')[1]


def test_results_of_a_new_appeal(client, fundraiser):
    appeal = AppealFactory()
    page = client.get(
        reverse("admin:donations_appeal_results", args=[appeal.pk])
    ).content.decode()
    assert "No impressions have been counted yet." in page
    assert "nothing to compare" in page


def test_results_of_an_unknown_appeal_is_a_404(client, fundraiser):
    assert (
        client.get(reverse("admin:donations_appeal_results", args=[999999])).status_code
        == 404
    )
    assert client.get("/admin/donations/appeal/x'/results/").status_code in (302, 404)


def test_preview_shows_the_appeal_on_an_article_in_any_placement(client, fundraiser):
    article = ArticleFactory(body="<p>One.</p><p>Two.</p>", no_appeals=True)
    appeal = AppealFactory(placement="inline", variants=["A", "B"])
    b = appeal.variants.get(label="B")
    url = reverse("admin:donations_appeal_preview", args=[appeal.pk])
    response = client.get(
        url, {"placement": "top", "variant": b.pk, "article": article.pk}
    )
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert "Appeal preview" in page
    assert 'class="appeal appeal--top"' in page
    assert b.heading in page
    assert "“no donation appeals”" in page  # why readers would not get it there
    data = appeal_data(response)
    assert data["preview"] == {"appeal": appeal.pk, "variant": b.pk, "n": 1}
    inline = client.get(url, {"article": article.pk}).content.decode()
    assert inline.index("<p>One.</p>") < inline.index('class="appeal appeal--inline"')


def test_preview_in_the_home_slot_and_with_junk_parameters(client, fundraiser):
    ArticleFactory()
    appeal = AppealFactory(placement="end")
    url = reverse("admin:donations_appeal_preview", args=[appeal.pk])
    home = client.get(url, {"placement": "home"})
    assert 'class="appeal appeal--home"' in home.content.decode()
    junk = client.get(url, {"placement": "<x>", "variant": "'", "article": "-1"})
    assert junk.status_code == 200
    assert 'class="appeal appeal--end"' in junk.content.decode()


def test_the_pause_switch_is_one_page(client, fundraiser):
    response = client.get(reverse("admin:donations_appealsettings_changelist"))
    assert response.status_code == 302
    settings_row = AppealSettings.objects.get()
    response = client.post(
        reverse("admin:donations_appealsettings_change", args=[settings_row.pk]),
        {"paused": "on"},
    )
    assert response.status_code == 302
    assert AppealSettings.objects.get().paused is True


def test_recording_a_gift_by_hand(client, fundraiser):
    campaign = CampaignFactory()
    response = client.get(reverse("admin:donations_donation_add"))
    page = response.content.decode()
    assert "Personal data" in page
    data = {
        "amount": "1,250.50",
        "amount_refunded": "",
        "currency": "USD",
        "received_at_0": "2026-03-01",
        "received_at_1": "10:00:00",
        "frequency": "once",
        "status": "succeeded",
        "campaign": campaign.pk,
        "source": "manual",
        "processor": "check",
        "reference": "check-1042",
        "donor_name": "Ana Reader",
        "donor_email": "ana@example.org",
        "note": "",
    }
    response = client.post(reverse("admin:donations_donation_add"), data)
    assert response.status_code == 302
    donation = Donation.objects.get()
    assert donation.amount == 125050
    assert donation.amount_refunded == 0
    assert donation.recorded_by == fundraiser


@pytest.mark.parametrize(
    ("amount", "refunded", "message"),
    [
        ("twelve", "", "Enter an amount like 25"),
        ("0", "", "above zero"),
        ("10", "20", "More cannot be refunded"),
        ("1.005", "", "Enter an amount like 25"),
    ],
)
def test_bad_amounts_are_form_errors(client, fundraiser, amount, refunded, message):
    data = {
        "amount": amount,
        "amount_refunded": refunded,
        "currency": "USD",
        "received_at_0": "2026-03-01",
        "received_at_1": "10:00:00",
        "frequency": "once",
        "status": "succeeded",
        "source": "manual",
        "processor": "check",
    }
    response = client.post(reverse("admin:donations_donation_add"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Donation.objects.count() == 0


def test_the_campaign_goal_is_typed_in_whole_units(client, fundraiser):
    response = client.post(
        reverse("admin:donations_campaign_add"),
        {
            "name": "Spring",
            "slug": "spring",
            "active": "on",
            "goal": "50,000",
            "currency": "USD",
            "starts_at_0": "2026-03-01",
            "starts_at_1": "00:00:00",
            "donate_url": "donate.example.org/give",
            "suggested_amounts": "10,25",
            "default_frequency": "once",
        },
    )
    assert response.status_code == 302
    from donations.models import Campaign

    campaign = Campaign.objects.get(slug="spring")
    assert campaign.goal == 5_000_000
    assert campaign.donate_url == "https://donate.example.org/give"
    page = client.get(
        reverse("admin:donations_campaign_change", args=[campaign.pk])
    ).content.decode()
    assert re.search(r'name="goal" value="50000"', page)


def test_a_campaign_preselects_a_gift_for_the_donate_form(client, fundraiser):
    campaign = CampaignFactory(monthly_donate_url="")
    page = client.get(
        reverse("admin:donations_campaign_change", args=[campaign.pk])
    ).content.decode()
    assert 'name="default_frequency"' in page
    assert 'name="default_amount"' in page
    response = client.post(
        reverse("admin:donations_campaign_change", args=[campaign.pk]),
        {
            "name": campaign.name,
            "slug": campaign.slug,
            "active": "on",
            "goal": "10,000",
            "currency": "USD",
            "starts_at_0": "2026-03-01",
            "starts_at_1": "00:00:00",
            "donate_url": "https://donate.example.org/give?amount={amount}",
            "suggested_amounts": "",
            "default_frequency": "monthly",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Monthly gifts can only be preselected with a monthly donate link" in page
    assert "give suggested amounts or a preselected amount" in page
