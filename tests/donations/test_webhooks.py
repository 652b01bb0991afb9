"""The Stripe webhook, fed events signed exactly as Stripe signs them."""

import hashlib
import hmac
import json
import time
from itertools import count

import pytest
from django.urls import reverse

from donations.models import Donation, StripeEvent
from donations.webhooks import SignatureError, verify_signature
from tests.factories import AppealFactory, CampaignFactory

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_0123456789abcdef"
URL = "/donate/webhooks/stripe/"
ids = count(1)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET]


def signature(payload, secret=SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, event, **signing):
    payload = json.dumps(event).encode()
    return client.post(
        URL,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload, **signing),
    )


def stripe_event(kind, obj, event_id=None):
    return {
        "id": event_id or f"evt_{next(ids)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def session(payment_status="paid", **extra):
    return {
        "id": "cs_test_1",
        "object": "checkout.session",
        "mode": "payment",
        "payment_status": payment_status,
        "amount_total": 2500,
        "currency": "usd",
        "created": int(time.time()) - 60,
        "payment_intent": "pi_1",
        "customer_details": {"email": "reader@example.org", "name": "Ana Reader"},
        "metadata": {},
        "client_reference_id": None,
        **extra,
    }


def charge(amount_refunded, **extra):
    return {
        "id": "ch_1",
        "object": "charge",
        "amount": 2500,
        "amount_refunded": amount_refunded,
        "currency": "usd",
        "created": int(time.time()) - 60,
        "payment_intent": "pi_1",
        "refunded": amount_refunded == 2500,
        "billing_details": {"email": "reader@example.org", "name": "Ana Reader"},
        "metadata": {},
        **extra,
    }


# Signatures ---------------------------------------------------------------------------


def test_a_bad_signature_is_refused_and_nothing_is_stored(client):
    CampaignFactory()
    response = deliver(
        client, stripe_event("checkout.session.completed", session()), secret="whsec_x"
    )
    assert response.status_code == 400
    assert "signature" in response.json()["error"]
    assert Donation.objects.count() == 0
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=,v1=",
        "v1=abc",
        "t=123",
        "t=abc,v1=00",
        "t=1,t=2,v1=00",
    ],
)
def test_a_malformed_signature_header_is_refused(client, header):
    payload = json.dumps(stripe_event("checkout.session.completed", session())).encode()
    response = client.post(
        URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert response.json()["error"]
    assert StripeEvent.objects.count() == 0


def test_a_replayed_old_signature_is_refused(client):
    old = int(time.time()) - 600
    response = deliver(
        client, stripe_event("checkout.session.completed", session()), timestamp=old
    )
    assert response.status_code == 400
    assert "too old" in response.json()["error"]
    assert Donation.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(client):
    payload = json.dumps(stripe_event("checkout.session.completed", session())).encode()
    header = signature(payload)
    tampered = payload.replace(b"2500", b"9900")
    response = client.post(
        URL, tampered, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert response.status_code == 400
    assert Donation.objects.count() == 0


def test_either_secret_is_accepted_while_rotating(client, settings):
    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_old", SECRET]
    CampaignFactory()
    response = deliver(client, stripe_event("checkout.session.completed", session()))
    assert response.status_code == 200


def test_several_v1_signatures_in_one_header():
    payload = b'{"id": "evt_1"}'
    now = int(time.time())
    good = signature(payload, timestamp=now).split("v1=")[1]
    header = f"t={now},v1={'0' * 64},v1={good},v0=ignored"
    verify_signature(payload, header, [SECRET], now=now)
    with pytest.raises(SignatureError):
        verify_signature(payload, f"t={now},v1={'0' * 64}", [SECRET], now=now)


def test_without_a_configured_secret_every_event_is_refused(client, settings):
    settings.STRIPE_WEBHOOK_SECRETS = []
    response = deliver(client, stripe_event("checkout.session.completed", session()))
    assert response.status_code == 503
    assert Donation.objects.count() == 0


def test_the_webhook_takes_only_posts(client):
    assert client.get(URL).status_code == 405


# Applying events ---------------------------------------------------------------


def test_a_completed_checkout_records_the_gift_with_its_appeal(client):
    appeal = AppealFactory(variants=["A", "B"])
    variant = appeal.variants.get(label="B")
    metadata = {"newsroom_appeal": str(appeal.pk), "newsroom_variant": str(variant.pk)}
    response = deliver(
        client, stripe_event("checkout.session.completed", session(metadata=metadata))
    )
    assert response.status_code == 200
    donation = Donation.objects.get()
    assert donation.amount == 2500
    assert donation.currency == "USD"
    assert donation.status == Donation.Status.SUCCEEDED
    assert donation.source == Donation.Source.WEBHOOK
    assert donation.processor == Donation.Processor.STRIPE
    assert donation.reference == "pi_1"
    assert (donation.campaign, donation.appeal, donation.variant) == (
        appeal.campaign,
        appeal,
        variant,
    )
    assert (donation.donor_name, donation.donor_email) == (
        "Ana Reader",
        "reader@example.org",
    )
    assert appeal.campaign.progress().raised == 2500


def test_attribution_from_a_payment_links_client_reference(client):
    appeal = AppealFactory()
    variant = appeal.variants.get()
    reference = f"nr_c{appeal.campaign_id}_a{appeal.pk}_v{variant.pk}"
    deliver(
        client,
        stripe_event(
            "checkout.session.completed", session(client_reference_id=reference)
        ),
    )
    donation = Donation.objects.get()
    assert (donation.appeal, donation.variant) == (appeal, variant)


def test_a_gift_naming_no_campaign_counts_towards_the_running_one(client):
    campaign = CampaignFactory()
    CampaignFactory(currency="EUR")
    deliver(client, stripe_event("checkout.session.completed", session()))
    assert Donation.objects.get().campaign == campaign


def test_unknown_attribution_is_ignored(client):
    campaign = CampaignFactory()
    metadata = {"newsroom_appeal": "99999", "newsroom_variant": "x'; --"}
    deliver(
        client,
        stripe_event(
            "checkout.session.completed",
            session(metadata=metadata, client_reference_id="nr_c999999_a1"),
        ),
    )
    donation = Donation.objects.get()
    assert (donation.appeal, donation.variant, donation.campaign) == (
        None,
        None,
        campaign,
    )


def test_the_same_event_delivered_three_times_is_one_donation(client):
    CampaignFactory()
    event = stripe_event("checkout.session.completed", session())
    responses = [deliver(client, event) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["outcome"] for r in responses][1:] == ["duplicate", "duplicate"]
    assert Donation.objects.count() == 1
    assert StripeEvent.objects.count() == 1


def test_a_refund_after_a_payment_leaves_the_totals_net(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session()))
    deliver(client, stripe_event("charge.refunded", charge(1000)))
    donation = Donation.objects.get()
    assert (donation.status, donation.amount_refunded) == ("succeeded", 1000)
    assert campaign.progress().raised == 1500
    deliver(client, stripe_event("charge.refunded", charge(2500)))
    donation.refresh_from_db()
    assert (donation.status, donation.amount_refunded) == ("refunded", 2500)
    assert campaign.progress().raised == 0
    assert campaign.progress().donors == 0


def test_a_refund_arriving_before_its_payment_is_not_undone(client):
    campaign = CampaignFactory()
    appeal = AppealFactory(campaign=campaign)
    deliver(client, stripe_event("charge.refunded", charge(2500)))
    metadata = {"newsroom_appeal": str(appeal.pk)}
    deliver(
        client, stripe_event("checkout.session.completed", session(metadata=metadata))
    )
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.REFUNDED
    assert donation.appeal == appeal
    assert campaign.progress().raised == 0


def test_an_async_payment_that_fails_is_never_counted(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session("unpaid")))
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.PENDING
    assert campaign.progress().raised == 0
    deliver(
        client,
        stripe_event("checkout.session.async_payment_failed", session("unpaid")),
    )
    donation.refresh_from_db()
    assert donation.status == Donation.Status.FAILED
    assert campaign.progress().raised == 0


