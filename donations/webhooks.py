"""
Stripe webhooks: signed, recorded once, applied in any order.

Signature: Stripe signs "<timestamp>.<raw body>" with HMAC-SHA256 and the endpoint's
secret and sends `Stripe-Signature: t=<timestamp>,v1=<hex>[,v1=<hex>...]`. We check it
ourselves (no SDK): any v1 matching any configured secret (two during a rotation),
and a timestamp no older than TOLERANCE, so a captured request cannot be replayed.

Idempotence: every event id is inserted once (INSERT ... ON CONFLICT DO NOTHING) in
the same transaction that applies it; a retry of an applied event changes nothing.

Order: Stripe does not promise any. A payment's events all find the same donation
through the ids the payment goes by (payment intent, invoice, charge), whichever
arrives first creates it, and a status only ever moves forward (pending, then paid or
failed, then refunded or disputed, then reinstated when a dispute closes in the
newsroom's favour), so a late "completed" never revives a refund and a late
"dispute created" never undoes a dispute won.
"""

import hashlib
import hmac
import json
import logging
import math
import re
import time

from django.db import DataError, connection, transaction
from django.utils.translation import gettext as _

from .models import Appeal, AppealVariant, Campaign, Donation, StripeEvent, aware

TOLERANCE = 300  # seconds, as Stripe's own libraries

Status = Donation.Status
RANK = {
    Status.PENDING: 0,
    Status.SUCCEEDED: 1,
    Status.FAILED: 1,
    Status.REFUNDED: 2,
    Status.DISPUTED: 2,
    Status.REINSTATED: 3,
}

# How Stripe closes a dispute (charge.dispute.closed), and what the gift becomes:
# lost, the money went back to the donor; won, the newsroom has it again. An
# inquiry ("warning_*") withdraws no money, so it changes nothing, opened or closed;
# nor does "prevented", a dispute headed off by a refund (charge.refunded tells).
# PENDING, the lowest rank, is how upsert() is told to change nothing.
DISPUTE_CLOSED = {
    "lost": Status.DISPUTED,
    "won": Status.REINSTATED,
    "warning_closed": Status.PENDING,
    "prevented": Status.PENDING,
}

# What donations:give adds to Stripe Payment Links: nr_c<campaign>_a<appeal>_v<variant>
CLIENT_REFERENCE = re.compile(r"^nr_c(\d{1,9})(?:_a(\d{1,9}))?(?:_v(\d{1,9}))?$")


logger = logging.getLogger(__name__)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class SignatureError(Exception):
    pass


class EventError(Exception):
    """An event that is signed but cannot be applied: its message says why."""


def verify_signature(payload, header, secrets, now=None, tolerance=TOLERANCE):
    """Raise SignatureError unless `header` signs `payload` with one of `secrets`."""
    timestamps, signatures = [], []
    for item in (header or "").split(","):
        key, _sep, value = item.strip().partition("=")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise SignatureError(_("The Stripe-Signature header has no timestamp."))
    if not signatures:
        raise SignatureError(_("The Stripe-Signature header has no v1 signature."))
    signed = timestamps[0].encode() + b"." + payload
    if not any(
        hmac.compare_digest(
            hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest(), signature
        )
        for secret in secrets
        for signature in signatures
    ):
        raise SignatureError(_("The signature does not match the endpoint's secret."))
    if int(timestamps[0]) < (now or time.time()) - tolerance:
        raise SignatureError(_("The signature is too old: a replay is refused."))


