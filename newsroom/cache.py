"""
Caching reader pages: whole responses in Django's cache for anonymous readers, and
HTTP caching headers for a CDN or a micro-cache in front.

A reader page is the same for every reader (no cookies, no per-reader decisions), so
one cached copy serves everyone. Freshness comes from a *generation* number kept in
the cache: every page is stored under the current generation, and any change to
content (an article published, an update posted, a correction, a quote or an appeal
edited) bumps it, so every worker sharing the cache (Redis) serves the new page on
its next request. Scheduled content needs no job either: the time of the next
scheduled change is kept beside the generation, and the first request after it
bumps the generation.

With the per-process memory cache (no REDIS_URL) a bump reaches only the process
that made the change, so pages are then kept for a few seconds only.

With Redis, each worker also keeps its most asked-for pages in its own memory
(LocalPages) and reads the generation from Redis at most once a second: a hit then
costs no round trip at all, and a change made anywhere is on every worker within a
second (at once on the worker that made it).

The cache is an optimisation, never a dependency: when it fails (Redis down), pages
are served uncached.
"""

import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict
from importlib import import_module

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import QueryDict
from django.utils import timezone
from django.utils.cache import (
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)

logger = logging.getLogger(__name__)

GENERATION_KEY = "pages:generation"
NEXT_CHANGE_KEY = "pages:next-change"
# Paths whose responses are never stored: staff, previews, per-request endpoints.
UNCACHED_PREFIXES = (
    "/admin/",
    "/accounts/",
    "/preview/",
    "/editor/",
    "/healthz",
    "/readyz",
)
MAX_QUERY_STRING = 200
# A page not found is kept this long only: junk addresses are endless.
NOT_FOUND_SECONDS = 30
ALL = "all"

_schedules = []
# Changes this process has seen (bump()), for its own short-lived memos to compare.
local_changes = 0


class _ReusedClient(RedisCacheClient):
    """Django's client builds a new redis.Redis (with its table of ~170 response
    callbacks) for every command: a fifth of a cached page's time. One per pool,
    kept, is as safe: redis.Redis is thread-safe and the pool does the sharing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class CircuitBreaker:
    """After Redis fails (down, or frozen past the socket timeout), the cache acts
    empty for `seconds` without asking it, so that every request does not wait
    out the timeout again; then one request tries it, and so on."""

    def __init__(self, seconds=5.0):
        self.seconds = seconds
        self.open_until = float("-inf")

    def is_open(self):
        return time.monotonic() < self.open_until

    def trip(self, error):
        if not self.is_open():
            logger.warning(
                "Redis failed (%s); the cache is skipped for %ss.", error, self.seconds
            )
        self.open_until = time.monotonic() + self.seconds


breaker = CircuitBreaker()

# What each command answers while the breaker is open: an empty cache.
_EMPTY = {
    "add": False,
    "get": None,
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "set_many": [],
    "delete_many": None,
    "clear": False,
}


def _guarded(name):
    command = getattr(_ReusedClient, name)

    def method(self, *args, **kwargs):
        empty = (
            kwargs.get("default", args[1] if len(args) > 1 else None)
            if name == "get"
            else _EMPTY.get(name)
        )
        if breaker.is_open():
            if name == "incr":
                raise ValueError("The cache is skipped for now.")
            return empty
        try:
            return command(self, *args, **kwargs)
        except redis.exceptions.RedisError as error:
            breaker.trip(error)
            if name == "incr":
                raise ValueError("The cache is skipped for now.") from error
            return empty

    return method


class _GuardedClient(_ReusedClient):
    pass


for _command in [*_EMPTY, "incr"]:
    setattr(_GuardedClient, _command, _guarded(_command))


class NewsroomRedisCache(RedisCache):
    """Django's Redis cache backend with the client kept, behind a circuit
    breaker (settings.CACHES): a Redis that is down or frozen costs one timeout
    every few seconds, not one per request."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _GuardedClient


def schedule(function):
    """Register a function returning the next time (or None) at which published
    content changes by itself (a scheduled article, an appeal's start or end)."""
    _schedules.append(function)
    return function


def invalidate_on(*models):
    """Bump the page generation whenever one of these models changes."""
    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                _bump, sender=model, dispatch_uid=f"pages-{model._meta.label}"
            )
    for model in models:
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                _bump,
                sender=field.remote_field.through,
                dispatch_uid=f"pages-m2m-{field.remote_field.through._meta.label}",
            )


def _bump(**kwargs):
    bump()
    # A reader asking between this change and its commit would have the old content
    # rendered and stored under the new generation (and the hottest page is the
    # likeliest to be asked for then): move on once more when it is committed.
    transaction.on_commit(bump)


