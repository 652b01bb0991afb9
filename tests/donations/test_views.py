import json
import re
import threading
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from donations import views
from donations.models import (
    AppealDailyCount,
    AppealVariant,
    Campaign,
    Donation,
    StripeEvent,
)
from tests.factories import (
    AppealFactory,
    ArticleFactory,
    CampaignFactory,
    DonationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

EVENT_URL = "/donate/events/"
CHECKED_AMOUNT = re.compile(
    r'<input type="radio" name="amount" value="(\w+)"[^>]*checked'
)
CHECKED_FREQUENCY = re.compile(
    r'<input type="radio" name="frequency" value="(\w+)"[^>]*checked'
)


def send(client, body, **extra):
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    return client.post(
        EVENT_URL, body, content_type="text/plain;charset=UTF-8", **extra
    )


def donation_queries(captured):
    """The first donations table each donations query reads, in order."""
    return [
        re.search(r'FROM "(donations_\w+)"', query["sql"])[1]
        for query in captured.captured_queries
        if "donations_" in query["sql"]
    ]


def event(variant, kind="impression"):
    return {"event": kind, "appeal": variant.appeal_id, "variant": variant.pk}


# The beacon endpoint ----------------------------------------------------------------


def test_the_beacon_url_is_the_one_pages_use():
    assert reverse("donations:event") == EVENT_URL


def test_events_increment_the_variants_daily_counters(client):
    variant = AppealFactory().variants.get()
    for kind in ("impression", "impression", "click", "dismiss"):
        assert send(client, event(variant, kind)).status_code == 204
    row = AppealDailyCount.objects.get(variant=variant)
    assert row.day == timezone.localdate()
    assert (row.impressions, row.clicks, row.dismissals) == (2, 1, 1)


def test_events_set_no_cookie_and_store_nothing_about_the_reader(client):
    variant = AppealFactory().variants.get()
    response = send(
        client,
        event(variant),
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="Mozilla/5.0 (Secret Reader Browser)",
    )
    assert response.status_code == 204
    assert "Set-Cookie" not in response
    assert response.cookies == {}
    assert (
        "no-store" in response["Cache-Control"]
        or "max-age=0" in response["Cache-Control"]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_name LIKE 'donations_%%'"
        )
        tables = [row[0] for row in cursor.fetchall()]
        dump = ""
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            dump += repr(cursor.fetchall())
    assert "203.0.113" not in dump
    assert "Secret Reader" not in dump
    columns = {f.name for f in AppealDailyCount._meta.get_fields()}
    assert columns == {"id", "variant", "day", "impressions", "clicks", "dismissals"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b"", 400, id="empty"),
        pytest.param(b"not json", 400, id="not-json"),
        pytest.param(b"\xff\xfe\x00", 400, id="not-utf8"),
        pytest.param(b"[1, 2, 3]", 400, id="a-list"),
        pytest.param(b'"impression"', 400, id="a-string"),
        pytest.param({"event": "impression", "appeal": 1}, 400, id="missing-key"),
        pytest.param(
            {"event": "impression", "appeal": 1, "variant": 1, "ip": "x"},
            400,
            id="extra-key",
        ),
        pytest.param(
            {"event": "purchase", "appeal": "A", "variant": "V"},
            400,
            id="unknown-event",
        ),
        pytest.param(
            {"event": "click", "appeal": "1", "variant": "1"}, 400, id="string-ids"
        ),
        pytest.param(
            {"event": "click", "appeal": -1, "variant": 1}, 400, id="negative"
        ),
        pytest.param({"event": "click", "appeal": 1.5, "variant": 1}, 400, id="float"),
        pytest.param({"event": "click", "appeal": True, "variant": 1}, 400, id="bool"),
        pytest.param({"event": "click", "appeal": 2**70, "variant": 1}, 400, id="huge"),
        pytest.param(
            {"event": ["click"], "appeal": 1, "variant": 1}, 400, id="list-event"
        ),
    ],
)
def test_junk_events_are_refused_with_a_message(client, body, status):
    response = send(client, body)
    assert response.status_code == status
    assert response.json()["error"]
    assert AppealDailyCount.objects.count() == 0


