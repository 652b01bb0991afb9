"""Monthly gifts through the Stripe webhook, in Stripe's current event shapes:
renewals, refunds whole and partial, disputes and cancellations, each matched to the
right gift and donor whatever order the events come in."""

from itertools import count

import pytest

from donations.models import Donation, StripeEvent, Subscription
from tests.donations import stripe_payloads as stripe
from tests.factories import AppealFactory, CampaignFactory

pytestmark = pytest.mark.django_db

ids = count(1)


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [stripe.SECRET]


def send(client, kind, obj):
    response = stripe.deliver(client, stripe.event(kind, obj, f"evt_r{next(ids)}"))
    assert response.status_code == 200, response.content
    return response.json()["outcome"]


def start_monthly_gift(client, appeal=None):
    """A reader subscribes at $15 a month through Checkout: the session, the first
    invoice (its subscription under parent.subscription_details, no payments in
    the event) and the invoice payment linking it to its payment intent."""
    metadata = {"newsroom_appeal": str(appeal.pk)} if appeal else {}
    send(
        client,
        "checkout.session.completed",
        stripe.checkout_session(
            "cs_sub1",
            1500,
            invoice="in_1",
            subscription="sub_1",
            email="monthly@example.org",
            name="Mo Nthly",
            metadata=metadata,
        ),
    )
    send(client, "invoice.paid", stripe.invoice("in_1", 1500, "sub_1", first=True))
    send(client, "invoice_payment.paid", stripe.invoice_payment("in_1", 1500, "pi_1"))


def renew(client, number, payment_intent=None):
    payment_intent = payment_intent or f"pi_{number}"
    send(client, "invoice.paid", stripe.invoice(f"in_{number}", 1500, "sub_1"))
    send(
        client,
        "invoice_payment.paid",
        stripe.invoice_payment(f"in_{number}", 1500, payment_intent),
    )


def test_a_monthly_gift_and_its_renewals_are_one_gift_each_of_one_subscription(
    client,
):
    campaign = CampaignFactory()
    appeal = AppealFactory(campaign=campaign)
    start_monthly_gift(client, appeal)
    renew(client, 2)
    renew(client, 3)
    gifts = list(Donation.objects.order_by("received_at", "pk"))
    assert [g.reference for g in gifts] == ["in_1", "in_2", "in_3"]
    assert {g.frequency for g in gifts} == {Donation.Frequency.MONTHLY}
    subscription = Subscription.objects.get(reference="sub_1")
    assert {g.subscription for g in gifts} == {subscription}
    # The appeal that led to the subscription gets its first payment only.
    assert [g.appeal for g in gifts] == [appeal, None, None]
    assert gifts[0].aliases == ["cs_sub1", "pi_1"]
    assert gifts[1].aliases == ["pi_2"]
    assert {g.donor_email for g in gifts} == {"monthly@example.org"}
    assert campaign.progress().raised == 4500
    assert campaign.progress().donors == 1


def test_a_refund_on_a_renewal_finds_it_through_its_payment_intent(client):
    campaign = CampaignFactory()
    start_monthly_gift(client)
    renew(client, 2)
    send(client, "refund.created", stripe.refund("re_1", 1500, "ch_2", "pi_2"))
    send(client, "charge.refunded", stripe.charge("ch_2", 1500, "pi_2", 1500))
    renewal = Donation.objects.get(reference="in_2")
    assert renewal.status == Donation.Status.REFUNDED
    assert renewal.amount_refunded == 1500
    assert "ch_2" in renewal.aliases
    assert Donation.objects.count() == 2  # no orphan row
    assert campaign.progress().raised == 1500