def bump():
    """A new generation: every cached page is stale from now on."""
    global local_changes
    local_changes += 1
    local_pages.forget()
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:
            cache.add(GENERATION_KEY, 1, timeout=None)
        cache.delete(NEXT_CHANGE_KEY)
    except Exception:  # noqa: BLE001 (the cache is optional: fail open)
        logger.warning("Page cache unavailable; pages are served uncached.")


def next_scheduled_change():
    moments = [moment for moment in (f() for f in _schedules) if moment]
    return min(moments, default=None)


def current_generation():
    """The generation to read and write pages under, moving it on when scheduled
    content is due."""
    state = cache.get_many([GENERATION_KEY, NEXT_CHANGE_KEY])
    generation = state.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        generation = cache.get(GENERATION_KEY, 1)
    next_change = state.get(NEXT_CHANGE_KEY, "unknown")
    now = timezone.now().timestamp()
    if next_change == "unknown":
        moment = next_scheduled_change()
        cache.set(NEXT_CHANGE_KEY, moment.timestamp() if moment else None, timeout=None)
    elif next_change is not None and now >= next_change:
        bump()
        return current_generation()
    return generation


class LocalPages:
    """A worker's own copy of the shared cache's hottest pages, in front of Redis:
    the generation is read from Redis at most every `generation_seconds`; pages are
    kept pickled, no longer than in the shared cache, and at most `size` of them and
    `max_bytes` in all, least recently used out first, so a worker's memory stays
    flat whatever the archive. Used only with a shared cache."""

    def __init__(self, size=256, max_bytes=32 * 1024 * 1024, generation_seconds=1.0):
        self.size = size
        self.max_bytes = max_bytes
        self.generation_seconds = generation_seconds
        self.lock = threading.Lock()
        self.forget()

    def forget(self):
        with self.lock:
            self.generation = None
            self.read_at = float("-inf")
            self.pages = OrderedDict()  # key: (expires at, pickled response)
            self.bytes = 0
            self.reads = OrderedDict()  # path key: the query names its view read

    def current_generation(self):
        now = time.monotonic()
        if now - self.read_at >= self.generation_seconds:
            generation = current_generation()
            if generation != self.generation:
                self.forget()
            with self.lock:
                self.generation, self.read_at = generation, now
        return self.generation

    def get(self, key):
        with self.lock:
            found = self.pages.get(key)
            if found is None:
                return None
            if time.monotonic() >= found[0]:
                self._drop(key)
                return None
            self.pages.move_to_end(key)
        return pickle.loads(found[1])  # noqa: S301 (our own pages, from our own cache)

    def set(self, key, response, timeout):
        data = pickle.dumps(response, pickle.HIGHEST_PROTOCOL)
        if len(data) > self.max_bytes:
            return
        with self.lock:
            if key in self.pages:
                self._drop(key)
            self.pages[key] = (time.monotonic() + timeout, data)
            self.bytes += len(data)
            while len(self.pages) > self.size or self.bytes > self.max_bytes:
                self._drop(next(iter(self.pages)))

    def _drop(self, key):
        self.bytes -= len(self.pages.pop(key)[1])

    def get_read(self, key):
        with self.lock:
            return self.reads.get(key)

    def set_read(self, key, read):
        with self.lock:
            self.reads[key] = read
            while len(self.reads) > self.size:
                self.reads.popitem(last=False)


local_pages = LocalPages()


def _digest(raw):
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def path_key(generation, request):
    """Where the query parameters the page's view read are kept, by path."""
    raw = f"{request.method}:{request.get_host()}:{request.path}"
    return f"pages:{generation}:read:{_digest(raw)}"


def page_key(generation, request, read=ALL):
    """A page's key: its path and the values of the query parameters its view
    read (`read`, sorted names; ALL: the whole query string). Parameters no view
    reads (utm_source, junk) then share the page's one copy."""
    if read == ALL:
        query = request.META.get("QUERY_STRING", "")
    else:
        query = repr([(name, request.GET.getlist(name)) for name in read])
    raw = f"{request.method}:{request.get_host()}:{request.path}?{query}"
    return f"pages:{generation}:{_digest(raw)}"


class ReadQuery(QueryDict):
    """request.GET, noting which parameters the view reads: by name, or all of
    them (iterating, counting, copying...)."""

    read = None

    def _note(self, key):
        if isinstance(self.read, set):  # copies the view makes note nothing
            self.read.add(key)

    def _all(self):
        if isinstance(self.read, set):
            self.read = ALL

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


def _reading_all(name):
    original = getattr(QueryDict, name)

    def method(self, *args, **kwargs):
        self._all()
        return original(self, *args, **kwargs)

    return method


for _name in (
    "__iter__",
    "__len__",
    "keys",
    "items",
    "values",
    "lists",
    "dict",
    "urlencode",
    "copy",
    "__copy__",
    "__deepcopy__",
    "__reduce__",
):
    setattr(ReadQuery, _name, _reading_all(_name))


