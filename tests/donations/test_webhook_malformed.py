"""Signed but malformed Stripe events: whatever a field holds, the webhook answers
with a 4xx (Stripe shows it to the newsroom and retries) or applies the event,
never a 500, and a refused event leaves nothing half-stored."""

import copy
import json

import pytest
from django.test import Client

from donations.models import Donation, StripeEvent
from tests.donations.test_webhooks import (
    SECRET,
    URL,
    charge,
    deliver,
    dispute,
    invoice,
    session,
    signature,
    stripe_event,
)
from tests.factories import AppealFactory, CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRETS = [SECRET]


HOSTILE = [
    None,
    "",
    "\x00",
    "a\x00b",
    "\ud800",
    "x" * 5000,
    10**30,
    -(10**30),
    2**63,
    2**62,
    -1,
    0,
    1.5,
    float("inf"),
    True,
    [],
    {},
    ["evt_1"],
    {"id": "\x00"},
]


def examples():
    campaign = CampaignFactory(slug="spring")
    appeal = AppealFactory(campaign=campaign)
    variant = appeal.variants.first()
    metadata = {
        "newsroom_campaign": "spring",
        "newsroom_appeal": str(appeal.pk),
        "newsroom_variant": str(variant.pk),
    }
    return [
        stripe_event("checkout.session.completed", session(metadata=metadata)),
        stripe_event("checkout.session.async_payment_succeeded", session()),
        stripe_event("checkout.session.async_payment_failed", session()),
        stripe_event("invoice.paid", invoice()),
        stripe_event("charge.refunded", charge(500)),
        stripe_event("charge.dispute.created", dispute()),
        stripe_event("charge.dispute.closed", dispute(status="won")),
    ]


def paths(value, prefix=()):
    """The path to every field of a JSON document, nested ones included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index)
            yield from paths(item, (*prefix, index))


def replaced(event, path, value):
    event = copy.deepcopy(event)
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


def post_signed(client, payload):
    return client.post(
        URL,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature(payload),
    )


def test_every_field_of_every_event_may_hold_anything():
    client = Client(raise_request_exception=False)
    failures, sent = [], 0
    for number, good in enumerate(examples()):
        for path in list(paths(good)):
            for value in HOSTILE:
                event = replaced(good, path, value)
                if path != ("id",):
                    event["id"] = f"evt_fuzz_{number}_{sent}"
                sent += 1
                try:
                    payload = json.dumps(event).encode()
                except ValueError:
                    continue
                response = post_signed(client, payload)
                if response.status_code >= 500:
                    failures.append((event["type"], path, repr(value)[:40]))
    assert sorted(set(failures)) == []
    assert sent > 1000


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x00",
        b"\xff\xfe",
        b"[]",
        b"null",
        b'{"id": "evt_1"}',
        b'{"id":"evt_1","type":"invoice.paid","created":1e400,"data":{"object":{}}}',
        b'{"id":"evt_1","type":"invoice.paid","created":1,"data":{"object":{}}}' * 2,
        b"[" * 100_000,
    ],
)
def test_a_signed_body_that_is_not_an_event_is_refused(payload):
    response = post_signed(Client(raise_request_exception=False), payload)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    assert Donation.objects.count() == 0


def test_a_refused_event_leaves_nothing_half_stored(client):
    good = stripe_event("checkout.session.completed", session())
    bad = replaced(good, ("data", "object", "amount_total"), 10**30)

    response = deliver(client, bad)

    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0
    assert Donation.objects.count() == 0