def test_a_refund_arriving_before_the_renewal_is_merged_into_it(client):
    """Stripe does not promise order: the refund names a payment intent nothing
    knows yet, then the invoice, then the invoice payment that links the two."""
    campaign = CampaignFactory()
    start_monthly_gift(client)
    send(client, "refund.created", stripe.refund("re_1", 500, "ch_2", "pi_2"))
    send(client, "charge.refunded", stripe.charge("ch_2", 1500, "pi_2", 500))
    send(client, "invoice.paid", stripe.invoice("in_2", 1500, "sub_1"))
    assert Donation.objects.count() == 3  # not known to be one payment yet
    send(client, "invoice_payment.paid", stripe.invoice_payment("in_2", 1500, "pi_2"))
    renewal = Donation.objects.get(reference="in_2")
    assert Donation.objects.count() == 2
    assert (renewal.amount, renewal.amount_refunded) == (1500, 500)
    assert renewal.status == Donation.Status.SUCCEEDED
    assert renewal.subscription.reference == "sub_1"
    assert renewal.donor_email == "monthly@example.org"
    assert set(renewal.aliases) == {"pi_2", "ch_2"}
    # The refund's events now point at the gift they were about.
    assert set(
        StripeEvent.objects.filter(
            type__in=["refund.created", "charge.refunded"]
        ).values_list("donation", flat=True)
    ) == {renewal.pk}
    assert campaign.progress().raised == 1500 + 1000


def test_partial_refunds_add_up_and_a_failed_refund_gives_the_money_back(client):
    campaign = CampaignFactory()
    start_monthly_gift(client)
    renew(client, 2)
    send(client, "refund.created", stripe.refund("re_1", 400, "ch_2", "pi_2"))
    send(client, "refund.created", stripe.refund("re_2", 600, "ch_2", "pi_2"))
    send(client, "charge.refunded", stripe.charge("ch_2", 1500, "pi_2", 1000))
    renewal = Donation.objects.get(reference="in_2")
    assert renewal.amount_refunded == 1000
    assert campaign.progress().raised == 3000 - 1000
    # The donor's bank returns the second refund: the money is the newsroom's.
    failed = stripe.refund("re_2", 600, "ch_2", "pi_2", status="failed")
    send(client, "refund.failed", failed)
    renewal.refresh_from_db()
    assert renewal.amount_refunded == 400
    assert campaign.progress().raised == 3000 - 400
    # A late "created" for the failed refund does not bring it back.
    send(client, "refund.updated", stripe.refund("re_2", 600, "ch_2", "pi_2"))
    renewal.refresh_from_db()
    assert renewal.amount_refunded == 400


def test_a_charge_snapshot_alone_records_a_refund_without_its_own_event(client):
    campaign = CampaignFactory()
    start_monthly_gift(client)
    renew(client, 2)
    send(client, "charge.refunded", stripe.charge("ch_2", 1500, "pi_2", 700))
    assert Donation.objects.get(reference="in_2").amount_refunded == 700
    # The refund's own event, when it comes, is the same money, not more.
    send(client, "refund.created", stripe.refund("re_1", 700, "ch_2", "pi_2"))
    assert Donation.objects.get(reference="in_2").amount_refunded == 700
    assert campaign.progress().raised == 3000 - 700


def test_a_dispute_on_a_renewal_takes_it_out_until_won(client):
    campaign = CampaignFactory()
    start_monthly_gift(client)
    renew(client, 2)
    send(client, "charge.dispute.created", stripe.dispute("dp_1", 1500, "ch_2", "pi_2"))
    renewal = Donation.objects.get(reference="in_2")
    assert renewal.status == Donation.Status.DISPUTED
    assert campaign.progress().raised == 1500
    send(
        client,
        "charge.dispute.closed",
        stripe.dispute("dp_1", 1500, "ch_2", "pi_2", status="won"),
    )
    renewal.refresh_from_db()
    assert renewal.status == Donation.Status.REINSTATED
    assert campaign.progress().raised == 3000
    assert Donation.objects.count() == 2


def test_a_dispute_lost_on_the_first_payment_leaves_the_renewals(client):
    campaign = CampaignFactory()
    start_monthly_gift(client)
    renew(client, 2)
    lost = stripe.dispute("dp_1", 1500, "ch_1", "pi_1", status="lost")
    send(client, "charge.dispute.closed", lost)
    assert Donation.objects.get(reference="in_1").status == Donation.Status.DISPUTED
    assert campaign.progress().raised == 1500


