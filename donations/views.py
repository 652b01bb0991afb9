import hashlib
import hmac
import ipaddress
import json
import logging
import re
import time
from functools import wraps
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from articles.views import page_not_found

from .forms import GiveForm
from .models import AppealDailyCount, AppealVariant, Campaign
from .templatetags.donations import progress_texts
from .webhooks import EventError, SignatureError, handle_event, parse_event
from .webhooks import verify_signature as verify_stripe_signature

logger = logging.getLogger(__name__)

# Stripe Payment Links accept client_reference_id in their address and hand it back
# in checkout.session.completed: that is how a gift finds the appeal it came from.
STRIPE_LINK_HOSTS = {"buy.stripe.com", "donate.stripe.com"}


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


def campaign_for(request):
    """The campaign a donate page is about: ?campaign=<slug>, else the current one
    (None when there is none). A slug that cannot be one (junk, a NUL byte, 500
    characters) is refused before it reaches the database."""
    slug = request.GET.get("campaign", "")
    if not slug:
        return Campaign.objects.current()
    campaign = None
    if SLUG.fullmatch(slug):
        campaign = Campaign.objects.filter(active=True, slug=slug).first()
    if campaign is None:
        raise Http404(
            _(
                "We couldn't find that fundraising campaign: it may have ended. "
                "The Donate link at the top of every page has the current one."
            )
        )
    return campaign


def with_campaign(view):
    """The view gets the page's campaign; an unknown one is a 404 that says so."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            campaign = campaign_for(request)
        except Http404 as error:
            return page_not_found(request, str(error))
        return view(request, campaign, *args, **kwargs)

    return wrapper


@require_GET
@with_campaign
def donate(request, campaign):
    """The donate form. Appeals' buttons land here with their attribution (and an
    amount for the amount buttons): the gift is preselected, ready to pay."""
    form, notes = None, []
    if campaign is not None:
        form, notes = GiveForm.arriving(campaign, request.GET)
    return render_donate(request, campaign, form, notes=notes)


def render_donate(request, campaign, form, notes=(), status=200):
    progress = campaign.progress() if campaign else None
    response = render(
        request,
        "donations/donate.html",
        {"campaign": campaign, "form": form, "progress": progress, "notes": notes},
        status=status,
    )
    if campaign is not None:
        # The form goes to our give/, which redirects to the processor: browsers
        # hold that redirect to the page's form-action too, so it names the
        # processor, or the reader's press of the button would do nothing.
        response._csp_update = {"form-action": processor_origins(campaign)}
    return response


def processor_origins(campaign):
    origins = []
    for url in (campaign.donate_url, campaign.monthly_donate_url):
        parts = urlsplit(url)
        try:
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            continue
        if parts.scheme in ("http", "https") and parts.hostname:
            origin = f"{parts.scheme}://{parts.hostname}{port}"
            if origin not in origins:
                origins.append(origin)
    return origins


@require_GET
@with_campaign
def give(request, campaign):
    """Send a reader to the processor's page for the gift they chose, telling it
    the amount when it can take one, and which appeal they came from. A link that
    lacks a choice (an old appeal button, a bookmark) gets the donate form with the
    campaign's gift preselected; a bad choice, the form again with what to fix."""
    if campaign is None:
        return render_donate(request, None, None)
    form = GiveForm(campaign, request.GET)
    if not form.is_valid():
        if form.lacks_a_choice():
            form, notes = GiveForm.arriving(campaign, request.GET)
            return render_donate(
                request, campaign, form, notes=notes, status=400 if notes else 200
            )
        return render_donate(request, campaign, form, status=400)
    data = form.cleaned_data
    reference = form.reference()
    url = campaign.link(data["frequency"], data["gift"], reference=reference)
    parts = urlsplit(url)
    if parts.hostname in STRIPE_LINK_HOSTS:
        query = [*parse_qsl(parts.query), ("client_reference_id", reference)]
        url = urlunsplit(parts._replace(query=urlencode(query)))
    return HttpResponseRedirect(url)


@require_GET
@with_campaign
def thank_you(request, campaign):
    """The processor's return address. Its page script remembers, in this browser
    only, that the reader gave, so appeals stop asking them for a year."""
    return render(request, "donations/thank_you.html", {"campaign": campaign})


@require_GET
def progress(request, slug):
    """A campaign's totals as a small JSON that cached pages refresh from."""
    campaign = get_object_or_404(Campaign, slug=slug)
    progress = campaign.progress()
    response = JsonResponse(
        {
            "campaign": campaign.slug,
            "currency": progress.currency,
            "goal": progress.goal,
            "raised": progress.raised,
            "donors": progress.donors,
            "percent": round(progress.percent, 2),
            "expected": progress.expected,
            "expected_percent": (
                round(progress.expected_percent, 2)
                if progress.expected_percent is not None
                else None
            ),
            "on_track": progress.on_track,
            "running": campaign.is_running(),
            **progress_texts(progress),
            "updated": timezone.now().isoformat(),
        }
    )
    patch_cache_control(response, public=True, max_age=60)
    return response


# Appeal events ---------------------------------------------------------------