def storable(value):
    """Whether every string and number of a JSON value fits a PostgreSQL column:
    no NUL, no lone surrogate, integers within bigint, finite floats."""
    if isinstance(value, dict):
        return all(storable(k) and storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(item) for item in value)
    if isinstance(value, str):
        return "\x00" not in value and not LONE_SURROGATE.search(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return True


def parse_event(payload):
    try:
        event = json.loads(payload)
        if not storable(event):
            raise EventError(_("The body holds values no Stripe event has."))
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise EventError(_("The body is not JSON.")) from error
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and event["id"]
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise EventError(_("The body is not a Stripe event."))
    return event


def handle_event(event):
    """Apply an event once. Returns what happened, in a few words for the log."""
    try:
        with transaction.atomic():
            if not record_once(event):
                return "duplicate"
            handler = HANDLERS.get(event["type"])
            if handler is None:
                outcome, donation = "ignored", None
            else:
                outcome, donation = handler(event["data"]["object"])
            StripeEvent.objects.filter(event_id=event["id"]).update(
                outcome=outcome, donation=donation
            )
    except (TypeError, AttributeError, KeyError, IndexError, DataError) as error:
        # Signed, so from Stripe, but not of the shape its handler reads: refused
        # whole (rolled back) with a 400 that Stripe shows and retries, and logged
        # with its traceback, as a handler that needs to learn a new shape.
        logger.exception("Stripe event %s has an unexpected shape.", event["id"])
        raise EventError(_("The event is not of the shape its type has.")) from error
    return outcome


def record_once(event):
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StripeEvent._meta.db_table} "
            "(event_id, type, created, received_at, outcome) "
            "VALUES (%s, %s, %s, NOW(), '') "
            "ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [event["id"][:255], event["type"][:100], moment(event["created"])],
        )
        return cursor.fetchone() is not None


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
    return Donation.Frequency.MONTHLY


# Applying them -----------------------------------------------------------------


def upsert(references, status, create, update=None):
    """The donation a payment goes by any of `references`: created from `create`
    if it is new, else locked (so two events for one payment never race) and given
    `update`. Empty values never overwrite known ones; the status only moves on."""
    references = list(dict.fromkeys(r for r in references if r))
    if not references:
        raise EventError(_("The object names no payment."))
    donation = (
        Donation.objects.select_for_update()
        .known_by(Donation.Processor.STRIPE, references)
        .order_by("pk")
        .first()
    )
    if donation is None:
        donation, created = Donation.objects.get_or_create(
            processor=Donation.Processor.STRIPE,
            reference=references[0],
            defaults={
                "status": status,
                "source": Donation.Source.WEBHOOK,
                "aliases": references[1:],
                **create,
            },
        )
        if created:
            return donation
        donation = Donation.objects.select_for_update().get(pk=donation.pk)
    donation.aliases += [
        r for r in references if r != donation.reference and r not in donation.aliases
    ]
    for name, value in (update or {}).items():
        if value in (None, ""):
            continue
        if name in ("donor_name", "donor_email") and getattr(donation, name):
            continue
        if name == "amount_refunded":
            value = min(max(value, donation.amount_refunded), donation.amount)
        setattr(donation, name, value)
    if donation.campaign_id is None and create.get("campaign") is not None:
        # First known through an event that could not tell (a dispute).
        donation.campaign = create["campaign"]
    if RANK[status] > RANK[donation.status]:
        donation.status = status
    if donation.amount_refunded >= donation.amount and donation.status in (
        Status.SUCCEEDED,
        Status.PENDING,
        Status.REINSTATED,
    ):
        donation.status = Status.REFUNDED
    donation.save()
    return donation


def fallback_campaign(found, received_at, currency):
    """A gift that names no campaign counts towards the one running when it was
    made, in its currency."""
    if found["campaign"] is not None:
        return found["campaign"]
    return (
        Campaign.objects.running(received_at)
        .filter(currency=currency)
        .order_by("ends_at", "pk")
        .first()
    )


