"""What each Stripe event does to the ledger: reading Stripe's objects (either API
shape), then one handler per event type (HANDLERS), each adding facts that only move
forward (donations.ledger). donations.webhooks checks the signature and applies an
event once, through this table."""

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import ledger
from .models import (
    Appeal,
    AppealVariant,
    Campaign,
    Donation,
    StripeEvent,
    Subscription,
    aware,
)

# What donations:give adds to Stripe Payment Links: nr_c<campaign>_a<appeal>_v<variant>
CLIENT_REFERENCE = re.compile(r"^nr_c(\d{1,9})(?:_a(\d{1,9}))?(?:_v(\d{1,9}))?$")


class EventError(Exception):
    """An event that is signed but cannot be applied: its message says why."""


# Reading Stripe objects --------------------------------------------------------


def _str(obj, key):
    value = obj.get(key)
    if isinstance(value, dict):  # an expanded object
        value = value.get("id")
    return value if isinstance(value, str) else ""


def _amount(obj, key):
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EventError(_("%(key)s is not an amount in minor units.") % {"key": key})
    return value


def _currency(obj):
    currency = _str(obj, "currency").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise EventError(_("currency is missing."))
    return currency


def moment(timestamp):
    """A Unix timestamp of the event as an aware datetime, if a calendar holds it."""
    try:
        return aware(timestamp)
    except (OverflowError, ValueError, OSError) as error:
        raise EventError(_("A time in the event is out of range.")) from error


def _created(obj):
    created = obj.get("created")
    if not isinstance(created, int):
        raise EventError(_("created is missing."))
    return moment(created)


def _metadata(obj):
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def attribution(metadata, client_reference=""):
    """The campaign, appeal and variant a gift came from: metadata set by a server
    integration, or the client_reference_id our redirect gives Payment Links."""

    def number(value):
        value = str(value or "")
        return int(value) if value.isdigit() and len(value) < 10 else None

    campaign = appeal_id = variant_id = None
    match = CLIENT_REFERENCE.match(client_reference or "")
    if match:
        campaign = Campaign.objects.filter(pk=int(match[1])).first()
        appeal_id, variant_id = number(match[2]), number(match[3])
    slug = metadata.get("newsroom_campaign") or metadata.get("campaign")
    if campaign is None and isinstance(slug, str):
        campaign = Campaign.objects.filter(slug=slug).first()
    appeal_id = (
        number(metadata.get("newsroom_appeal") or metadata.get("appeal")) or appeal_id
    )
    variant_id = (
        number(metadata.get("newsroom_variant") or metadata.get("variant"))
        or variant_id
    )
    variant = (
        AppealVariant.objects.select_related("appeal__campaign")
        .filter(pk=variant_id)
        .first()
        if variant_id
        else None
    )
    if variant and appeal_id and variant.appeal_id != appeal_id:
        variant = None
    appeal = variant.appeal if variant else None
    if appeal is None and appeal_id:
        appeal = Appeal.objects.select_related("campaign").filter(pk=appeal_id).first()
    if campaign is None and appeal is not None:
        campaign = appeal.campaign
    return {"campaign": campaign, "appeal": appeal, "variant": variant}


def frequency_of(invoice):
    lines = invoice.get("lines")
    for line in (lines or {}).get("data", []) if isinstance(lines, dict) else []:
        if not isinstance(line, dict):
            continue
        for holder in (line.get("price"), line.get("plan")):
            recurring = holder.get("recurring") if isinstance(holder, dict) else None
            interval = (recurring or holder or {}).get("interval")
            if interval == "year":
                return Donation.Frequency.YEARLY
            if interval == "month":
                return Donation.Frequency.MONTHLY
        # The current API names only the price's id on a line: its period tells.
        period = line.get("period")
        if isinstance(period, dict):
            start, end = period.get("start"), period.get("end")
            if isinstance(start, int) and isinstance(end, int) and start < end:
                if end - start > 200 * 86400:
                    return Donation.Frequency.YEARLY
                return Donation.Frequency.MONTHLY
    return Donation.Frequency.MONTHLY


# Applying them -----------------------------------------------------------------


