"""
Stripe objects and events as Stripe's current API sends them (2025-03-31 "basil" and
later): an invoice names its subscription under parent.subscription_details and its
payments in `payments` (invoice_payment objects, often left out of the event), a
charge no longer names its invoice, refunds and disputes name the charge and the
payment intent. Fields the ledger does not read are kept where Stripe sends them, so
the handlers meet what they will meet. Signed exactly as Stripe signs them.
"""

import hashlib
import hmac
import json
import time

API_VERSION = "2026-04-22.dahlia"
SECRET = "whsec_test_0123456789abcdef"
URL = "/donate/webhooks/stripe/"
MONTH = 30 * 86400


def signature(payload, secret=SECRET, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(kind, obj, event_id, created=None):
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }


def deliver(client, payload_event):
    payload = json.dumps(payload_event).encode()
    return client.post(
        URL,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload),
    )


def now():
    return int(time.time())


def checkout_session(
    session_id,
    amount,
    *,
    payment_intent=None,
    invoice=None,
    subscription=None,
    email="reader@example.org",
    name="Ana Reader",
    payment_status="paid",
    metadata=None,
):
    mode = "subscription" if subscription else "payment"
    return {
        "id": session_id,
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "client_reference_id": None,
        "created": now() - 120,
        "currency": "usd",
        "customer": "cus_" + session_id[-8:],
        "customer_details": {"email": email, "name": name, "address": None},
        "invoice": invoice,
        "livemode": False,
        "metadata": metadata or {},
        "mode": mode,
        "payment_intent": payment_intent,
        "payment_status": payment_status,
        "status": "complete",
        "subscription": subscription,
    }


def invoice(
    invoice_id,
    amount,
    subscription,
    *,
    first=False,
    interval_days=30,
    payment_intent=None,
    include_payments=False,
    email="monthly@example.org",
    name="Mo Nthly",
    paid_at=None,
    metadata=None,
):
    paid_at = paid_at or now() - 60
    payments = {"object": "list", "data": [], "has_more": False}
    if include_payments and payment_intent:
        payments["data"].append(
            invoice_payment(invoice_id, amount, payment_intent, expanded=True)
        )
    invoice_obj = {
        "id": invoice_id,
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount,
        "amount_remaining": 0,
        "attempt_count": 1,
        "billing_reason": "subscription_create" if first else "subscription_cycle",
        "collection_method": "charge_automatically",
        "created": paid_at - 5,
        "currency": "usd",
        "customer": "cus_monthly",
        "customer_email": email,
        "customer_name": name,
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": "il_" + invoice_id[3:],
                    "object": "line_item",
                    "amount": amount,
                    "currency": "usd",
                    "parent": {
                        "type": "subscription_item_details",
                        "subscription_item_details": {
                            "subscription": subscription,
                            "subscription_item": "si_" + subscription[4:],
                        },
                    },
                    "period": {
                        "start": paid_at,
                        "end": paid_at + interval_days * 86400,
                    },
                    "pricing": {
                        "type": "price_details",
                        "price_details": {
                            "price": "price_monthly",
                            "product": "prod_membership",
                        },
                        "unit_amount_decimal": str(amount),
                    },
                    "quantity": 1,
                }
            ],
            "has_more": False,
        },
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": metadata or {},
                "subscription": subscription,
            },
        },
        "payments": payments,
        "status": "paid",
        "status_transitions": {
            "finalized_at": paid_at - 5,
            "marked_uncollectible_at": None,
            "paid_at": paid_at,
            "voided_at": None,
        },
        "total": amount,
    }
    if not include_payments:
        # Stripe leaves the includable `payments` out of events unless asked.
        del invoice_obj["payments"]
    return invoice_obj


def invoice_payment(invoice_id, amount, payment_intent, *, expanded=False):
    intent = (
        {"id": payment_intent, "object": "payment_intent", "amount": amount}
        if expanded
        else payment_intent
    )
    return {
        "id": "inpay_" + invoice_id[3:],
        "object": "invoice_payment",
        "amount_paid": amount,
        "amount_requested": amount,
        "created": now() - 60,
        "currency": "usd",
        "invoice": invoice_id,
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": intent},
        "status": "paid",
        "status_transitions": {"canceled_at": None, "paid_at": now() - 60},
    }


def charge(charge_id, amount, payment_intent, amount_refunded=0):
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "billing_details": {"email": None, "name": None},
        "captured": True,
        "created": now() - 60,
        "currency": "usd",
        "disputed": False,
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
    }


def refund(refund_id, amount, charge_id, payment_intent, status="succeeded"):
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": "txn_" + refund_id[3:],
        "charge": charge_id,
        "created": now() - 30,
        "currency": "usd",
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "requested_by_customer",
        "status": status,
    }


def dispute(dispute_id, amount, charge_id, payment_intent, status="needs_response"):
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "charge": charge_id,
        "created": now() - 30,
        "currency": "usd",
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
    }


def subscription(subscription_id, *, reason="cancellation_requested", ended_at=None):
    ended_at = ended_at or now() - 10
    return {
        "id": subscription_id,
        "object": "subscription",
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": ended_at,
        "cancellation_details": {"comment": None, "feedback": None, "reason": reason},
        "created": ended_at - 90 * 86400,
        "currency": "usd",
        "customer": "cus_monthly",
        "ended_at": ended_at,
        "livemode": False,
        "metadata": {},
        "start_date": ended_at - 90 * 86400,
        "status": "canceled",
    }