def test_an_unknown_appeal_or_a_mismatched_variant_is_a_404(client):
    variant = AppealFactory().variants.get()
    other = AppealFactory().variants.get()
    unknown = {"event": "click", "appeal": 999999, "variant": 999999}
    assert send(client, unknown).status_code == 404
    mismatched = {"event": "click", "appeal": other.appeal_id, "variant": variant.pk}
    response = send(client, mismatched)
    assert response.status_code == 404
    assert response.json()["error"]
    assert AppealDailyCount.objects.count() == 0


def test_an_oversized_event_is_refused(client):
    variant = AppealFactory().variants.get()
    body = json.dumps({**event(variant), "padding": "x" * 2000})
    response = send(client, body)
    assert response.status_code == 413
    assert AppealDailyCount.objects.count() == 0


def test_events_must_be_posted(client):
    assert client.get(EVENT_URL).status_code == 405


def test_a_counted_event_costs_two_queries(client, django_assert_num_queries):
    variant = AppealFactory().variants.get()
    with django_assert_num_queries(2):
        assert send(client, event(variant)).status_code == 204


def test_signed_in_staff_are_not_counted(client):
    variant = AppealFactory().variants.get()
    client.force_login(UserFactory(role="Fundraising"))
    for kind in ("impression", "click", "dismiss"):
        response = send(client, event(variant, kind))
        assert response.status_code == 202
        assert response.json() == {"counted": False}
    assert not AppealDailyCount.objects.exists()


def test_a_signed_in_non_staff_account_is_counted_like_a_reader(client):
    variant = AppealFactory().variants.get()
    client.force_login(UserFactory(is_staff=False))
    assert send(client, event(variant)).status_code == 204
    assert AppealDailyCount.objects.get().impressions == 1


@pytest.mark.parametrize(
    "referer",
    [
        "http://testserver/preview/eyJhcnRpY2xlIjoxfQ:1abc:xyz/",
        "http://testserver/admin/donations/appeal/1/preview/?placement=top",
    ],
)
def test_beacons_from_preview_pages_are_not_counted(client, referer):
    variant = AppealFactory().variants.get()
    response = send(client, event(variant), HTTP_REFERER=referer)
    assert response.status_code == 202
    assert not AppealDailyCount.objects.exists()
    # The same beacon from a reader's page counts.
    assert (
        send(client, event(variant), HTTP_REFERER="http://testserver/").status_code
        == 204
    )


def test_one_client_is_rate_limited_and_others_are_not(client, monkeypatch):
    monkeypatch.setattr(views, "RATE_LIMIT", 5)
    variant = AppealFactory().variants.get()
    statuses = [
        send(client, event(variant), REMOTE_ADDR="192.0.2.1").status_code
        for _ in range(7)
    ]
    assert statuses == [204] * 5 + [429] * 2
    assert send(client, event(variant), REMOTE_ADDR="192.0.2.2").status_code == 204
    assert AppealDailyCount.objects.get().impressions == 6


def test_the_rate_limit_key_is_a_daily_rotated_hmac_never_the_address(
    rf, settings, monkeypatch
):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.post(EVENT_URL, REMOTE_ADDR="192.0.2.44")
    today = views.client_key(request)
    assert "192.0.2.44" not in today
    assert len(today) == 32
    assert views.client_key(request) == today
    assert views.client_key(rf.post(EVENT_URL, REMOTE_ADDR="192.0.2.45")) != today
    tomorrow = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(views.timezone, "now", lambda: tomorrow)
    assert views.client_key(request) != today