def record(references, learn, create, update=None, subscription=None):
    """The donation a payment goes by any of `references`, told the facts `learn`
    adds (donations.ledger), created from `create` if it is new. Donations found
    to be one payment (a refund that came before the event linking its payment
    intent to its invoice) become one. Empty values never overwrite known ones."""
    references = list(dict.fromkeys(r for r in references if r))
    if not references:
        raise EventError(_("The object names no payment."))
    found = list(
        Donation.objects.select_for_update()
        .known_by(Donation.Processor.STRIPE, references)
        .order_by("pk")
    )
    if not found:
        facts = {}
        learn(facts)
        donation = Donation(
            processor=Donation.Processor.STRIPE,
            reference=references[0],
            source=Donation.Source.WEBHOOK,
            aliases=references[1:],
            subscription=subscription,
            **create,
        )
        ledger.settle(donation, facts)
        try:
            with transaction.atomic():
                donation.save()
            return donation
        except IntegrityError:
            # Another delivery for the same payment created it a moment ago.
            found = list(
                Donation.objects.select_for_update().filter(
                    processor=Donation.Processor.STRIPE, reference=references[0]
                )
            )
    # The one to keep goes by the id the event names first (an invoice's own id
    # before its payment intent's), else it is the oldest.
    rank = {reference: i for i, reference in enumerate(references)}
    found.sort(key=lambda d: (rank.get(d.reference, len(rank)), d.pk))
    donation, *others = found
    facts = ledger.facts_of(donation)
    for other in others:
        facts = ledger.merge(facts, ledger.facts_of(other))
        donation.aliases += [other.reference, *other.aliases]
        for name in ("campaign", "appeal", "variant", "subscription"):
            if getattr(donation, f"{name}_id") is None:
                setattr(donation, f"{name}_id", getattr(other, f"{name}_id"))
        for name in Donation.PERSONAL_FIELDS:
            if not getattr(donation, name):
                setattr(donation, name, getattr(other, name))
        StripeEvent.objects.filter(donation=other).update(donation=donation)
        other.delete()
    placeholder = not facts.get("amount")
    learn(facts)
    donation.aliases = list(
        dict.fromkeys(
            r for r in [*donation.aliases, *references] if r != donation.reference
        )
    )
    changes = dict(update or {})
    if placeholder and facts.get("amount"):
        # First known through a refund or a dispute: now the payment itself.
        changes.update(
            {k: create[k] for k in ("received_at", "frequency") if k in create}
        )
    for name, value in changes.items():
        if value in (None, ""):
            continue
        if name in Donation.PERSONAL_FIELDS and getattr(donation, name):
            continue
        setattr(donation, name, value)
    if donation.campaign_id is None and create.get("campaign") is not None:
        donation.campaign = create["campaign"]
    if subscription is not None and donation.subscription_id is None:
        donation.subscription = subscription
    ledger.settle(donation, facts)
    donation.save()
    return donation


def learning(*steps):
    """Facts to add, as (function, arguments) pairs, for record()."""

    def learn(facts):
        for function, *arguments in steps:
            function(facts, *arguments)

    return learn


def fallback_campaign(found, received_at, currency):
    """A gift that names no campaign counts towards the one running when it was
    made, in its currency."""
    if found["campaign"] is not None:
        return found["campaign"]
    return Campaign.objects.for_gift(received_at, currency)


def record_about_payment(obj, step):
    """A refund or a dispute: one more fact about the payment it names, which is
    recorded as paid (in the object's currency, at its time) if not yet known."""
    currency = _currency(obj)
    received_at = _created(obj)
    return record(
        [_str(obj, "payment_intent"), _str(obj, "charge")],
        learning((ledger.add_payment, "succeeded"), step),
        create={
            "currency": currency,
            "received_at": received_at,
            "campaign": Campaign.objects.for_gift(received_at, currency),
        },
    )


def subscription_named(reference):
    if not reference:
        return None
    return Subscription.objects.get_or_create(
        processor=Donation.Processor.STRIPE, reference=reference[:255]
    )[0]


def checkout_session(failed=False):
    def handle(session):
        mode = session.get("mode")
        if mode not in ("payment", "subscription"):
            return f"ignored {mode} session", None
        amount = _amount(session, "amount_total")
        if session.get("payment_status") == "no_payment_required" or not amount:
            return "ignored session without payment", None
        if failed:
            payment = "failed"
        elif session.get("payment_status") == "paid":
            payment = "succeeded"
        else:
            payment = "pending"  # a bank debit or voucher that settles later
        currency = _currency(session)
        received_at = _created(session)
        found = attribution(_metadata(session), _str(session, "client_reference_id"))
        customer = session.get("customer_details")
        customer = customer if isinstance(customer, dict) else {}
        subscription = None
        if mode == "subscription":
            # The subscription's first invoice is this payment: invoice.paid must
            # find the same donation, so the invoice id is its reference.
            references = [_str(session, "invoice"), _str(session, "id")]
            frequency = Donation.Frequency.MONTHLY
            subscription = subscription_named(_str(session, "subscription"))
        else:
            references = [_str(session, "payment_intent"), _str(session, "id")]
            frequency = Donation.Frequency.ONCE
        person = {
            "donor_name": str(customer.get("name") or "")[:200],
            "donor_email": str(customer.get("email") or "")[:254],
        }
        donation = record(
            references,
            learning(
                (ledger.add_payment, payment),
                (ledger.add_amount, amount),
            ),
            create={
                "currency": currency,
                "received_at": received_at,
                "frequency": frequency,
                "campaign": fallback_campaign(found, received_at, currency),
                "appeal": found["appeal"],
                "variant": found["variant"],
                **person,
            },
            update={**found, **person},
            subscription=subscription,
        )
        return f"donation {donation.pk} {donation.status}", donation

    return handle