def test_an_async_payment_counts_once_it_settles(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session("unpaid")))
    deliver(
        client,
        stripe_event("checkout.session.async_payment_succeeded", session("paid")),
    )
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    assert campaign.progress().raised == 2500


def test_a_late_completed_event_does_not_turn_a_settled_payment_back_to_pending(client):
    campaign = CampaignFactory()
    deliver(
        client,
        stripe_event("checkout.session.async_payment_succeeded", session("paid")),
    )
    deliver(client, stripe_event("checkout.session.completed", session("unpaid")))
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    assert campaign.progress().raised == 2500


def dispute(**extra):
    return {
        "id": "dp_1",
        "object": "dispute",
        "amount": 2500,
        "currency": "usd",
        "charge": "ch_1",
        "payment_intent": "pi_1",
        "status": "needs_response",
        "created": int(time.time()),
        **extra,
    }


def test_a_dispute_takes_the_gift_out_of_the_totals(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session()))
    deliver(client, stripe_event("charge.dispute.created", dispute()))
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.DISPUTED
    assert campaign.progress().raised == 0


@pytest.mark.parametrize(
    ("closed", "status", "raised"),
    [
        ("won", Donation.Status.REINSTATED, 2500),
        ("lost", Donation.Status.DISPUTED, 0),
    ],
)
def test_a_closed_dispute_settles_whether_the_gift_counts(
    client, closed, status, raised
):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session()))
    deliver(client, stripe_event("charge.dispute.created", dispute()))
    response = deliver(
        client, stripe_event("charge.dispute.closed", dispute(status=closed))
    )
    assert response.status_code == 200
    assert Donation.objects.get().status == status
    assert campaign.progress().raised == raised
    assert StripeEvent.objects.get(type="charge.dispute.closed").outcome.endswith(
        f"dispute {closed}: {status}"
    )