def test_a_cancellation_ends_the_recurring_gift_and_keeps_its_payments(
    client, admin_client
):
    campaign = CampaignFactory()
    start_monthly_gift(client)
    renew(client, 2)
    outcome = send(
        client,
        "customer.subscription.deleted",
        stripe.subscription("sub_1", reason="cancellation_requested"),
    )
    assert outcome == "subscription sub_1 ended (cancellation_requested)"
    subscription = Subscription.objects.get(reference="sub_1")
    assert subscription.ended_at is not None
    assert subscription.end_reason == "cancellation_requested"
    assert StripeEvent.objects.get(type="customer.subscription.deleted").donation == (
        Donation.objects.get(reference="in_2")
    )
    assert campaign.progress().raised == 3000
    # The donor's rows in the admin say the monthly gift has ended.
    page = admin_client.get("/admin/donations/donation/").content.decode()
    assert page.count("Ended") == 2
    ended = admin_client.get("/admin/donations/donation/?recurring=ended")
    assert len(ended.context["cl"].result_list) == 2
    active = admin_client.get("/admin/donations/donation/?recurring=active")
    assert len(active.context["cl"].result_list) == 0
    renewal = Donation.objects.get(reference="in_2")
    form = admin_client.get(f"/admin/donations/donation/{renewal.pk}/change/")
    assert "sub_1, ended" in form.content.decode()
    assert "cancellation_requested" in form.content.decode()


def test_a_cancellation_arriving_before_the_last_invoice_still_ends_it(client):
    CampaignFactory()
    send(client, "customer.subscription.deleted", stripe.subscription("sub_1"))
    start_monthly_gift(client)
    gift = Donation.objects.get()
    assert gift.subscription.ended_at is not None
    assert Subscription.objects.count() == 1


def test_an_update_ends_the_gift_only_when_the_subscription_has_ended(client):
    CampaignFactory()
    start_monthly_gift(client)
    pending_end = {
        **stripe.subscription("sub_1"),
        "status": "active",
        "cancel_at_period_end": True,
        "ended_at": None,
    }
    assert send(client, "customer.subscription.updated", pending_end) == (
        "ignored active subscription"
    )
    assert Subscription.objects.get().ended_at is None
    ended = stripe.subscription("sub_1", reason="payment_failed")
    send(client, "customer.subscription.updated", ended)
    subscription = Subscription.objects.get()
    assert subscription.ended_at is not None
    assert subscription.end_reason == "payment_failed"


def test_an_invoice_with_its_payments_included_knows_its_payment_intent(client):
    campaign = CampaignFactory()
    send(
        client,
        "invoice.paid",
        stripe.invoice(
            "in_9", 2000, "sub_9", payment_intent="pi_9", include_payments=True
        ),
    )
    send(client, "refund.created", stripe.refund("re_9", 2000, "ch_9", "pi_9"))
    gift = Donation.objects.get()
    assert gift.status == Donation.Status.REFUNDED
    assert campaign.progress().raised == 0


def test_a_yearly_subscription_is_told_by_its_billing_period(client):
    CampaignFactory()
    yearly = stripe.invoice("in_y", 12000, "sub_y", first=True, interval_days=365)
    send(client, "invoice.paid", yearly)
    assert Donation.objects.get().frequency == Donation.Frequency.YEARLY


@pytest.mark.parametrize(
    ("kind", "broken"),
    [
        ("refund.created", {"status": "lost"}),
        ("refund.created", {"id": None}),
        ("refund.created", {"amount": "5.00"}),
        ("customer.subscription.deleted", {"id": None}),
        ("invoice_payment.paid", {"amount_paid": None}),
    ],
)
def test_a_recurring_event_that_cannot_be_applied_is_refused(client, kind, broken):
    objects = {
        "refund.created": stripe.refund("re_1", 500, "ch_1", "pi_1"),
        "customer.subscription.deleted": {
            **stripe.subscription("sub_1"),
            "ended_at": None,
            "canceled_at": None,
            "created": None,
        },
        "invoice_payment.paid": stripe.invoice_payment("in_1", 1500, "pi_1"),
    }
    obj = {**objects[kind], **broken}
    response = stripe.deliver(client, stripe.event(kind, obj, f"evt_b{next(ids)}"))
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
