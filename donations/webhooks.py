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
arrives first creates it, and two donations an event shows to be one payment become
one. Each event adds facts (paid, a refund by id, a dispute by id...) that only move
forward, and the status and refunded amount follow from the facts alone
(donations.ledger): the same events in any order, repeated, give the same ledger, so a
late "completed" never revives a refund and a late "dispute created" never undoes a
dispute won.

Event shapes: Stripe's current API (2025-03-31 and later: an invoice's subscription
under parent.subscription_details, its payments in `payments` and in
invoice_payment.paid, no invoice on a charge) and the older one alike.

This module is the endpoint's side (signature, parsing, applying once); what each
event type does is in donations.stripe_events, one handler a type (HANDLERS).
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

from .models import StripeEvent
from .stripe_events import HANDLERS, EventError, moment

TOLERANCE = 300  # seconds, as Stripe's own libraries

logger = logging.getLogger(__name__)
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class SignatureError(Exception):
    pass


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