def test_an_inquiry_withdraws_nothing_so_the_gift_keeps_counting(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session()))
    opened = dispute(status="warning_needs_response")
    deliver(client, stripe_event("charge.dispute.created", opened))
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    assert campaign.progress().raised == 2500
    closed = dispute(status="warning_closed")
    deliver(client, stripe_event("charge.dispute.closed", closed))
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    # Should the bank then file a chargeback, it takes the gift out as any does.
    deliver(client, stripe_event("charge.dispute.created", dispute(id="dp_2")))
    assert Donation.objects.get().status == Donation.Status.DISPUTED
    assert campaign.progress().raised == 0


def test_a_prevented_dispute_is_acknowledged_and_the_refund_counts(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session()))
    response = deliver(
        client, stripe_event("charge.dispute.closed", dispute(status="prevented"))
    )
    assert response.status_code == 200
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED
    deliver(client, stripe_event("charge.refunded", charge(amount_refunded=2500)))
    assert Donation.objects.get().status == Donation.Status.REFUNDED
    assert campaign.progress().raised == 0


def test_a_dispute_won_stays_won_whatever_order_the_events_arrive_in(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("charge.dispute.closed", dispute(status="won")))
    deliver(client, stripe_event("charge.dispute.created", dispute()))
    deliver(client, stripe_event("checkout.session.completed", session()))
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.REINSTATED
    assert donation.campaign == campaign
    assert campaign.progress().raised == 2500


def test_a_full_refund_after_a_dispute_won_takes_the_gift_out(client):
    campaign = CampaignFactory()
    deliver(client, stripe_event("checkout.session.completed", session()))
    deliver(client, stripe_event("charge.dispute.closed", dispute(status="won")))
    deliver(client, stripe_event("charge.refunded", charge(amount_refunded=2500)))
    assert Donation.objects.get().status == Donation.Status.REFUNDED
    assert campaign.progress().raised == 0


@pytest.mark.parametrize(
    "changes", [{"status": "under_review"}, {"status": None}, {"amount": "25.00"}]
)
def test_a_closed_dispute_that_does_not_say_how_is_refused(client, changes):
    deliver(client, stripe_event("checkout.session.completed", session()))
    response = deliver(
        client, stripe_event("charge.dispute.closed", dispute(**changes))
    )
    assert response.status_code == 400
    assert Donation.objects.get().status == Donation.Status.SUCCEEDED


def invoice(**extra):
    return {
        "id": "in_1",
        "object": "invoice",
        "amount_paid": 1500,
        "currency": "usd",
        "created": int(time.time()) - 30,
        "status_transitions": {"paid_at": int(time.time()) - 20},
        "billing_reason": "subscription_create",
        "customer_email": "monthly@example.org",
        "customer_name": "Mo Nthly",
        "lines": {"data": [{"price": {"recurring": {"interval": "month"}}}]},
        **extra,
    }