def test_an_ipv6_client_is_its_64_block_so_it_cannot_dodge_the_limit(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    def key(address):
        return views.client_key(rf.post(EVENT_URL, REMOTE_ADDR=address))

    household = key("2001:db8:1:2::1")
    assert key("2001:db8:1:2:ffff:ffff:ffff:fffe") == household
    assert key("2001:db8:1:3::1") != household
    # IPv4 mapped into IPv6 is the IPv4 address; each IPv4 address is its own.
    assert key("::ffff:192.0.2.1") == key("192.0.2.1")
    assert key("192.0.2.1") != key("192.0.2.2")
    assert views.client_network("not an address") == "not an address"


def test_the_limit_is_generous_enough_for_an_office_and_can_be_set():
    assert views.RATE_LIMIT == 3000
    assert views.RATE_WINDOW == 600


def test_behind_the_proxy_the_client_is_the_address_the_proxy_saw(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # A client may send any X-Forwarded-For; nginx appends the address it saw.
    spoofed = rf.post(
        EVENT_URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 192.0.2.7"
    )
    honest = rf.post(
        EVENT_URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.7"
    )
    other = rf.post(EVENT_URL, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.8")
    assert views.client_key(spoofed) == views.client_key(honest)
    assert views.client_key(other) != views.client_key(honest)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_beacons_are_all_counted(live_server):
    """Many events at once for the same counter row: every one is counted. (Eight
    clients at a time: the test server's listen queue is short.)"""
    variant = AppealFactory().variants.get()
    body = json.dumps(event(variant)).encode()
    clients, each = 8, 6
    barrier = threading.Barrier(clients)
    statuses = []

    def beacons():
        barrier.wait()
        try:
            for _ in range(each):
                request = urllib.request.Request(
                    live_server.url + EVENT_URL,
                    data=body,
                    headers={"Content-Type": "text/plain;charset=UTF-8"},
                )
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        statuses.append(response.status)
                except urllib.error.HTTPError as error:
                    statuses.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=beacons) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [204] * clients * each
    assert AppealDailyCount.objects.get(variant=variant).impressions == clients * each


# The donate page --------------------------------------------------------------------


def test_the_donate_page_shows_progress_and_the_choices(
    client,
):
    campaign = CampaignFactory(name="Spring drive", goal=10_000_00)
    DonationFactory.create_batch(3, campaign=campaign, amount=100_00)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("donations:donate"))
    # The page's own queries: the running campaign and its totals. (The rest are
    # the site's header and footer, whoever changes them.)
    assert donation_queries(few) == ["donations_campaign", "donations_donation"]
    DonationFactory.create_batch(30, campaign=CampaignFactory(), amount=5_00)
    DonationFactory.create_batch(30, campaign=campaign, amount=5_00)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("donations:donate"))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Spring drive" in page
    assert "$300" in page
    assert "3 donors" in page
    assert 'name="frequency" value="monthly"' in page
    assert 'value="25"' in page
    assert "Other amount" in page
    assert "To be on track we should have raised" in page
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")


def test_the_donate_page_has_no_appeals(client):
    """The appeal block is emptied where readers give: no banner begs twice."""
    CampaignFactory()
    for placement in ("top", "overlay", "home"):
        AppealFactory(placement=placement)
    response = client.get(reverse("donations:donate"))
    page = response.content.decode()
    assert 'class="appeal ' not in page
    assert (
        json.loads(
            page.split('<script id="appeal-data" type="application/json">')[1].split(
                "</script>"
            )[0]
        )["appeals"]
        == []
    )
    # The same appeals are on an ordinary page.
    assert 'class="appeal appeal--top"' in client.get("/no/such/page/").content.decode()


def test_the_donate_page_without_a_campaign(client):
    response = client.get(reverse("donations:donate"))
    assert response.status_code == 200
    assert "not taking donations online" in response.content.decode()


def test_an_appeal_amount_lands_preselected_with_its_attribution(client):
    campaign = CampaignFactory()
    response = client.get(
        reverse("donations:donate"),
        {"campaign": campaign.slug, "amount": "50", "appeal": "7", "variant": "9"},
    )
    page = response.content.decode()
    assert CHECKED_AMOUNT.findall(page) == ["50"]
    assert 'name="appeal" value="7"' in page
    assert 'name="variant" value="9"' in page


def test_an_amount_that_is_not_suggested_lands_in_other(client):
    CampaignFactory()
    page = client.get(reverse("donations:donate"), {"amount": "30"}).content.decode()
    assert CHECKED_AMOUNT.findall(page) == ["other"]
    assert 'name="other_amount" value="30"' in page


@pytest.mark.parametrize(
    "query",
    [
        {"amount": "lots"},
        {"amount": "-5", "appeal": "x'--", "variant": "<script>"},
        {"amount": "9" * 40},
    ],
)
def test_junk_in_the_donate_page_address_is_ignored(client, query):
    CampaignFactory()
    response = client.get(reverse("donations:donate"), query)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page.split("</head>")[1]
    assert "x'--" not in page
    assert CHECKED_AMOUNT.findall(page) == ["25"]  # the default choice


