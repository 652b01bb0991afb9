"""Every URL answers bad input with a 4xx, never a 5xx; and while the database is
down, every URL answers 503.

The URLs are not listed by hand: they are walked from the URL resolver, so a new
page is covered as soon as it is routed. Each is first requested with good values
(objects made below); the query parameters its view reads are recorded while it
answers; then each path parameter and each of those query parameters in turn gets
every hostile value, sent as raw bytes the way a browser or a bot would.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from articles.views import preview_link_for
from tests.factories import (
    AppealFactory,
    ArticleFactory,
    CampaignFactory,
    CorrectionFactory,
    DraftFactory,
    PullQuoteFactory,
    QuoteFactory,
    TagFactory,
    UpdateFactory,
)

# Written as they would stand in a URL (already percent-encoded where needed).
HOSTILE = [
    "",
    "%00",
    "a%00b",
    "%FF%FE",  # not UTF-8
    "%ED%A0%80",  # a UTF-16 surrogate, invalid in UTF-8
    "%zz",
    "x" * 4000,
    "9" * 20,
    "-1",
    "1e999",
    "2026-01-01T00:00:00-23:59",
    "0001-01-01T00:00:00%2B23:59",
    "2026-02-30",
    "%27%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "..%2F..%2Fetc%2Fpasswd",
]

# Not public pages: the admin (staff only, Django's own), and development media.
SKIPPED_PREFIXES = ("admin/", "media/", "^media/")

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(patterns=None, prefix=""):
    """Every routed path pattern, as its full route ("donate/progress/<slug:slug>
    .json"): walked from the resolver."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def public_routes():
    return [r for r in routes() if not r.startswith(SKIPPED_PREFIXES)]


@pytest.fixture
def site(settings):
    """A newsroom with one of everything, and a good URL for every route."""
    settings.STRIPE_WEBHOOK_SECRETS = ["whsec_test"]
    tag = TagFactory(slug="budget")
    story = ArticleFactory(developing=True)
    story.tags.add(tag)
    UpdateFactory(article=story)
    CorrectionFactory(article=story)
    quote = QuoteFactory()
    PullQuoteFactory(quote=quote, article=story)
    draft = DraftFactory()
    campaign = CampaignFactory()
    AppealFactory(campaign=campaign)
    published = timezone.localtime(story.published_at)
    byline = story.bylines.first().author
    since = f"{timezone.now() - timedelta(days=1):%Y-%m-%dT%H:%M:%S}Z"
    urls = [
        "/",
        story.get_absolute_url(),
        story.get_republish_url(),
        f"/republish/{story.pk}/pixel.gif",
        f"/{published:%Y}/",
        f"/{published:%Y/%m}/",
        f"/{published:%Y/%m/%d}/",
        story.section.get_absolute_url(),
        f"{story.section.get_absolute_url()}feed/",
        f"{story.section.get_absolute_url()}feed/atom/",
        tag.get_absolute_url(),
        f"{tag.get_absolute_url()}feed/",
        f"{tag.get_absolute_url()}feed/atom/",
        byline.get_absolute_url(),
        f"{byline.get_absolute_url()}feed/",
        f"{byline.get_absolute_url()}feed/atom/",
        f"/sitemap-articles-{published:%Y-%m}.xml",
        "/sitemap-sections.xml",
        preview_link_for(draft),
        f"/live/{story.slug}/updates/?since={since}",
        f"/live/{story.slug}/feed/",
        f"/live/{story.slug}/all/",
        quote.get_absolute_url(),
        quote.get_share_image_url(),
        quote.speaker.get_absolute_url(),
        f"/donate/?campaign={campaign.slug}",
        f"/donate/give/?campaign={campaign.slug}&amount=25&frequency=once",
        f"/donate/thank-you/?campaign={campaign.slug}",
        f"/donate/progress/{campaign.slug}.json",
        "/search/?q=council",
        "/accounts/confirm-email/abc/",
        "/accounts/password/reset/key/1-abc/",
        "/accounts/2fa/webauthn/keys/1/remove/",
        "/accounts/2fa/webauthn/keys/1/edit/",
    ]
    by_route = {}
    for url in urls:
        by_route.setdefault(as_template(resolve(urlsplit(url).path).route), url)
    return by_route


def as_template(route):
    """A route with its parameters as <name>, whether written with path() or as a
    regular expression (re_path)."""
    route = route.replace("^", "").replace("$", "")
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route)


def good_url(route, site):
    route = as_template(route)
    if PARAMETER.search(route) is None:
        return site.get(route, "/" + route)
    assert route in site, (
        f"No good URL for the route {route!r}: add an object and its URL to site()"
    )
    return site[route]


def filled(route, values):
    return "/" + PARAMETER.sub(lambda m: values[m["name"]], route)


