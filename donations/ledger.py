"""
What a payment's processor told us, and what follows from it.

A processor's events arrive in any order, more than once, and each tells one fact about
a payment: it was paid (or is pending, or failed), how much it was, a refund of it
(with its id and status), the total a charge had refunded when it was sent, a dispute
(with its id and status). A donation keeps these facts in `processor_facts`, each one
merged so that it only ever moves forward, and its status and refunded amount are
derived from them alone. So the same set of events, in any order and repeated, always
gives the same donation: that is what keeps the totals true.

Facts (all optional):

    payment          "pending" | "succeeded" | "failed"
    amount           the gift in minor units, from an event that knows it
    refunds          {refund id: {"amount": n, "status": "pending" | "succeeded" |
                      "requires_action" | "failed" | "canceled"}}
    charge_refunded  the most any charge snapshot said was refunded in all
    disputes         {dispute id: "inquiry" | "open" | "won" | "lost" | "closed"}
"""

from .models import Donation

Status = Donation.Status

PAYMENT_RANK = {"pending": 0, "succeeded": 1, "failed": 1}
# A refund may fail even after it succeeded (the donor's bank sends it back).
REFUND_RANK = {"pending": 0, "requires_action": 0, "succeeded": 1}
REFUND_ENDED = {"failed", "canceled"}  # rank 2: the money stayed with the newsroom
REFUND_ACTIVE = {"pending", "requires_action", "succeeded"}
# Stripe's dispute statuses, as facts: an inquiry withdraws no money; a closed
# inquiry, or a dispute headed off by a refund ("prevented"), changes nothing.
DISPUTE_FACT = {
    "warning_needs_response": "inquiry",
    "warning_under_review": "inquiry",
    "warning_closed": "closed",
    "prevented": "closed",
    "needs_response": "open",
    "under_review": "open",
    "won": "won",
    "lost": "lost",
}
DISPUTE_RANK = {"inquiry": 0, "open": 1, "won": 2, "lost": 2, "closed": 2}
# A donation recorded as disputed by hand or by a CSV, before any dispute id is known.
RECORDED_DISPUTE = "recorded"


def refund_rank(status):
    return 2 if status in REFUND_ENDED else REFUND_RANK.get(status, 0)


def baseline(donation):
    """The facts of a donation no event has touched yet (entered by hand, imported,
    or corrected by hand since): what its own fields say."""
    facts = {
        "payment": {Status.PENDING: "pending", Status.FAILED: "failed"}.get(
            donation.status, "succeeded"
        ),
        "amount": donation.amount,
        "charge_refunded": donation.amount_refunded,
    }
    if donation.status == Status.DISPUTED:
        facts["disputes"] = {RECORDED_DISPUTE: "open"}
    elif donation.status == Status.REINSTATED:
        facts["disputes"] = {RECORDED_DISPUTE: "won"}
    return facts


def facts_of(donation):
    return (
        dict(donation.processor_facts)
        if donation.processor_facts
        else baseline(donation)
    )


def add_payment(facts, state):
    known = facts.get("payment")
    if known is None or PAYMENT_RANK[state] > PAYMENT_RANK[known]:
        facts["payment"] = state


def add_amount(facts, amount):
    if amount:
        facts["amount"] = amount


def add_refund(facts, refund_id, amount, status):
    refunds = dict(facts.get("refunds") or {})
    known = refunds.get(refund_id)
    if known is None or refund_rank(status) > refund_rank(known["status"]):
        refunds[refund_id] = {"amount": amount, "status": status}
    facts["refunds"] = refunds


def add_charge_refunded(facts, amount_refunded):
    facts["charge_refunded"] = max(facts.get("charge_refunded", 0), amount_refunded)


def add_dispute(facts, dispute_id, fact):
    disputes = dict(facts.get("disputes") or {})
    known = disputes.get(dispute_id)
    if known is None or DISPUTE_RANK[fact] > DISPUTE_RANK[known]:
        disputes[dispute_id] = fact
    facts["disputes"] = disputes


def merge(facts, other):
    """Two donations found to be the same payment: every fact of both."""
    merged = dict(facts)
    if other.get("payment"):
        add_payment(merged, other["payment"])
    if other.get("amount") and not merged.get("amount"):
        merged["amount"] = other["amount"]
    for refund_id, refund in (other.get("refunds") or {}).items():
        add_refund(merged, refund_id, refund["amount"], refund["status"])
    add_charge_refunded(merged, other.get("charge_refunded", 0))
    for dispute_id, fact in (other.get("disputes") or {}).items():
        add_dispute(merged, dispute_id, fact)
    return merged


def refunded(facts, amount):
    """Refunds known by id that stand, plus what a charge said was refunded beyond
    every refund we know of (a refund whose own event has not come, or never will)."""
    refunds = (facts.get("refunds") or {}).values()
    active = sum(r["amount"] for r in refunds if r["status"] in REFUND_ACTIVE)
    known = sum(r["amount"] for r in refunds)
    unknown = max(0, facts.get("charge_refunded", 0) - known)
    return min(amount, active + unknown)


def placeholder_amount(facts):
    """Before the event that says how much was given: at least what was refunded."""
    refunds = sum(r["amount"] for r in (facts.get("refunds") or {}).values())
    return max(refunds, facts.get("charge_refunded", 0), 1)


def status(facts, amount, amount_refunded):
    payment = facts.get("payment", "succeeded")
    if payment == "pending":
        return Status.PENDING
    if payment == "failed":
        return Status.FAILED
    disputes = dict(facts.get("disputes") or {})
    if len(disputes) > 1:
        disputes.pop(RECORDED_DISPUTE, None)  # a real dispute tells better
    states = set(disputes.values())
    if states & {"open", "lost"}:
        return Status.DISPUTED
    if amount_refunded >= amount:
        return Status.REFUNDED
    if "won" in states:
        return Status.REINSTATED
    return Status.SUCCEEDED


def settle(donation, facts):
    """Give a donation its facts, and the amount, refund and status they mean."""
    donation.processor_facts = facts
    donation.amount = facts.get("amount") or max(
        donation.amount or 0, placeholder_amount(facts)
    )
    donation.amount_refunded = refunded(facts, donation.amount)
    donation.status = status(facts, donation.amount, donation.amount_refunded)