def test_an_unknown_campaign_is_a_404(client):
    CampaignFactory()
    for name in ("donations:donate", "donations:give", "donations:thank-you"):
        for slug in ("nope", "x'--", "<script>", "a" * 500):
            response = client.get(reverse(name), {"campaign": slug})
            assert response.status_code == 404, (name, slug)


# Giving: to the processor --------------------------------------------------------


def test_give_sends_the_reader_to_the_processor_with_the_amount(
    client, django_assert_num_queries
):
    campaign = CampaignFactory()
    with django_assert_num_queries(1):
        response = client.get(
            reverse("donations:give"),
            {"campaign": campaign.slug, "frequency": "once", "amount": "25"},
        )
    assert response.status_code == 302
    assert response["Location"] == "https://donate.example.org/give?amount=25"
    monthly = client.get(
        reverse("donations:give"),
        {
            "campaign": campaign.slug,
            "frequency": "monthly",
            "amount": "other",
            "other_amount": "12",
        },
    )
    assert monthly["Location"] == "https://donate.example.org/monthly?amount=12"


def test_give_tells_a_stripe_payment_link_which_appeal_led_there(client):
    campaign = CampaignFactory(
        donate_url="https://buy.stripe.com/test_abc?locale=en", monthly_donate_url=""
    )
    response = client.get(
        reverse("donations:give"),
        {
            "campaign": campaign.slug,
            "frequency": "once",
            "appeal": "12",
            "variant": "34",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == (
        "https://buy.stripe.com/test_abc?locale=en"
        f"&client_reference_id=nr_c{campaign.pk}_a12_v34"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"frequency": "once", "amount": "1000000"}, "Choose one of the amounts"),
        ({"frequency": "weekly", "amount": "25"}, "Choose how often you want to give"),
        ({"frequency": "once", "amount": "other"}, "Enter the amount you want to give"),
        (
            {"frequency": "once", "amount": "other", "other_amount": "0"},
            "greater than or equal to 1",
        ),
        (
            {"frequency": "once", "amount": "other", "other_amount": "100001"},
            "less than or equal to 100000",
        ),
        (
            {"frequency": "once", "amount": "other", "other_amount": "ten"},
            "Enter the amount in whole units",
        ),
    ],
)
def test_a_bad_gift_choice_is_shown_again_with_its_error(client, query, message):
    campaign = CampaignFactory()
    response = client.get(
        reverse("donations:give"), {"campaign": campaign.slug, **query}
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_bad_gift_choice_keeps_what_the_reader_chose(client):
    campaign = CampaignFactory()
    response = client.get(
        reverse("donations:give"),
        {
            "campaign": campaign.slug,
            "frequency": "monthly",
            "amount": "other",
            "other_amount": "0",
            "appeal": "3",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert CHECKED_FREQUENCY.findall(page) == ["monthly"]
    assert CHECKED_AMOUNT.findall(page) == ["other"]
    assert 'name="appeal" value="3"' in page


def test_monthly_is_only_offered_when_the_campaign_has_a_monthly_link(client):
    campaign = CampaignFactory(monthly_donate_url="")
    page = client.get(reverse("donations:donate")).content.decode()
    assert 'value="monthly"' not in page
    response = client.get(
        reverse("donations:give"),
        {"campaign": campaign.slug, "frequency": "monthly", "amount": "25"},
    )
    assert response.status_code == 400


def test_junk_attribution_never_stops_a_gift(client):
    campaign = CampaignFactory()
    response = client.get(
        reverse("donations:give"),
        {
            "campaign": campaign.slug,
            "frequency": "once",
            "amount": "10",
            "appeal": "1; DROP TABLE",
            "variant": "-3",
        },
    )
    assert response.status_code == 302


def test_an_appeal_button_opens_the_form_ready_to_pay(client):
    """The campaign's preselected gift, and the appeal and variant carried on."""
    campaign = CampaignFactory(
        default_frequency="monthly", default_amount=50, suggested_amounts=[10, 25, 50]
    )
    appeal = AppealFactory(campaign=campaign)
    variant = appeal.variants.get()
    link = appeal.link(variant=variant)
    assert link.startswith(reverse("donations:donate") + "?")
    response = client.get(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert CHECKED_FREQUENCY.findall(page) == ["monthly"]
    assert CHECKED_AMOUNT.findall(page) == ["50"]
    assert f'name="appeal" value="{appeal.pk}"' in page
    assert f'name="variant" value="{variant.pk}"' in page
    assert "donate__notes" not in page


def test_a_preselected_amount_that_is_not_suggested_is_typed_in_other(client):
    CampaignFactory(default_amount=35, suggested_amounts=[10, 25, 50])
    page = client.get(reverse("donations:donate")).content.decode()
    assert CHECKED_AMOUNT.findall(page) == ["other"]
    assert 'name="other_amount" value="35"' in page
    assert CHECKED_FREQUENCY.findall(page) == ["once"]


def test_without_a_preselected_amount_the_second_suggestion_is_chosen(client):
    CampaignFactory(suggested_amounts=[20, 40, 80])
    page = client.get(reverse("donations:donate")).content.decode()
    assert CHECKED_AMOUNT.findall(page) == ["40"]


def test_monthly_preselected_needs_a_monthly_link():
    campaign = CampaignFactory.build(default_frequency="monthly", monthly_donate_url="")
    with pytest.raises(ValidationError, match="monthly donate link"):
        campaign.full_clean()


def test_a_link_that_takes_an_amount_needs_amounts_to_offer():
    campaign = CampaignFactory.build(suggested_amounts=[], default_amount=None)
    with pytest.raises(ValidationError) as error:
        campaign.full_clean()
    assert "default_amount" in error.value.message_dict
    CampaignFactory.build(suggested_amounts=[], default_amount=30).full_clean()


def test_the_donate_form_may_go_on_to_the_processor(client):
    """give/ redirects to the processor, and browsers hold a form's redirects to
    the page's form-action: without the processor there, the button does nothing."""
    CampaignFactory(
        donate_url="https://donate.example.org/give?amount={amount}",
        monthly_donate_url="https://monthly.example.net:8443/m",
    )

    def form_action(response):
        policy = dict(
            part.strip().split(" ", 1)
            for part in response["Content-Security-Policy"].split(";")
        )
        return policy["form-action"]

    for response in (
        client.get(reverse("donations:donate")),
        client.get(reverse("donations:give"), {"amount": "lots"}),
    ):
        assert form_action(response) == (
            "'self' https://donate.example.org https://monthly.example.net:8443"
        )
    assert form_action(client.get(reverse("articles:latest"))) == "'self'"


def test_an_old_appeal_link_without_a_gift_gets_the_form_not_an_error(client):
    """Pages cached before appeal buttons led to the form sent readers to give/
    with no frequency or amount: they get the form, preselected, not a 400."""
    campaign = CampaignFactory(default_amount=25)
    response = client.get(
        reverse("donations:give"),
        {"campaign": campaign.slug, "appeal": "12", "variant": "34"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert CHECKED_FREQUENCY.findall(page) == ["once"]
    assert CHECKED_AMOUNT.findall(page) == ["25"]
    assert 'name="appeal" value="12"' in page
    assert 'name="variant" value="34"' in page
    assert "Please check your gift" not in page


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ({"amount": "lots"}, "We could not use the amount in the link"),
        ({"frequency": "weekly"}, "choose how often you want to give"),
    ],
)
def test_a_link_with_a_bad_value_gets_the_form_with_a_gentle_note(client, query, note):
    campaign = CampaignFactory(default_amount=25)
    response = client.get(
        reverse("donations:give"), {"campaign": campaign.slug, **query}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert note in page
    assert CHECKED_AMOUNT.findall(page) == ["25"]
    assert CHECKED_FREQUENCY.findall(page) == ["once"]


def test_give_without_a_campaign_uses_the_current_one(client):
    CampaignFactory(default_amount=10)
    response = client.get(reverse("donations:give"))
    assert response.status_code == 200
    assert CHECKED_AMOUNT.findall(response.content.decode()) == ["10"]


def test_the_processor_link_can_take_our_reference(client):
    campaign = CampaignFactory(
        donate_url="https://pay.example.net/f?amt={amount}&ref={reference}"
    )
    response = client.get(
        reverse("donations:give"),
        {
            "campaign": campaign.slug,
            "frequency": "once",
            "amount": "50",
            "appeal": "5",
            "variant": "6",
        },
    )
    assert response["Location"] == (
        f"https://pay.example.net/f?amt=50&ref=nr_c{campaign.pk}_a5_v6"
    )


JUNK = [
    "\x00",
    "%00",
    "a" * 5000,
    "9" * 400,
    "²",
    "١٢",
    "-1",
    "0",
    "1e9",
    "<script>",
    "x'--",
    " ",
    "\ud7ff",
    "monthly\x00",
]


@pytest.mark.parametrize(
    "name", ["donations:donate", "donations:give", "donations:thank-you"]
)
@pytest.mark.parametrize(
    "key", ["campaign", "amount", "other_amount", "frequency", "appeal", "variant"]
)
def test_junk_in_any_donation_address_is_a_form_or_a_4xx(client, name, key):
    campaign = CampaignFactory()
    for junk in JUNK:
        query = {"campaign": campaign.slug, key: junk}
        response = client.get(reverse(name), query)
        assert response.status_code in (200, 400, 404), (key, junk)
        if response.status_code == 404:
            assert key == "campaign"
            assert "couldn&#x27;t find that fundraising campaign" in (
                response.content.decode()
            )


# The client keeps nothing between requests, and the campaign is made once.
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.dictionaries(
        st.sampled_from(
            ["campaign", "amount", "other_amount", "frequency", "appeal", "variant"]
        ),
        st.text(max_size=30),
    ),
    st.sampled_from(["donations:donate", "donations:give", "donations:thank-you"]),
)
def test_any_query_string_gets_a_page_never_an_error(client, query, name):
    if not Campaign.objects.filter(slug="any-query").exists():
        CampaignFactory(slug="any-query")
    response = client.get(reverse(name), query)
    assert response.status_code in (200, 302, 400, 404)


# Thank you ----------------------------------------------------------------------------


def test_the_thank_you_page_remembers_the_donor_in_the_browser(
    client,
):
    CampaignFactory(thank_you_text="<p>You made the budget story possible.</p>")
    AppealFactory(placement="top")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("donations:thank-you"))
    # The campaign, and no appeal query: this page shows none.
    assert donation_queries(queries) == ["donations_campaign"]
    page = response.content.decode()
    assert response.status_code == 200
    assert "data-donor-thanks" in page
    assert "You made the budget story possible." in page
    assert 'class="appeal ' not in page
    assert '<meta name="robots" content="noindex">' in page
    assert response.cookies == {}


# Progress JSON -----------------------------------------------------------------


def test_progress_json(client, django_assert_num_queries):
    campaign = CampaignFactory(goal=1_000_00)
    DonationFactory(campaign=campaign, amount=300_00, donor_email="a@example.org")
    DonationFactory(
        campaign=campaign, amount=100_00, amount_refunded=100_00, status="refunded"
    )
    with django_assert_num_queries(2):
        response = client.get(reverse("donations:progress", args=[campaign.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"public", "max-age=60"}
    assert response.cookies == {}
    assert "Cookie" not in response.get("Vary", "")
    data = response.json()
    assert data["raised"] == 300_00
    assert data["goal"] == 1_000_00
    assert data["donors"] == 1
    assert data["percent"] == 30.0
    assert data["raised_display"] == "$300"
    assert data["donors_display"] == "1 donor"
    assert data["currency"] == "USD"
    assert data["expected_percent"] is not None


def test_progress_json_for_an_unknown_campaign_is_a_404(client):
    response = client.get("/donate/progress/nope.json")
    assert response.status_code == 404
    assert client.get("/donate/progress/../../etc.json").status_code == 404


# Reader pages stay cookie-free -------------------------------------------------------


def test_donations_pages_set_no_cookies(client):
    campaign = CampaignFactory()
    for url in (
        reverse("donations:donate"),
        reverse("donations:thank-you"),
        reverse("donations:progress", args=[campaign.slug]),
        ArticleFactory().get_absolute_url(),
    ):
        assert client.get(url).cookies == {}, url


def test_nothing_is_recorded_for_a_reader_who_only_reads(client):
    AppealFactory(placement="top")
    client.get(reverse("articles:home"))
    assert Donation.objects.count() == 0
    assert StripeEvent.objects.count() == 0
    assert AppealDailyCount.objects.count() == 0
    assert AppealVariant.objects.count() == 1
