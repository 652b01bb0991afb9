"""
Caching reader pages: whole responses in Django's cache for anonymous readers, and
HTTP caching headers for a CDN or a micro-cache in front.

A reader page is the same for every reader (no cookies, no per-reader decisions), so
one cached copy serves everyone. Freshness comes from *generation* numbers kept in
the cache, one per subject a page can show (surrogate keys): `site` (everything no
narrower subject covers: the masthead, sections, appeals, quotes...), `listings`
(which stories lists show, and in what order), `story:<pk>` (one story, its updates
and corrections) and `stories` (any story). A page is stored with the generations
of the subjects it showed, and is served only while they are all unchanged: a
change bumps its subjects (invalidate_on), so every worker sharing the cache (Redis)
serves the new page on its next request, while pages that did not show what changed
stay cached (a developing story's update does not make the whole site render
again). Every page depends on `site`. Only the views named by scoped_views() depend
on the stories they loaded (depends_on()) and on `listings`; every other page
depends on `stories`, which any story's change bumps: attribution is never needed
for correctness, only for the win. Scheduled content needs no job either: the time
of the next scheduled change is kept beside the generations, and the first request
after it bumps the site.

Changes made by `queryset.update()` or raw SQL send no signal, so they bump nothing:
such a change reaches cached pages within PAGE_CACHE_SECONDS (bump() by hand).

With the per-process memory cache (no REDIS_URL) a bump reaches only the process
that made the change, so pages are then kept for a few seconds only.

With Redis, each worker also keeps its most asked-for pages in its own memory
(LocalPages) and reads each generation from Redis at most once a second: a hit then
costs no round trip at all, and a change made anywhere is on every worker within a
second (at once on the worker that made it).

The cache is an optimisation, never a dependency: when it fails (Redis down), pages
are served uncached.
"""

import contextvars
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

GENERATION_KEY = "pages:generation"  # the site's; other subjects' end in :subject
SITE = "site"
STORIES = "stories"
LISTINGS = "listings"
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
_scoped_views = set()
# The subjects the page being rendered for the cache showed (depends_on()).
_shown = contextvars.ContextVar("page_subjects", default=None)
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


def story(pk):
    """The subject of one story: its page, card, updates and corrections."""
    return f"story:{pk}"


def generation_key(subject):
    return GENERATION_KEY if subject == SITE else f"{GENERATION_KEY}:{subject}"


def scoped_views(*names):
    """Views (by name, "app:name") whose pages show only the site, lists of stories
    and the stories they load: they depend on `site`, `listings` and the subjects
    noted with depends_on() while they render, not on every story."""
    _scoped_views.update(names)


def is_scoped(view_name):
    return view_name in _scoped_views


def depends_on(*subjects):
    """Note that the page being rendered for the cache shows these subjects."""
    shown = _shown.get()
    if shown is not None:
        shown.update(subjects)


def invalidate_on(*models, subjects=None):
    """Bump the generations of what a change to one of these models shows:
    subjects(instance), the site by default. A change to their many-to-many
    relations bumps the site."""

    def changed(sender, instance, **kwargs):
        _bump(*(subjects(instance) if subjects else ()))

    def related(**kwargs):
        _bump()

    for model in models:
        for signal in (post_save, post_delete):
            signal.connect(
                changed,
                sender=model,
                weak=False,
                dispatch_uid=f"pages-{model._meta.label}",
            )
    for model in models:
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                related,
                sender=field.remote_field.through,
                weak=False,
                dispatch_uid=f"pages-m2m-{field.remote_field.through._meta.label}",
            )


def _bump(*subjects):
    bump(*subjects)
    # A reader asking between this change and its commit would have the old content
    # rendered and stored under the new generations (and the hottest page is the
    # likeliest to be asked for then): move on once more when it is committed.
    transaction.on_commit(lambda: bump(*subjects))


