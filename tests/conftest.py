import contextlib
import os
import shutil

import pytest

# The Redis database the tests that need a real Redis use (tests/test_cache.py,
# tests/test_topology.py), unless TEST_REDIS_URL names one. Two test runs on one
# machine (two checkouts, or CI beside a developer) must not share it: the page
# cache tests count keys and the topology test empties its database at the end. So
# each run claims a free database from 15 down to 8 with a key in database 0 that
# names its process and expires on its own if the run dies without releasing it.
REDIS_DATABASES = range(15, 7, -1)
REDIS_CLAIM_SECONDS = 3 * 3600


def _claim_redis_database():
    if os.environ.get("TEST_REDIS_URL"):
        return None
    try:
        import redis

        server = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=0.5)
        for number in REDIS_DATABASES:
            key = f"newsroom-tests:db{number}"
            if server.set(key, os.getpid(), nx=True, ex=REDIS_CLAIM_SECONDS):
                os.environ["TEST_REDIS_URL"] = f"redis://127.0.0.1:6379/{number}"
                return server, key
    except Exception:  # no Redis here: the tests that need it are skipped
        return None
    return None


_redis_claim = _claim_redis_database()


def pytest_unconfigure(config):
    if _redis_claim:
        server, key = _redis_claim
        with contextlib.suppress(Exception):
            if server.get(key) == str(os.getpid()).encode():
                server.delete(key)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files from a test land in a temporary folder, never in media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache(settings):
    """Each test starts with an empty cache, without the page cache and without the
    appeals memo: query counts pin what rendering a page costs. tests/test_cache.py
    turns the page cache on, test_appeal_memo.py the memo."""
    from django.core.cache import cache

    from newsroom.cache import breaker, local_pages

    breaker.open_until = float("-inf")
    settings.PAGE_CACHE_SECONDS = 0
    settings.WORKER_MEMO_SECONDS = 0
    cache.clear()
    local_pages.forget()
    yield
    local_pages.forget()
    with contextlib.suppress(Exception):  # a test may have pointed at a dead cache
        cache.clear()


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    """Background tasks run at once, inside the test. Tests of the queue itself ask
    for `db_tasks`: the database backend, run by a worker as in production."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }


@pytest.fixture
def db_tasks(settings):
    """Tasks queued in the database, as `manage.py db_worker` takes them."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture
def memo_clock(settings, monkeypatch):
    """The worker's memo (newsroom.memo) on, as in production, with a clock the test
    moves by hand: memo_clock[0] += 2 is two seconds later."""
    from newsroom import memo

    settings.WORKER_MEMO_SECONDS = 2
    clock = [1000.0]
    monkeypatch.setattr(memo.time, "monotonic", lambda: clock[0])
    memo.memo.forget()
    yield clock
    memo.memo.forget()


# Browser tests: Playwright driving the system's Chromium (Debian's `chromium`
# package); Playwright's own browser downloads are never used.
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM:
        pytest.skip(
            "browser tests need Chromium: install it (Debian: apt-get install "
            "chromium) or point CHROMIUM at a Chrome/Chromium binary"
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own
    # database access (in the same thread) is still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    # With that loop running, Django hands out the connections of an async context:
    # other objects than the ones the test database was set up on, without its
    # snapshot of the migrated database (the roles, say) that serialized_rollback
    # restores. Every connection object of the kind gets the snapshot, so that
    # transactional tests restore it and leave no empty database behind.
    from django.db import connections

    for alias in connections:
        snapshot = connections[alias].__dict__.get("_test_serialized_contents")
        if snapshot is not None:
            type(connections[alias])._test_serialized_contents = snapshot
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()