def invoice_subscription(invoice):
    """The subscription an invoice bills: parent.subscription_details in Stripe's
    current API, a top-level `subscription` before 2025-03-31."""
    parent = invoice.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    if not isinstance(details, dict):
        details = invoice.get("subscription_details")
    details = details if isinstance(details, dict) else {}
    return _str(details, "subscription") or _str(invoice, "subscription"), details


def invoice_payments(invoice):
    """The payment intents and charges that paid an invoice: its `payments` list in
    the current API (when the event includes it), `payment_intent`/`charge` before."""
    found = [_str(invoice, "payment_intent"), _str(invoice, "charge")]
    payments = invoice.get("payments")
    data = payments.get("data") if isinstance(payments, dict) else None
    for item in data if isinstance(data, list) else []:
        payment = item.get("payment") if isinstance(item, dict) else None
        if isinstance(payment, dict) and item.get("status", "paid") == "paid":
            found += [_str(payment, "payment_intent"), _str(payment, "charge")]
    return found


def invoice_paid(invoice):
    amount = _amount(invoice, "amount_paid")
    if amount == 0:
        return "ignored invoice of zero", None
    currency = _currency(invoice)
    transitions = invoice.get("status_transitions")
    paid_at = transitions.get("paid_at") if isinstance(transitions, dict) else None
    received_at = moment(paid_at) if isinstance(paid_at, int) else _created(invoice)
    # Only the first payment of a subscription is credited to the appeal that led
    # to it; renewals count towards whichever campaign is running.
    first = invoice.get("billing_reason") == "subscription_create"
    subscription_id, details = invoice_subscription(invoice)
    metadata = details.get("metadata")
    found = attribution(metadata if first and isinstance(metadata, dict) else {})
    person = {
        "donor_name": str(invoice.get("customer_name") or "")[:200],
        "donor_email": str(invoice.get("customer_email") or "")[:254],
    }
    donation = record(
        [_str(invoice, "id"), *invoice_payments(invoice)],
        learning((ledger.add_payment, "succeeded"), (ledger.add_amount, amount)),
        create={
            "currency": currency,
            "received_at": received_at,
            "frequency": frequency_of(invoice),
            "campaign": fallback_campaign(found, received_at, currency),
            "appeal": found["appeal"],
            "variant": found["variant"],
            **person,
        },
        update={"frequency": frequency_of(invoice), **found, **person},
        subscription=subscription_named(subscription_id),
    )
    return f"donation {donation.pk} {donation.status}", donation


def invoice_payment_paid(payment):
    """invoice_payment.paid: which payment intent (and charge) paid which invoice,
    the link a renewal's refund or dispute is found by."""
    if _str(payment, "status") != "paid":
        return f"ignored {_str(payment, 'status')} invoice payment", None
    amount = _amount(payment, "amount_paid")
    currency = _currency(payment)
    received_at = _created(payment)
    paid = payment.get("payment")
    paid = paid if isinstance(paid, dict) else {}
    donation = record(
        [
            _str(payment, "invoice"),
            _str(paid, "payment_intent"),
            _str(paid, "charge"),
        ],
        learning((ledger.add_payment, "succeeded"), (ledger.add_amount, amount)),
        create={
            "currency": currency,
            "received_at": received_at,
            "frequency": Donation.Frequency.MONTHLY,
            "campaign": fallback_campaign({"campaign": None}, received_at, currency),
        },
    )
    return f"donation {donation.pk} {donation.status}", donation