class ReadKeys:
    """Records the query parameters a view reads, through any QueryDict accessor."""

    def __init__(self, monkeypatch):
        self.keys = set()
        for name in ("__getitem__", "get", "getlist", "__contains__", "lists"):
            original = getattr(QueryDict, name)
            monkeypatch.setattr(QueryDict, name, self.recording(original, name))

    def recording(self, original, name):
        keys = self.keys

        def accessor(querydict, *args, **kwargs):
            if args and isinstance(args[0], str):
                keys.add(args[0])
            elif name == "lists":
                keys.update(dict.keys(querydict))
            return original(querydict, *args, **kwargs)

        return accessor


def raw_values(route, url):
    """The path parameters of `url`, as written in it."""
    path = urlsplit(url).path
    regex = "^/" + PARAMETER.sub(
        lambda m: f"(?P<{m['name']}>[^/]+?)", re.escape(route).replace("\\<", "<")
    )
    # re.escape() escaped the pattern's own characters; undo it inside <...>.
    regex = re.sub(r"\(\?P<([^>]+)>", lambda m: f"(?P<{m[1]}>", regex)
    match = re.match(regex.replace("\\>", ">") + "$", path)
    assert match, (route, url)
    return match.groupdict()


def test_the_walk_finds_the_public_pages():
    found = public_routes()

    assert len(found) > 30
    assert "<int:year>/<str:month>/<str:day>/<slug:slug>/" in found
    assert "donate/" in found
    assert not [route for route in found if route.startswith("admin/")]


@pytest.mark.django_db
@pytest.mark.parametrize("route", public_routes())
def test_every_url_answers_hostile_input_without_a_5xx(route, site, monkeypatch):
    client = Client(raise_request_exception=False)
    url = good_url(route, site)
    reader = ReadKeys(monkeypatch)
    base = client.get(url)
    keys = set(reader.keys) | set(QueryDict(urlsplit(url).query))
    monkeypatch.undo()
    assert base.status_code in (200, 302, 405), (url, base.status_code)
    path, query = urlsplit(url).path, urlsplit(url).query
    candidates = []
    template = as_template(route)
    values = raw_values(template, url) if PARAMETER.search(template) else {}
    for name in values:
        for hostile in HOSTILE:
            bad = filled(template, {**values, name: hostile})
            candidates.append(bad + (f"?{query}" if query else ""))
    others = [p for p in query.split("&") if p]
    for key in sorted(keys):
        kept = [p for p in others if p.split("=")[0] != key]
        for hostile in HOSTILE:
            candidates.append(f"{path}?{'&'.join([*kept, f'{key}={hostile}'])}")
        candidates.append(f"{path}?{'&'.join([*kept, f'{key}=1', f'{key}=2'])}")
        candidates.append(f"{path}?{'&'.join([*kept, key])}")
    # Parameters no view reads: the page is the same, whatever they hold.
    candidates += [f"{url}{'&' if query else '?'}utm_x={v}" for v in HOSTILE[:4]]
    method = "POST" if base.status_code == 405 else "GET"

    failures = []
    for candidate in candidates:
        status = client.generic(method, candidate).status_code
        if status >= 500:
            failures.append((status, method, candidate[:200]))

    assert failures == []


# The database down -----------------------------------------------------------------


@pytest.fixture
def database_down():
    """A real connection attempt to a port where nothing listens, for every query
    from here on; the database is back for the test's teardown."""

    def down():
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")

    saved = dict(connection.settings_dict)
    yield down
    connection.close()
    connection.settings_dict.update(saved)


# serialized_rollback keeps the rows made by data migrations (the newsroom roles)
# for the tests that run after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_url_answers_503_while_the_database_is_down(site, database_down):
    from tests.factories import UserFactory

    staff = Client(raise_request_exception=False)
    staff.force_login(UserFactory(role="Editor"))
    reader = Client(raise_request_exception=False)
    urls = [good_url(route, site) for route in public_routes()]
    database_down()

    answers = {url: reader.get(url) for url in urls}
    for url in [
        "/",
        "/admin/",
        "/admin/login/",
        site["<int:year>/<str:month>/<str:day>/<slug:slug>/"],
    ]:
        answers[f"staff {url}"] = staff.get(url)

    # Only what needs no database at all may still answer: the liveness probe,
    # robots.txt, and the refusal of a GET where only POST is allowed.
    unavailable = {url for url, r in answers.items() if r.status_code == 503}
    answered = {url: answers[url].status_code for url in set(answers) - unavailable}
    # Staff account pages answer what needs no database (the sign-in form, a
    # redirect to it); none answers a 500.
    assert all(status < 500 for status in answered.values())
    assert {
        url
        for url, status in answered.items()
        if status != 405 and not url.startswith("/accounts/")
    } == {"/healthz", "/robots.txt"}
    assert len(unavailable) > 30
    for url in unavailable - {"/readyz"}:
        response = answers[url]
        assert response["Retry-After"] == "30", url
        assert "no-store" in response["Cache-Control"], url
        assert "back in a moment" in response.content.decode(), url