def bump(*subjects):
    """New generations for these subjects (the site, so every page, by default):
    every cached page that showed one is stale from now on. `site` or `stories`
    moves first, so that a render that reads the generations in between is not
    stored (see PageCacheMiddleware.store)."""
    global local_changes
    subjects = list(dict.fromkeys(subjects or [SITE]))
    first = SITE if SITE in subjects else STORIES
    subjects = [first, *(subject for subject in subjects if subject != first)]
    local_changes += 1
    local_pages.forget(subjects)
    try:
        for subject in subjects:
            try:
                cache.incr(generation_key(subject))
            except ValueError:
                cache.add(generation_key(subject), 1, timeout=None)
        cache.delete(NEXT_CHANGE_KEY)
    except Exception:  # noqa: BLE001 (the cache is optional: fail open)
        logger.warning("Page cache unavailable; pages are served uncached.")


def next_scheduled_change():
    moments = [moment for moment in (f() for f in _schedules) if moment]
    return min(moments, default=None)


def generations(subjects):
    """{subject: generation} from the cache, in one round trip (0: never bumped),
    moving the site on first when scheduled content is due."""
    keys = {generation_key(subject): subject for subject in subjects}
    state = cache.get_many([*keys, NEXT_CHANGE_KEY])
    if breaker.is_open():
        raise ConnectionError("The cache is skipped for now.")
    next_change = state.get(NEXT_CHANGE_KEY, "unknown")
    if next_change == "unknown":
        moment = next_scheduled_change()
        cache.set(NEXT_CHANGE_KEY, moment.timestamp() if moment else None, timeout=None)
    elif next_change is not None and timezone.now().timestamp() >= next_change:
        bump()
        return generations(subjects)
    return {subject: state.get(key, 0) for key, subject in keys.items()}


def is_current(recorded):
    """Whether a page stored with these generations ({subject: generation}) may
    still be served."""
    now = generations(recorded)
    return all(now[subject] == value for subject, value in recorded.items())


NEVER = (0, float("-inf"))  # (generation, read at) of a subject not read yet


class LocalPages:
    """A worker's own copy of the shared cache's hottest pages, in front of Redis:
    each subject's generation is read from Redis at most every
    `generation_seconds` (all those a page needs in one round trip); pages are kept
    pickled, no longer than in the shared cache, and at most `size` of them and
    `max_bytes` in all, least recently used out first, so a worker's memory stays
    flat whatever the archive. Used only with a shared cache."""

    def __init__(self, size=256, max_bytes=32 * 1024 * 1024, generation_seconds=1.0):
        self.size = size
        self.max_bytes = max_bytes
        self.generation_seconds = generation_seconds
        self.lock = threading.Lock()
        self.known = {}  # subject: (generation, read at)
        # (site, stories) as last read: moves on with any change (newsroom.memo).
        self.generation = None
        self.clear()

    def clear(self):
        with self.lock:
            self.pages = OrderedDict()  # key: (expires at, generations, pickled)
            self.bytes = 0
            self.reads = OrderedDict()  # path key: (generations, query names read)

    def forget(self, subjects=None):
        """Read these subjects' generations (all, by default) again when next asked."""
        with self.lock:
            if subjects is None:
                self.known = {}
            for subject in subjects or ():
                self.known.pop(subject, None)

    def generations(self, subjects, fresh=False):
        """generations(), each read again only if older than generation_seconds
        (or `fresh`), and noted."""
        now = time.monotonic()
        with self.lock:
            known = dict(self.known)
        due = [
            subject
            for subject in subjects
            if fresh or now - known.get(subject, NEVER)[1] >= self.generation_seconds
        ]
        if due:
            read = generations([*due, SITE, STORIES])
            with self.lock:
                if len(self.known) > 20 * self.size:
                    self.known = {}
                for subject, generation in read.items():
                    self.known[subject] = known[subject] = (generation, now)
                self.generation = (read[SITE], read[STORIES])
        return {subject: known[subject][0] for subject in subjects}

    def is_current(self, recorded):
        if not recorded:
            return True
        now = self.generations(recorded)
        return all(now[subject] == value for subject, value in recorded.items())

    def get(self, key):
        """(generations, response) kept for key, if it is still current."""
        with self.lock:
            found = self.pages.get(key)
            if found is None:
                return None
            if time.monotonic() >= found[0]:
                self._drop(key)
                return None
            self.pages.move_to_end(key)
        if not self.is_current(found[1]):
            return None
        return found[1], pickle.loads(found[2])  # noqa: S301 (our own pages)

    def set(self, key, recorded, response, timeout):
        data = pickle.dumps(response, pickle.HIGHEST_PROTOCOL)
        if len(data) > self.max_bytes:
            return
        with self.lock:
            if key in self.pages:
                self._drop(key)
            self.pages[key] = (time.monotonic() + timeout, recorded, data)
            self.bytes += len(data)
            while len(self.pages) > self.size or self.bytes > self.max_bytes:
                self._drop(next(iter(self.pages)))

    def _drop(self, key):
        self.bytes -= len(self.pages.pop(key)[2])

    def get_read(self, key):
        with self.lock:
            return self.reads.get(key)

    def set_read(self, key, entry):
        with self.lock:
            self.reads[key] = entry
            while len(self.reads) > self.size:
                self.reads.popitem(last=False)