def charge_refunded(charge):
    amount = _amount(charge, "amount")
    refunded = min(_amount(charge, "amount_refunded"), amount)
    currency = _currency(charge)
    received_at = _created(charge)
    billing = charge.get("billing_details")
    billing = billing if isinstance(billing, dict) else {}
    found = attribution(_metadata(charge))
    steps = [
        (ledger.add_payment, "succeeded"),
        (ledger.add_amount, amount),
        (ledger.add_charge_refunded, refunded),
    ]
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, dict) else None
    for refund in data if isinstance(data, list) else []:
        if isinstance(refund, dict) and _str(refund, "id"):
            steps.append(
                (
                    ledger.add_refund,
                    _str(refund, "id"),
                    _amount(refund, "amount"),
                    _str(refund, "status"),
                )
            )
    donation = record(
        [_str(charge, "payment_intent"), _str(charge, "invoice"), _str(charge, "id")],
        learning(*steps),
        create={
            "currency": currency,
            "received_at": received_at,
            "campaign": fallback_campaign(found, received_at, currency),
            "donor_name": str(billing.get("name") or "")[:200],
            "donor_email": str(billing.get("email") or "")[:254],
        },
    )
    return f"donation {donation.pk} refunded {donation.amount_refunded}", donation


def refund_event(refund):
    """refund.created, refund.updated, refund.failed (charge.refund.updated before
    2024): one refund, by its id, with its status."""
    refund_id = _str(refund, "id")
    if not refund_id:
        raise EventError(_("The refund has no id."))
    amount = _amount(refund, "amount")
    status = _str(refund, "status")
    if status not in ledger.REFUND_ACTIVE | ledger.REFUND_ENDED:
        raise EventError(_("status %(status)r is not a refund's.") % {"status": status})
    donation = record_about_payment(
        refund, (ledger.add_refund, refund_id, amount, status)
    )
    return (
        f"donation {donation.pk} refund {refund_id} {status}: "
        f"refunded {donation.amount_refunded}"
    ), donation


def dispute_event(closing=False):
    def handle(dispute):
        state = _str(dispute, "status")
        fact = ledger.DISPUTE_FACT.get(state)
        if fact is None or (closing and ledger.DISPUTE_RANK[fact] < 2):
            raise EventError(
                _("status %(status)r is not how a dispute closes.") % {"status": state}
                if closing
                else _("status %(status)r is not a dispute's.") % {"status": state}
            )
        amount = _amount(dispute, "amount")
        if not amount:
            raise EventError(_("amount is missing."))
        dispute_id = _str(dispute, "id") or _str(dispute, "charge")
        donation = record_about_payment(dispute, (ledger.add_dispute, dispute_id, fact))
        if closing:
            outcome = f"dispute {state}: {donation.status}"
        else:
            outcome = "inquiry" if fact == "inquiry" else "disputed"
        return f"donation {donation.pk} {outcome}", donation

    return handle


def subscription_deleted(subscription):
    """customer.subscription.deleted: the recurring gift has ended (cancelled by the
    donor or the newsroom, or after failed payments). Its payments keep counting."""
    reference = _str(subscription, "id")
    if not reference:
        raise EventError(_("The subscription has no id."))
    record_ = subscription_named(reference)
    ended = subscription.get("ended_at") or subscription.get("canceled_at")
    ended = ended if isinstance(ended, int) else subscription.get("created")
    if not isinstance(ended, int):
        raise EventError(_("ended_at is missing."))
    started = subscription.get("start_date")
    details = subscription.get("cancellation_details")
    reason = _str(details, "reason") if isinstance(details, dict) else ""
    record_.ended_at = moment(ended)
    record_.end_reason = reason[:200]
    if isinstance(started, int) and record_.started_at is None:
        record_.started_at = moment(started)
    record_.save()
    latest = record_.donations.order_by("-received_at", "-pk").first()
    return f"subscription {reference} ended ({reason or 'no reason'})", latest


def subscription_updated(subscription):
    """customer.subscription.updated: only a subscription that has ended by it
    (canceled, or never paid for) matters to the ledger; a cancellation at the
    period's end ends it only when Stripe then sends .deleted."""
    if _str(subscription, "status") not in ("canceled", "incomplete_expired"):
        return f"ignored {_str(subscription, 'status') or 'unknown'} subscription", None
    return subscription_deleted(subscription)


HANDLERS = {
    "checkout.session.completed": checkout_session(),
    "checkout.session.async_payment_succeeded": checkout_session(),
    "checkout.session.async_payment_failed": checkout_session(failed=True),
    "invoice.paid": invoice_paid,
    "invoice_payment.paid": invoice_payment_paid,
    "charge.refunded": charge_refunded,
    "refund.created": refund_event,
    "refund.updated": refund_event,
    "refund.failed": refund_event,
    "charge.refund.updated": refund_event,
    "charge.dispute.created": dispute_event(),
    "charge.dispute.updated": dispute_event(),
    "charge.dispute.closed": dispute_event(closing=True),
    "customer.subscription.updated": subscription_updated,
    "customer.subscription.deleted": subscription_deleted,
}