def checkout_session(failed=False):
    def handle(session):
        mode = session.get("mode")
        if mode not in ("payment", "subscription"):
            return f"ignored {mode} session", None
        amount = _amount(session, "amount_total")
        if session.get("payment_status") == "no_payment_required" or not amount:
            return "ignored session without payment", None
        if failed:
            status = Status.FAILED
        elif session.get("payment_status") == "paid":
            status = Status.SUCCEEDED
        else:
            status = Status.PENDING  # a bank debit or voucher that settles later
        currency = _currency(session)
        received_at = _created(session)
        found = attribution(_metadata(session), _str(session, "client_reference_id"))
        customer = session.get("customer_details")
        customer = customer if isinstance(customer, dict) else {}
        if mode == "subscription":
            # The subscription's first invoice is this payment: invoice.paid must
            # find the same donation, so the invoice id is its reference.
            references = [_str(session, "invoice"), _str(session, "id")]
            frequency = Donation.Frequency.MONTHLY
        else:
            references = [_str(session, "payment_intent"), _str(session, "id")]
            frequency = Donation.Frequency.ONCE
        person = {
            "donor_name": str(customer.get("name") or "")[:200],
            "donor_email": str(customer.get("email") or "")[:254],
        }
        donation = upsert(
            references,
            status,
            create={
                "amount": amount,
                "currency": currency,
                "received_at": received_at,
                "frequency": frequency,
                "campaign": fallback_campaign(found, received_at, currency),
                "appeal": found["appeal"],
                "variant": found["variant"],
                **person,
            },
            update={**found, **person},
        )
        return f"donation {donation.pk} {donation.status}", donation

    return handle


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
    details = invoice.get("subscription_details") or (
        (invoice.get("parent") or {}).get("subscription_details")
        if isinstance(invoice.get("parent"), dict)
        else None
    )
    metadata = details.get("metadata") if isinstance(details, dict) else None
    found = attribution(metadata if first and isinstance(metadata, dict) else {})
    person = {
        "donor_name": str(invoice.get("customer_name") or "")[:200],
        "donor_email": str(invoice.get("customer_email") or "")[:254],
    }
    donation = upsert(
        [_str(invoice, "id"), _str(invoice, "payment_intent"), _str(invoice, "charge")],
        Status.SUCCEEDED,
        create={
            "amount": amount,
            "currency": currency,
            "received_at": received_at,
            "frequency": frequency_of(invoice),
            "campaign": fallback_campaign(found, received_at, currency),
            "appeal": found["appeal"],
            "variant": found["variant"],
            **person,
        },
        update={"frequency": frequency_of(invoice), **found, **person},
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
    donation = upsert(
        [_str(charge, "payment_intent"), _str(charge, "invoice"), _str(charge, "id")],
        Status.REFUNDED if refunded >= amount else Status.SUCCEEDED,
        create={
            "amount": amount,
            "amount_refunded": refunded,
            "currency": currency,
            "received_at": received_at,
            "campaign": fallback_campaign(found, received_at, currency),
            "donor_name": str(billing.get("name") or "")[:200],
            "donor_email": str(billing.get("email") or "")[:254],
        },
        update={"amount_refunded": refunded},
    )
    return f"donation {donation.pk} refunded {refunded}", donation


def dispute_created(dispute):
    amount = _amount(dispute, "amount")
    if not amount:
        raise EventError(_("amount is missing."))
    inquiry = _str(dispute, "status").startswith("warning_")
    donation = upsert(
        [_str(dispute, "payment_intent"), _str(dispute, "charge")],
        Status.PENDING if inquiry else Status.DISPUTED,
        create={
            "amount": amount,
            "currency": _currency(dispute),
            "received_at": _created(dispute),
        },
    )
    return f"donation {donation.pk} {'inquiry' if inquiry else 'disputed'}", donation


def dispute_closed(dispute):
    closed = _str(dispute, "status")
    if closed not in DISPUTE_CLOSED:
        raise EventError(
            _("status %(status)r is not how a dispute closes.") % {"status": closed}
        )
    amount = _amount(dispute, "amount")
    if not amount:
        raise EventError(_("amount is missing."))
    donation = upsert(
        [_str(dispute, "payment_intent"), _str(dispute, "charge")],
        DISPUTE_CLOSED[closed],
        create={
            "amount": amount,
            "currency": _currency(dispute),
            "received_at": _created(dispute),
        },
    )
    return f"donation {donation.pk} dispute {closed}: {donation.status}", donation


HANDLERS = {
    "checkout.session.completed": checkout_session(),
    "checkout.session.async_payment_succeeded": checkout_session(),
    "checkout.session.async_payment_failed": checkout_session(failed=True),
    "invoice.paid": invoice_paid,
    "charge.refunded": charge_refunded,
    "charge.dispute.created": dispute_created,
    "charge.dispute.closed": dispute_closed,
}
