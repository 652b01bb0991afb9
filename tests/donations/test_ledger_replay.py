"""
The ledger stays true whatever Stripe sends, in whatever order: random gifts (one-time
and monthly), each with random refunds (whole, partial, some failing afterwards, some
known only from the charge), disputes (inquiries, won, lost, open) and cancellations,
turned into Stripe's events, shuffled, some delivered twice and some facts repeated in
new events. Once all are delivered, the totals on /donate/, in the progress JSON and in
the admin must equal a simple recomputation from what happened, to the cent; every
payment must be one donation, and every payment of a cancelled monthly gift must show
it ended.
"""

from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations.models import Donation
from tests.donations import stripe_payloads as stripe
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@dataclass
class Refund:
    amount: int
    status: str  # how it ends: succeeded, pending or failed
    own_events: bool  # False: only a charge.refunded snapshot tells of it


@dataclass
class Payment:
    amount: int
    refunds: list = field(default_factory=list)
    dispute: str = ""  # "", inquiry, open, won, lost
    failed: bool = False

    def counted(self):
        return not self.failed and self.dispute not in ("open", "lost")

    def refunded(self):
        return sum(r.amount for r in self.refunds if r.status != "failed")

    def net(self):
        return self.amount - self.refunded() if self.counted() else 0


@dataclass
class Gift:
    email: str
    monthly: bool
    payments: list
    cancelled: bool = False


@st.composite
def payments(draw, can_fail):
    amount = draw(st.integers(100, 50_000))
    if can_fail and draw(st.booleans()) and draw(st.booleans()):
        return Payment(amount, failed=True)
    refunds, left = [], amount
    for _ in range(draw(st.integers(0, 2))):
        if left <= 0:
            break
        share = draw(st.integers(1, left))
        own = draw(st.booleans())
        status = draw(st.sampled_from(["succeeded", "pending", "failed"]))
        refunds.append(Refund(share, status if own else "succeeded", own))
        left -= share
    disputable = amount - sum(r.amount for r in refunds)
    dispute = draw(st.sampled_from(["", "inquiry", "open", "won", "lost"]))
    return Payment(amount, refunds, dispute if disputable > 0 else "")


@st.composite
def gifts(draw):
    found = []
    for number in range(draw(st.integers(1, 4))):
        monthly = draw(st.booleans())
        count = draw(st.integers(1, 3)) if monthly else 1
        found.append(
            Gift(
                email=f"donor{number}@example.org",
                monthly=monthly,
                payments=[draw(payments(can_fail=not monthly)) for _ in range(count)],
                cancelled=monthly and draw(st.booleans()),
            )
        )
    return found


def events_for(gifts):
    """Each gift as the events Stripe sends for it, each with its own id."""
    events = []

    def add(kind, obj):
        events.append(stripe.event(kind, obj, f"evt_{len(events)}"))

    for g, gift in enumerate(gifts):
        for p, payment in enumerate(gift.payments):
            key = f"{g}x{p}"
            intent, charge = f"pi_{key}", f"ch_{key}"
            if gift.monthly:
                invoice = f"in_{key}"
                if p == 0:
                    add(
                        "checkout.session.completed",
                        stripe.checkout_session(
                            f"cs_{key}",
                            payment.amount,
                            invoice=invoice,
                            subscription=f"sub_{g}",
                            email=gift.email,
                        ),
                    )
                add(
                    "invoice.paid",
                    stripe.invoice(
                        invoice,
                        payment.amount,
                        f"sub_{g}",
                        first=p == 0,
                        email=gift.email,
                    ),
                )
                add(
                    "invoice_payment.paid",
                    stripe.invoice_payment(invoice, payment.amount, intent),
                )
            else:
                session = stripe.checkout_session(
                    f"cs_{key}",
                    payment.amount,
                    payment_intent=intent,
                    email=gift.email,
                    payment_status="unpaid" if payment.failed else "paid",
                )
                add("checkout.session.completed", session)
                if payment.failed:
                    add("checkout.session.async_payment_failed", session)
            snapshot = 0
            for r, refund in enumerate(payment.refunds):
                snapshot += refund.amount
                if refund.own_events:
                    first = "pending" if refund.status == "pending" else "succeeded"
                    add(
                        "refund.created",
                        stripe.refund(
                            f"re_{key}_{r}", refund.amount, charge, intent, first
                        ),
                    )
                    add(
                        "refund.updated",
                        stripe.refund(
                            f"re_{key}_{r}",
                            refund.amount,
                            charge,
                            intent,
                            refund.status,
                        ),
                    )
            if payment.refunds:
                add(
                    "charge.refunded",
                    stripe.charge(charge, payment.amount, intent, snapshot),
                )
            if payment.dispute:
                disputed = payment.amount - snapshot
                opened = (
                    "warning_needs_response"
                    if payment.dispute == "inquiry"
                    else ("needs_response")
                )
                add(
                    "charge.dispute.created",
                    stripe.dispute(f"dp_{key}", disputed, charge, intent, opened),
                )
                closed = {"inquiry": "warning_closed", "won": "won", "lost": "lost"}
                if payment.dispute in closed:
                    add(
                        "charge.dispute.closed",
                        stripe.dispute(
                            f"dp_{key}",
                            disputed,
                            charge,
                            intent,
                            closed[payment.dispute],
                        ),
                    )
        if gift.cancelled:
            add("customer.subscription.deleted", stripe.subscription(f"sub_{g}"))
    return events


def expected(gifts):
    raised = sum(p.net() for gift in gifts for p in gift.payments)
    donors = {
        gift.email
        for gift in gifts
        for p in gift.payments
        if p.counted() and p.refunded() < p.amount
    }
    return raised, len(donors)


def totals_everywhere(client, admin_client, campaign):
    """What the donate page, the progress JSON and the admin each show."""
    cache.clear()  # the progress JSON is cached for a minute
    page = client.get("/donate/").context["progress"]
    feed = client.get(f"/donate/progress/{campaign.slug}.json").json()
    listed = admin_client.get("/admin/donations/campaign/").context["cl"].result_list
    admin_raised = next(c.raised for c in listed if c.pk == campaign.pk) or 0
    return {
        "page": (page.raised, page.donors),
        "json": (feed["raised"], feed["donors"]),
        "admin": (admin_raised, page.donors),
    }


class Rollback(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    scenario=gifts(),
    data=st.data(),
)
def test_totals_agree_with_a_recomputation_after_any_order_of_events(
    client, admin_client, settings, scenario, data
):
    settings.STRIPE_WEBHOOK_SECRETS = [stripe.SECRET]
    events = events_for(scenario)
    again = data.draw(
        st.lists(st.sampled_from(range(len(events))), max_size=len(events) // 2),
        label="delivered twice",
    )
    order = data.draw(
        st.permutations([*range(len(events)), *again]), label="delivery order"
    )
    raised, donors = expected(scenario)
    try:
        with transaction.atomic():
            campaign = CampaignFactory(goal=10_000_000)
            for index in order:
                response = stripe.deliver(client, events[index])
                assert response.status_code == 200, response.content
            shown = totals_everywhere(client, admin_client, campaign)
            assert shown["page"] == (raised, donors)
            assert shown["json"] == (raised, donors)
            assert shown["admin"][0] == raised
            payments = sum(len(gift.payments) for gift in scenario)
            assert Donation.objects.count() == payments
            ended = Donation.objects.filter(subscription__ended_at__isnull=False)
            assert ended.count() == sum(
                len(gift.payments) for gift in scenario if gift.cancelled
            )
            raise Rollback
    except Rollback:
        pass