local_pages = LocalPages()


def _digest(raw):
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def path_key(request):
    """Where the query parameters the page's view read are kept, by path."""
    raw = f"{request.method}:{request.get_host()}:{request.path}"
    return f"pages:read:{_digest(raw)}"


def page_key(request, read=ALL):
    """A page's key: its path and the values of the query parameters its view
    read (`read`, sorted names; ALL: the whole query string). Parameters no view
    reads (utm_source, junk) then share the page's one copy."""
    if read == ALL:
        query = request.META.get("QUERY_STRING", "")
    else:
        query = repr([(name, request.GET.getlist(name)) for name in read])
    raw = f"{request.method}:{request.get_host()}:{request.path}?{query}"
    return f"pages:page:{_digest(raw)}"


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
    generations for every worker), a few seconds with a per-process one."""
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
            cached = self.lookup(request, shared)
            if cached is None:
                start = self.generations([SITE, STORIES], shared)
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
        shown = _shown.set(set())
        try:
            response = self.get_response(request)
        finally:
            subjects = _shown.get()
            _shown.reset(shown)
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
            match = request.resolver_match
            if match is not None and is_scoped(match.view_name):
                subjects = {SITE, LISTINGS, *subjects}
            else:
                subjects = {SITE, STORIES}
            self.store(request, response, read, start, subjects, shared)
            response["X-Cache"] = "miss"
        return response

    @staticmethod
    def generations(subjects, shared):
        """The generations as they are now (read from the cache)."""
        if shared:
            return local_pages.generations(subjects, fresh=True)
        return generations(subjects)

    def lookup(self, request, shared):
        """The cached response, if its generations are still current."""
        current = local_pages.is_current if shared else is_current
        entry = local_pages.get_read(path_key(request)) if shared else None
        if entry is None or not current(entry[0]):
            entry = cache.get(path_key(request))
        read = entry[1] if entry is not None and current(entry[0]) else ALL
        key = page_key(request, read)
        found = local_pages.get(key) if shared else None
        if found is None:
            found = cache.get(key)
            if found is None or not current(found[0]):
                return None
            if shared and found[1].status_code != 404:
                local_pages.set(key, found[0], found[1], page_timeout())
        return found[1]

    def store(self, request, response, read, start, subjects, shared):
        """Keep the page with the generations of the subjects it showed, unless any
        moved on while it rendered: it may have shown the content from before."""
        timeout = page_timeout()
        if response.status_code == 404:
            timeout = min(timeout, NOT_FOUND_SECONDS)
        try:
            now = self.generations([*subjects, STORIES], shared)
            if now[SITE] != start[SITE] or now[STORIES] != start[STORIES]:
                return
            recorded = {subject: now[subject] for subject in subjects}
            cache.set(path_key(request), (recorded, read), page_timeout())
            cache.set(page_key(request, read), (recorded, response), timeout)
            if shared and response.status_code != 404:
                # Not found pages stay out of the worker's memory, where junk
                # addresses would push out the pages readers ask for.
                local_pages.set(page_key(request, read), recorded, response, timeout)
                local_pages.set_read(path_key(request), (recorded, read))
        except Exception:  # noqa: BLE001
            logger.warning("Page cache unavailable; %s not stored.", request.path)


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
