"""The nginx micro-cache of docker/nginx.conf, run with a real nginx in front of the
app (pytest-django's live server): readers share a page for at most s-maxage plus
stale-while-revalidate seconds; staff, form users, the admin and POSTs always reach
the app and are never stored.

Needs an `nginx` binary (Debian: apt-get install nginx-light); skipped without one.
Django's own page cache is off here (tests/conftest.py), so only nginx caches.
"""

import http.client
import re
import time
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from articles import workflow
from bench.nginx import CONF, NGINX, running_nginx
from tests.factories import ArticleFactory, DraftFactory, UserFactory

pytestmark = [
    pytest.mark.skipif(
        NGINX is None,
        reason="the micro-cache tests need nginx: apt-get install nginx-light "
        "(or put an nginx binary on PATH)",
    ),
    # The live server reads what the test writes; serialized_rollback keeps the rows
    # made by data migrations (the newsroom roles) for the tests that run after.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def nginx(live_server, tmp_path):
    """A running nginx in front of the live server; yields its base URL."""
    root = tmp_path / "nginx"
    (root / "media").mkdir(parents=True)
    (root / "media" / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0not really a jpeg")
    with running_nginx(root, urlsplit(live_server.url).netloc) as (base, _conf):
        yield base


def test_nginx_started_on_a_port_taken_meanwhile_moves_to_another(
    live_server, tmp_path, monkeypatch
):
    """free_port() gives a port that another program (another test run's silent
    server, say) takes before nginx binds it: nginx must not be taken for started
    because something answers the connection there."""
    import socket

    from bench import nginx as bench_nginx

    squatter = socket.socket()
    squatter.bind(("127.0.0.1", 0))
    squatter.listen(8)  # accepts connections, never answers
    taken = squatter.getsockname()[1]
    ports = iter([taken])
    real_free_port = bench_nginx.free_port
    monkeypatch.setattr(
        bench_nginx, "free_port", lambda: next(ports, None) or real_free_port()
    )
    root = tmp_path / "nginx"
    try:
        with running_nginx(root, urlsplit(live_server.url).netloc) as (base, _conf):
            assert urlsplit(base).port != taken
            assert fetch(base, "/healthz").headers.get("server", "").startswith("nginx")
    finally:
        squatter.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def cache(self):
        """nginx's X-Cache-Status: MISS, HIT, STALE, EXPIRED, BYPASS... or None."""
        return self.headers.get("x-cache-status")


def fetch(base, path, method="GET", cookies=None):
    """One request, no redirects followed, no cookies unless given."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
    headers = {"Accept-Encoding": "identity"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        return Response(
            response.status,
            {k.lower(): v for k, v in response.getheaders()},
            response.read().decode(errors="replace"),
        )
    finally:
        connection.close()


def session_cookie_for(user):
    """The session cookie a logged-in staff member's browser sends."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


def wait_until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    return predicate()


def test_the_compose_cache_settings_honour_the_apps_cache_control():
    conf = re.sub(r"#.*", "", CONF.read_text())
    # Lifetimes come from the app's s-maxage / stale-while-revalidate only.
    assert "proxy_cache_valid" not in conf
    assert "proxy_ignore_headers" not in conf
    assert "proxy_cache_key $scheme$host$request_uri;" in conf
    for directive in ("proxy_cache_bypass", "proxy_no_cache"):
        line = re.search(rf"^\s*{directive} (.+);$", conf, re.MULTILINE).group(1)
        assert {"$cookie_sessionid", "$cookie_csrftoken"} <= set(line.split())
    # Compose gives the cache folder its own tmpfs, a little over max_size.
    cache_dir = re.search(r"^proxy_cache_path (\S+) ", conf, re.MULTILINE).group(1)
    max_size = int(re.search(r"max_size=(\d+)m", conf).group(1))
    compose = yaml.safe_load((settings.BASE_DIR / "docker-compose.yml").read_text())
    tmpfs = dict(t.split(":size=") for t in compose["services"]["nginx"]["tmpfs"])
    assert int(tmpfs[cache_dir].removesuffix("m")) > max_size
    # The cookie names nginx looks for are the ones the app sets.
    assert settings.SESSION_COOKIE_NAME == "sessionid"
    assert settings.CSRF_COOKIE_NAME == "csrftoken"


def test_a_reader_page_is_a_miss_then_a_hit(nginx):
    article = ArticleFactory(headline="Council votes to fix the bridge")
    for path in ("/", article.get_absolute_url()):
        first = fetch(nginx, path)
        assert first.status == 200
        assert first.cache == "MISS"
        assert "s-maxage=30" in first.headers["cache-control"]
        assert "Council votes to fix the bridge" in first.body
        second = fetch(nginx, path)
        assert second.cache == "HIT"
        assert second.body == first.body
        assert "set-cookie" not in second.headers


def test_staff_with_a_session_always_reach_the_app_and_are_never_stored(nginx):
    editor = UserFactory(role="Editor")
    draft = DraftFactory(headline="Unpublished: the mayor resigns")
    cookies = session_cookie_for(editor)
    url = draft.get_absolute_url()
    for _ in range(3):
        # Staff see the draft at its address, fresh from the app every time.
        staff = fetch(nginx, url, cookies=cookies)
        assert staff.status == 200
        assert staff.cache == "BYPASS"
        assert "Unpublished: the mayor resigns" in staff.body
    # What staff got was never stored: a reader gets the app's 404.
    reader = fetch(nginx, url)
    assert reader.status == 404
    assert reader.cache == "MISS"
    assert "the mayor resigns" not in reader.body
    # And a page readers have cached is not served to staff.
    ArticleFactory(headline="Reader story")
    assert fetch(nginx, "/").cache == "MISS"
    assert fetch(nginx, "/").cache == "HIT"
    assert fetch(nginx, "/", cookies=cookies).cache == "BYPASS"


def test_a_form_user_with_a_csrf_cookie_is_never_served_from_the_cache(nginx):
    ArticleFactory()
    assert fetch(nginx, "/").cache == "MISS"
    assert fetch(nginx, "/").cache == "HIT"
    cookies = {settings.CSRF_COOKIE_NAME: "x" * 32}
    for _ in range(2):
        assert fetch(nginx, "/", cookies=cookies).cache == "BYPASS"


def test_the_admin_is_never_cached(nginx):
    for _ in range(3):
        login = fetch(nginx, "/accounts/login/")
        assert login.status == 200
        assert login.cache == "BYPASS"
        assert "csrftoken=" in login.headers.get("set-cookie", "")
    assert fetch(nginx, "/admin/").cache == "BYPASS"


def test_a_post_always_reaches_the_app(nginx):
    ArticleFactory()
    assert fetch(nginx, "/").cache == "MISS"
    for _ in range(2):
        post = fetch(nginx, "/", method="POST")
        # Not looked up, not stored: nginx says nothing about its cache.
        assert post.cache is None
        assert post.status != 200
    assert fetch(nginx, "/").cache == "HIT"


def test_a_404_is_kept_as_briefly_as_a_page_and_stays_a_404(settings, nginx):
    settings.READER_PAGE_MAX_AGE = 1
    editor = UserFactory(role="Editor")
    draft = DraftFactory(headline="Not yet")
    url = draft.get_absolute_url()
    first = fetch(nginx, url)
    assert first.status == 404
    assert first.cache == "MISS"
    assert "s-maxage=1" in first.headers["cache-control"]
    second = fetch(nginx, url)
    assert (second.status, second.cache) == (404, "HIT")
    assert second.body == first.body
    # Once the story is published its address works within s-maxage (+ one
    # refresh): a cached 404 does not hide it for long.
    published = time.monotonic()
    workflow.publish(draft, by=editor)
    assert wait_until(lambda: fetch(nginx, url).status in (200, 301), seconds=10)
    assert time.monotonic() - published < 1 + 1 + 1


def test_a_published_change_is_visible_within_s_maxage(settings, nginx):
    settings.READER_PAGE_MAX_AGE = 1
    ArticleFactory(headline="Yesterday's story")
    assert fetch(nginx, "/").cache == "MISS"
    assert fetch(nginx, "/").cache == "HIT"
    editor = UserFactory(role="Editor")
    draft = DraftFactory(headline="Breaking: bridge closed")
    published = time.monotonic()
    workflow.publish(draft, by=editor)
    seen = wait_until(
        lambda: "Breaking: bridge closed" in fetch(nginx, "/").body, seconds=10
    )
    elapsed = time.monotonic() - published
    assert seen
    # Fresh for s-maxage (1 s), then at most one more reader gets the old page
    # while nginx fetches the new one in the background.
    assert elapsed < 1 + 1 + 1, elapsed


def test_stale_while_revalidate_and_never_older(settings, nginx):
    settings.READER_PAGE_MAX_AGE = 2
    ArticleFactory(headline="First version")
    assert fetch(nginx, "/").cache == "MISS"
    start = time.monotonic()
    ArticleFactory(headline="Second version")
    # Past s-maxage but within stale-while-revalidate: the old page at once, and a
    # refresh behind it. nginx keeps time in whole seconds, so a page stored at
    # 10.0 is fresh until 12 and stale from 13, and one stored at 10.9 likewise:
    # 3.2 s after storing is past s-maxage (2 s) and within s-maxage + 2 s either way.
    time.sleep(max(0, start + 3.2 - time.monotonic()))
    stale = fetch(nginx, "/")
    assert stale.cache == "STALE"
    assert "Second version" not in stale.body
    assert wait_until(lambda: fetch(nginx, "/").cache == "HIT", seconds=3)
    assert "Second version" in fetch(nginx, "/").body
    # Past s-maxage + stale-while-revalidate (2 + 2 s): a reader waits for the app
    # and never gets the old page, however quiet the page has been.
    refreshed = time.monotonic()
    ArticleFactory(headline="Third version")
    time.sleep(max(0, refreshed + 5 - time.monotonic()))
    late = fetch(nginx, "/")
    assert late.cache in ("EXPIRED", "REVALIDATED")
    assert "Third version" in late.body


def test_media_is_served_by_nginx_with_its_own_headers(nginx):
    photo = fetch(nginx, "/media/photo.jpg")
    assert photo.status == 200
    assert photo.headers["cache-control"] == "public, immutable"
    assert photo.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.cache is None


def test_a_flood_of_sign_in_attempts_is_refused_before_the_app(nginx):
    # 30 a minute per client, after a burst of 10: the rest never reach a worker.
    answers = [
        fetch(nginx, "/accounts/login/", method="POST").status for _ in range(20)
    ]

    assert answers[:10] == [403] * 10  # the app's: no CSRF token
    assert set(answers[11:]) == {429}
    # Reading the sign-in page is not limited.
    assert {fetch(nginx, "/accounts/login/").status for _ in range(3)} == {200}