MAX_EVENT_BYTES = 512
# Events per client (an IPv4 address, or an IPv6 /64: one household or office)...
RATE_LIMIT = settings.APPEAL_EVENT_RATE_LIMIT
RATE_WINDOW = 600  # ...per this many seconds. See README.md, "Appeal beacons".


def error(message, status):
    return JsonResponse({"error": message}, status=status)


def client_key(request):
    """Who is sending, for the rate limit only: an HMAC of the address with a key
    that changes every day, so the key cannot be linked across days or reversed
    into an address. Neither is stored anywhere but the cache, for minutes.

    An IPv6 client counts by its /64, the block one household or office is given:
    keyed by the whole address, one sender could take a fresh address for every
    beacon and never be limited."""
    address = request.META.get("REMOTE_ADDR", "")
    hops = [
        hop.strip()
        for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if hop.strip()
    ]
    if settings.TRUSTED_PROXY_COUNT and len(hops) >= settings.TRUSTED_PROXY_COUNT:
        address = hops[-settings.TRUSTED_PROXY_COUNT]
    address = client_network(address)
    today = timezone.now().date().isoformat()
    key = salted_hmac("donations.event-rate-limit", today).digest()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def client_network(address):
    """An IPv4 address as it is; an IPv6 address as its /64 (an IPv4 address
    mapped into IPv6 as the IPv4 address); anything else as it came."""
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def rate_limited(request):
    window = int(time.time() // RATE_WINDOW)
    key = f"donations:events:{client_key(request)}:{window}"
    try:
        if cache.add(key, 1, RATE_WINDOW * 2):
            return False
        return cache.incr(key) > RATE_LIMIT
    except Exception:  # the cache is down: count events rather than refuse them
        logger.warning("Appeal event rate limit unavailable: the cache failed.")
        return False


# Exempt from CSRF by design: navigator.sendBeacon cannot send a CSRF token, readers
# have no session or cookie for one to protect, and the worst a forged request can do
# is add one to an aggregate counter, which the rate limit bounds.
@csrf_exempt
@require_POST
@never_cache
def appeal_event(request):
    """One impression, click or dismissal of an appeal variant, counted in a daily
    aggregate. Nothing about the reader is stored."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return error(_("Content-Length is not a number."), 400)
    if length > MAX_EVENT_BYTES:
        return error(_("The event is too large."), 413)
    body = request.read(MAX_EVENT_BYTES + 1)
    if len(body) > MAX_EVENT_BYTES:
        return error(_("The event is too large."), 413)
    if rate_limited(request):
        return error(_("Too many events: slow down."), 429)
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return error(_("The event is not JSON."), 400)
    if not isinstance(event, dict) or set(event) != {"event", "appeal", "variant"}:
        return error(_("An event has exactly: event, appeal, variant."), 400)
    kind, appeal_id, variant_id = event["event"], event["appeal"], event["variant"]
    if not isinstance(kind, str) or kind not in AppealDailyCount.EVENT_COLUMNS:
        return error(_("The event must be impression, click or dismiss."), 400)
    if not all(
        type(value) is int and 0 < value < 2**31 for value in (appeal_id, variant_id)
    ):
        return error(_("appeal and variant must be positive whole numbers."), 400)
    variant = (
        AppealVariant.objects.filter(pk=variant_id, appeal_id=appeal_id)
        .values_list("pk", flat=True)
        .first()
    )
    if variant is None:
        return error(_("There is no such appeal variant."), 404)
    if not_a_reader(request):
        return JsonResponse({"counted": False}, status=202)
    AppealDailyCount.increment(variant, kind)
    return HttpResponse(status=204)


def not_a_reader(request):
    """Staff signed in, or a page readers never see (a preview link, the admin's
    appeal preview): their pages send no beacons, and if one comes anyway it is
    not counted. Readers have no cookie, so they cost no query here."""
    referer = urlsplit(request.headers.get("Referer", "")).path
    if referer.startswith(preview_prefixes()):
        return True
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    return request.user.is_staff


def preview_prefixes():
    return (
        reverse("admin:index"),
        reverse("articles:preview", kwargs={"token": "-"}).removesuffix("-/"),
    )


# Stripe ---------------------------------------------------------------------------


# Exempt from CSRF by design: Stripe cannot hold a CSRF token; every request is
# authenticated by its signature instead, and refused without a valid one.
@csrf_exempt
@require_POST
@never_cache
def stripe_webhook(request):
    secrets = settings.STRIPE_WEBHOOK_SECRETS
    if not secrets:
        # 503 rather than 400: Stripe retries for days, so nothing is lost while
        # STRIPE_WEBHOOK_SECRET is being configured.
        logger.error("Stripe webhook refused: STRIPE_WEBHOOK_SECRET is not set.")
        return error(_("This endpoint is not configured yet."), 503)
    payload = request.body
    try:
        verify_stripe_signature(
            payload, request.headers.get("Stripe-Signature", ""), secrets
        )
        event = parse_event(payload)
        outcome = handle_event(event)
    except SignatureError as problem:
        logger.warning("Stripe webhook refused: %s", problem)
        return error(str(problem), 400)
    except EventError as problem:
        logger.warning("Stripe event not applied: %s", problem)
        return error(str(problem), 400)
    return JsonResponse({"received": True, "outcome": outcome})
