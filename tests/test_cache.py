"""Reader pages are cached whole for anonymous readers and replaced as soon as content
changes; staff never get a cached page; a cache outage only costs speed."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles import workflow
from tests.factories import ArticleFactory, DraftFactory, UserFactory

# A Redis database of the tests' own; TEST_REDIS_URL lets parallel runs keep apart.
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_CACHE = {
    "default": {
        "BACKEND": "newsroom.cache.NewsroomRedisCache",  # as settings.py
        "LOCATION": REDIS,
        "KEY_PREFIX": "newsroom",  # as the app under REDIS_URL
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }
}


def redis_is_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


needs_redis = pytest.mark.skipif(
    not redis_is_up(), reason="Redis is not running on 127.0.0.1:6379"
)


@pytest.mark.django_db
def test_a_reader_page_is_served_from_the_cache_the_second_time(
    client, django_assert_num_queries
):
    ArticleFactory(headline="Council votes")
    first = client.get(reverse("articles:home"))
    assert first["X-Cache"] == "miss"
    with django_assert_num_queries(0):
        second = client.get(reverse("articles:home"))
    assert second["X-Cache"] == "hit"
    assert second.content == first.content


@pytest.mark.django_db
def test_publishing_replaces_the_cached_page_at_once(client):
    ArticleFactory(headline="First story")
    client.get(reverse("articles:home"))
    editor = UserFactory(role="Editor")
    draft = DraftFactory(headline="Breaking: bridge closed")
    workflow.publish(draft, by=editor)
    response = client.get(reverse("articles:home"))
    assert response["X-Cache"] == "miss"
    assert "Breaking: bridge closed" in response.content.decode()


@pytest.mark.django_db
def test_a_scheduled_article_appears_at_its_time_without_a_job(client):
    editor = UserFactory(role="Editor")
    article = DraftFactory(headline="Scheduled story")
    workflow.publish(article, by=editor, at=timezone.now() + timedelta(seconds=1.5))
    assert "Scheduled story" not in client.get("/").content.decode()
    assert client.get("/")["X-Cache"] == "hit"
    # Wall-clock time passes; nothing runs in between.
    time.sleep(1.6)
    response = client.get("/")
    assert "Scheduled story" in response.content.decode()


@pytest.mark.django_db
def test_staff_never_get_a_cached_page(client):
    ArticleFactory()
    client.get("/")
    client.force_login(UserFactory(role="Editor"))
    response = client.get("/")
    assert "X-Cache" not in response
    # Nor may anything in front keep the page rendered for them.
    assert response["Cache-Control"] == "private, no-cache"
    admin = client.get(reverse("admin:index"))
    assert "X-Cache" not in admin
    assert "no-store" in admin["Cache-Control"]


@pytest.mark.django_db
def test_previews_are_not_stored(client):
    editor = UserFactory(role="Editor")
    client.force_login(editor)
    draft = DraftFactory()
    response = client.get(draft.get_absolute_url())
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_query_parameters_no_view_reads_share_the_pages_one_copy(client):
    ArticleFactory()
    assert client.get("/")["X-Cache"] == "miss"

    for query in ({"utm_source": "news"}, {"x": "y" * 500}, {"page": "1", "z": "1"}):
        response = client.get("/", query)
        assert response["X-Cache"] == "hit", query


@pytest.mark.django_db
def test_query_parameters_a_view_reads_are_part_of_the_key(client):
    articles = ArticleFactory.create_batch(3)
    first = client.get("/latest/")
    cursor = {"before": f"{articles[1].published_at.isoformat()}_{articles[1].pk}"}

    assert first["X-Cache"] == "miss"
    assert client.get("/latest/", {"utm_source": "x"})["X-Cache"] == "hit"
    assert client.get("/latest/", cursor)["X-Cache"] == "miss"
    assert client.get("/latest/", {**cursor, "utm_source": "x"})["X-Cache"] == "hit"


@pytest.mark.django_db
def test_a_made_up_session_cookie_gets_the_cached_page(client):
    ArticleFactory()
    client.get("/")
    client.cookies[settings.SESSION_COOKIE_NAME] = "made-up-session-key"

    assert client.get("/")["X-Cache"] == "hit"


@pytest.mark.django_db
def test_pages_not_found_are_cached_briefly(client):
    from newsroom import cache as page_cache

    assert page_cache.NOT_FOUND_SECONDS <= 60
    assert client.get("/no/such/page/")["X-Cache"] == "miss"
    assert client.get("/no/such/page/")["X-Cache"] == "hit"
    assert client.get("/no/such/page/", {"junk": "1"})["X-Cache"] == "hit"


@pytest.mark.django_db
def test_reader_pages_carry_cdn_headers_and_answer_304(client):
    article = ArticleFactory()
    response = client.get(article.get_absolute_url())
    cache_control = response["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=0" in cache_control
    assert f"s-maxage={settings.READER_PAGE_MAX_AGE}" in cache_control
    assert "stale-while-revalidate" in cache_control
    again = client.get(article.get_absolute_url(), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.django_db
def test_developing_stories_get_a_shorter_life_in_front(client):
    article = ArticleFactory(developing=True)
    cache_control = client.get(article.get_absolute_url())["Cache-Control"]
    assert f"s-maxage={settings.DEVELOPING_PAGE_MAX_AGE}" in cache_control


@pytest.mark.django_db
def test_a_cache_outage_degrades_to_uncached_serving(client, settings):
    ArticleFactory(headline="Still here")
    settings.CACHES = {
        "default": {
            **REDIS_CACHE["default"],
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = client.get("/")
    assert response.status_code == 200
    assert "Still here" in response.content.decode()
    assert "X-Cache" not in response
    # Saving content with the cache down works too (the bump fails open).
    ArticleFactory(headline="Published during the outage")
    assert "Published during the outage" in client.get("/").content.decode()


@needs_redis
@pytest.mark.django_db
def test_with_redis_a_change_is_seen_by_the_next_request(client, settings):
    settings.CACHES = REDIS_CACHE
    cache.clear()
    ArticleFactory(headline="Old news")
    client.get("/")
    assert client.get("/")["X-Cache"] == "hit"
    ArticleFactory(headline="New news")
    assert "New news" in client.get("/").content.decode()
    cache.clear()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


@needs_redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_gunicorn_workers_serve_a_published_change_within_5_seconds(settings):
    settings.CACHES = REDIS_CACHE
    cache.clear()
    ArticleFactory(headline="Before the vote")
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        ),
        "REDIS_URL": REDIS,
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    if db["HOST"].startswith("/"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "newsroom.wsgi",
            "--workers=2",
            f"--bind=127.0.0.1:{port}",
            "--log-level=warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                fetch(url)
                break
            except OSError:
                time.sleep(0.1)
        # Both workers have the page cached.
        assert all("Before the vote" in fetch(url) for _ in range(20))
        ArticleFactory(headline="After the vote")
        changed_at = time.monotonic()
        # Each worker reads the generation from Redis at most once a second: poll
        # until twenty answers in a row (both workers) carry the change.
        in_a_row = 0
        while in_a_row < 20 and time.monotonic() - changed_at < 10:
            in_a_row = in_a_row + 1 if "After the vote" in fetch(url) else 0
        assert in_a_row == 20
        assert time.monotonic() - changed_at < 5
    finally:
        server.terminate()
        server.wait(timeout=10)
        cache.clear()


@pytest.mark.django_db
def test_article_pages_do_not_vary_by_cookie_and_are_cached(client):
    article = ArticleFactory()
    first = client.get(article.get_absolute_url())
    assert "Cookie" not in first.get("Vary", "")
    assert first["X-Cache"] == "miss"
    assert client.get(article.get_absolute_url())["X-Cache"] == "hit"


@needs_redis
@pytest.mark.django_db
def test_a_worker_keeps_hot_pages_in_memory_and_rereads_the_generation_each_second(
    client, settings, monkeypatch
):
    from articles.models import Article
    from newsroom import cache as page_cache

    settings.CACHES = REDIS_CACHE
    cache.clear()
    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    article = ArticleFactory(headline="Old news")
    assert client.get("/")["X-Cache"] == "miss"
    # A hit within the second is served from the worker's memory: no Redis at all.
    with monkeypatch.context() as no_redis:
        no_redis.setattr(page_cache, "cache", None)
        no_redis.setattr(page_cache, "generations", None)
        assert client.get("/")["X-Cache"] == "hit"
    # Another process changes the story: this one hears of it through Redis only
    # (an update() sends no signal here; the other process bumps the generations).
    Article.objects.filter(pk=article.pk).update(headline="New news")
    for subject in (page_cache.STORIES, page_cache.story(article.pk)):
        key = page_cache.generation_key(subject)
        cache.set(key, cache.get(key, 0) + 1, timeout=None)
    assert "Old news" in client.get("/").content.decode()  # within the second
    clock[0] += 1.0
    assert "New news" in client.get("/").content.decode()
    cache.clear()


def test_a_workers_page_memory_is_bounded(monkeypatch):
    from django.http import HttpResponse

    from newsroom import cache as page_cache

    clock = [1000.0]
    monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock[0])
    pages = page_cache.LocalPages(size=3)
    for n in range(10):
        pages.set(f"page-{n}", {}, HttpResponse(f"page {n}"), timeout=60)
    assert list(pages.pages) == ["page-7", "page-8", "page-9"]
    pages.get("page-7")  # used: kept longest
    pages.set("page-10", {}, HttpResponse("page 10"), timeout=60)
    assert list(pages.pages) == ["page-9", "page-7", "page-10"]
    assert pages.get("page-10")[1].content == b"page 10"
    assert pages.get("page-1") is None
    # Bytes count too: one big page pushes the others out.
    big = page_cache.LocalPages(max_bytes=200_000)
    big.set("small", {}, HttpResponse("x"), timeout=60)
    big.set("large", {}, HttpResponse("x" * 199_600), timeout=60)
    assert list(big.pages) == ["large"]
    big.set("too large", {}, HttpResponse("x" * 300_000), timeout=60)
    assert "too large" not in big.pages
    # And no page outlives its time in the shared cache.
    clock[0] += 60
    assert pages.get("page-10") is None
    assert "page-10" not in pages.pages


@pytest.mark.django_db
def test_a_change_moves_the_generation_on_again_when_committed(
    django_capture_on_commit_callbacks,
):
    """A reader asking between a change and its commit gets the old content, which
    must not stay cached under the new generations."""
    from newsroom import cache as page_cache

    article = ArticleFactory()
    keys = [
        page_cache.generation_key(subject)
        for subject in (page_cache.STORIES, page_cache.story(article.pk))
    ]
    before = [cache.get(key, 0) for key in keys]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article.headline = "Corrected"
        article.save()
        during = [cache.get(key, 0) for key in keys]
    assert all(now > then for now, then in zip(during, before, strict=True))
    assert callbacks
    after = [cache.get(key, 0) for key in keys]
    assert all(now > then for now, then in zip(after, during, strict=True))


def test_a_copy_of_the_noting_query_is_an_ordinary_one(rf):
    from newsroom.cache import ALL, noting_reads

    request = rf.get("/", {"a": "1", "b": "2"})
    query = noting_reads(request)
    assert request.GET.get("a") == "1"
    copied = request.GET.copy()
    copied["c"] = "3"
    assert copied.get("c") == "3"
    assert query.read == ALL  # copying reads everything


class FrozenRedis:
    """A server that takes connections and reads commands but never answers, as a
    Redis stopped with SIGSTOP does; it counts the bytes it was sent, so a test sees
    whether a request tried Redis at all (not how long it took: the machine may be
    busy)."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.url = f"redis://127.0.0.1:{self.server.getsockname()[1]}/0"
        self.received = 0
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.connections.append(client)
            threading.Thread(target=self._read, args=(client,), daemon=True).start()

    def _read(self, client):
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.received += len(data)

    def tried_since(self, received):
        # The command a request sent may still be on its way to our reader thread.
        deadline = time.monotonic() + 2
        while self.received == received and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.received > received

    def close(self):
        self.server.close()
        for client in self.connections:
            client.close()


@pytest.fixture
def frozen_redis():
    frozen = FrozenRedis()
    yield frozen
    frozen.close()


@pytest.mark.django_db
def test_a_frozen_redis_costs_one_timeout_then_is_skipped(
    client, settings, frozen_redis
):
    from newsroom.cache import breaker

    ArticleFactory(headline="Still here")
    settings.CACHES = {
        "default": {**REDIS_CACHE["default"], "LOCATION": frozen_redis.url}
    }
    client.get("/")  # pays the timeout, and opens the breaker
    assert frozen_redis.tried_since(0)
    assert breaker.is_open()

    before = frozen_redis.received
    for _ in range(10):
        response = client.get("/")
        assert response.status_code == 200
        assert "Still here" in response.content.decode()
    time.sleep(0.2)  # anything sent would have arrived by now
    assert frozen_redis.received == before  # Redis was not asked: no timeout waited out
    assert breaker.is_open()

    breaker.open_until = float("-inf")  # seconds later: one request tries again
    client.get("/")
    assert frozen_redis.tried_since(before)
    assert breaker.is_open()