def test_a_subscription_checkout_and_its_first_invoice_are_one_monthly_gift(client):
    campaign = CampaignFactory()
    appeal = AppealFactory(campaign=campaign)
    subscription_session = session(
        mode="subscription",
        payment_intent=None,
        invoice="in_1",
        amount_total=1500,
        metadata={"newsroom_appeal": str(appeal.pk)},
    )
    deliver(client, stripe_event("checkout.session.completed", subscription_session))
    deliver(client, stripe_event("invoice.paid", invoice()))
    donation = Donation.objects.get()
    assert donation.frequency == Donation.Frequency.MONTHLY
    assert donation.appeal == appeal
    assert donation.amount == 1500
    assert campaign.progress().raised == 1500


def test_renewals_are_new_gifts_of_their_interval_credited_to_no_appeal(client):
    campaign = CampaignFactory()
    renewal = invoice(
        id="in_2",
        billing_reason="subscription_cycle",
        lines={"data": [{"plan": {"interval": "year"}}]},
        subscription_details={"metadata": {"newsroom_appeal": "1"}},
    )
    deliver(client, stripe_event("invoice.paid", renewal))
    donation = Donation.objects.get()
    assert donation.frequency == Donation.Frequency.YEARLY
    assert donation.appeal is None
    assert donation.campaign == campaign


def test_an_event_type_we_do_not_use_is_acknowledged_and_recorded(client):
    response = deliver(client, stripe_event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert StripeEvent.objects.get().type == "customer.created"
    assert Donation.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"id": "evt_1"}',
        b'{"id": 5, "type": "x", "created": 1, "data": {"object": {}}}',
        b'{"id": "evt_1", "type": "x", "created": "now", "data": {"object": {}}}',
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused(client, body):
    response = client.post(
        URL,
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(body),
    )
    assert response.status_code == 400
    assert response.json()["error"]
    assert StripeEvent.objects.count() == 0


@pytest.mark.parametrize(
    "broken",
    [
        {"amount_total": "25.00"},
        {"amount_total": -5},
        {"currency": None},
        {"created": "yesterday"},
        {"payment_intent": None, "id": None},
    ],
)
def test_an_event_that_cannot_be_applied_is_refused_and_not_recorded(client, broken):
    response = deliver(
        client, stripe_event("checkout.session.completed", session(**broken))
    )
    assert response.status_code == 400
    assert response.json()["error"]
    # Not recorded, so Stripe's retry gets another chance once the code is fixed.
    assert StripeEvent.objects.count() == 0
    assert Donation.objects.count() == 0


def test_the_webhook_url():
    assert reverse("donations:stripe-webhook") == URL


def test_a_dispute_on_a_monthly_gift_finds_it_by_its_charge(client):
    """A subscription's gift is recorded under its invoice; the dispute names only
    the payment intent and the charge, which the invoice named too."""
    campaign = CampaignFactory()
    paid = invoice(payment_intent="pi_sub", charge="ch_sub")
    deliver(client, stripe_event("invoice.paid", paid))
    disputed = dispute(payment_intent="pi_sub", charge="ch_sub")
    deliver(client, stripe_event("charge.dispute.created", disputed))
    donation = Donation.objects.get()
    assert donation.reference == "in_1"
    assert sorted(donation.aliases) == ["ch_sub", "pi_sub"]
    assert donation.status == Donation.Status.DISPUTED
    assert campaign.progress().raised == 0


def test_an_id_learnt_from_a_later_event_finds_the_gift_after(client):
    deliver(client, stripe_event("checkout.session.completed", session()))
    # The refund names the charge as well as the payment intent...
    deliver(client, stripe_event("charge.refunded", charge(amount_refunded=500)))
    # ...so a dispute naming only the charge finds the same gift.
    deliver(
        client,
        stripe_event("charge.dispute.created", dispute(payment_intent=None)),
    )
    donation = Donation.objects.get()
    assert donation.status == Donation.Status.DISPUTED
    assert "ch_1" in donation.aliases