def noting_reads(request):
    """Give the view a request.GET that notes what it reads; returns the set."""
    query = request.GET.copy()
    query.__class__ = ReadQuery
    query.read = set()
    query._mutable = False
    request.GET = query
    return query


def is_reader_request(request):
    """Anonymous readers only: anyone with a valid session (staff) or a CSRF
    cookie (a form user) gets a fresh page. A session cookie that names no
    session (made up, or expired) is a reader's: it cannot buy a fresh render."""
    return (
        request.method in ("GET", "HEAD")
        and not has_valid_session(request)
        and settings.CSRF_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith(UNCACHED_PREFIXES)
    )


def has_valid_session(request):
    key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not key:
        return False
    cached = getattr(request, "_has_valid_session", None)
    if cached is None:
        engine = import_module(settings.SESSION_ENGINE)
        try:
            cached = bool(engine.SessionStore(key).load())
        except Exception:  # noqa: BLE001 (a store that is down: no staff page)
            cached = False
        request._has_valid_session = cached
    return cached


def is_shareable(response):
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code in (200, 301, 404)
        and not response.cookies
        and not response.streaming
        and "private" not in cache_control
        and "no-store" not in cache_control
        and "no-cache" not in cache_control
        and "Cookie" not in response.get("Vary", "")
    )


def page_timeout():
    """How long a page may be kept: long with a shared cache (changes bump the
    generation for every worker), a few seconds with a per-process one."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache"):
        return settings.PAGE_CACHE_LOCAL_SECONDS
    return settings.PAGE_CACHE_SECONDS


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.PAGE_CACHE_SECONDS or not is_reader_request(request):
            return self.get_response(request)
        shared = not settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
        try:
            generation = (
                local_pages.current_generation() if shared else current_generation()
            )
            read = (
                local_pages.get_read(path_key(generation, request)) if shared else None
            )
            if read is None:
                read = cache.get(path_key(generation, request), ALL)
            key = page_key(generation, request, read)
            cached = local_pages.get(key) if shared else None
            if cached is None:
                cached = cache.get(key)
                if cached is not None and shared and cached.status_code != 404:
                    local_pages.set(key, cached, page_timeout())
        except Exception:  # noqa: BLE001 (the cache is optional: fail open)
            logger.warning("Page cache unavailable; serving %s uncached.", request.path)
            local_pages.forget()
            return self.get_response(request)
        if shared and breaker.is_open():
            return self.get_response(request)
        if cached is not None:
            cached["X-Cache"] = "hit"
            return cached
        query = noting_reads(request)
        response = self.get_response(request)
        read = sorted(query.read) if isinstance(query.read, set) else ALL
        if read == ALL and len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            # A view that reads the whole query (search), sent a long one: junk.
            return response
        if is_shareable(response):
            if hasattr(response, "render") and callable(response.render):
                response.render()
            # Hashed once here rather than by ConditionalGetMiddleware on every hit.
            if not response.has_header("ETag"):
                set_response_etag(response)
            timeout = page_timeout()
            if response.status_code == 404:
                timeout = min(timeout, NOT_FOUND_SECONDS)
            try:
                cache.set(path_key(generation, request), read, page_timeout())
                cache.set(page_key(generation, request, read), response, timeout)
                if shared and response.status_code != 404:
                    # Not found pages stay out of the worker's memory, where junk
                    # addresses would push out the pages readers ask for.
                    local_pages.set(
                        page_key(generation, request, read), response, timeout
                    )
                    local_pages.set_read(path_key(generation, request), read)
            except Exception:  # noqa: BLE001
                logger.warning("Page cache unavailable; %s not stored.", request.path)
            response["X-Cache"] = "miss"
        return response


class ReaderCacheHeadersMiddleware:
    """Cache-Control for a CDN or micro-cache in front. Kept short on purpose: a
    CDN we cannot purge must never hold old news for long; `stale-while-revalidate`
    lets it answer at once while it fetches the new page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" in response:
            return response
        if not is_reader_request(request) or response.cookies:
            # A page rendered for someone signed in (or sent a cookie): only that
            # browser may keep it, and must ask again before showing it. Without
            # this, a CDN that caches HTML by default could hand it to readers.
            patch_cache_control(response, private=True, no_cache=True)
            return response
        if response.status_code not in (200, 301, 404):
            return response
        seconds = getattr(response, "shared_max_age", settings.READER_PAGE_MAX_AGE)
        patch_cache_control(
            response,
            public=True,
            max_age=0,
            s_maxage=seconds,
            stale_while_revalidate=seconds,
        )
        patch_vary_headers(response, ["Accept-Encoding"])
        return response
