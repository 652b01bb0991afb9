"""
A worker's short memory of answers that are the same for every reader's page: the
donation appeals a kind of page may show, the site's masthead with its sections, the
footer. Computing them costs a page as much as its story; remembering them costs a
dictionary lookup.

An answer is kept at most WORKER_MEMO_SECONDS, and forgotten at once when this
process changes content or when the page cache's generation moves on (a change
anywhere, with Redis): a page is never cached with older parts than its generation
promises, and a change made elsewhere shows within those seconds. 0 turns it off.

KeptByContent keeps answers by everything they are computed from instead (the
updates of a developing story, articles.parts): nothing to forget, a bounded size.
"""

import threading
import time
from collections import OrderedDict

from django.conf import settings

from newsroom import cache as page_cache


class WorkerMemo:
    def __init__(self):
        self.lock = threading.Lock()
        self.kept = {}

    def get(self, key, compute):
        """The answer kept for `key`, or compute()'s, kept from now."""
        seconds = settings.WORKER_MEMO_SECONDS
        if not seconds:
            return compute()
        version = (page_cache.local_changes, page_cache.local_pages.generation)
        now = time.monotonic()
        with self.lock:
            found = self.kept.get(key)
        if found is not None and found[0] == version and now - found[1] < seconds:
            return found[2]
        value = compute()
        with self.lock:
            if len(self.kept) > 1000:  # kinds of page, not pages: never this many
                self.kept.clear()
            self.kept[key] = (version, now, value)
        return value

    def forget(self):
        with self.lock:
            self.kept.clear()


memo = WorkerMemo()


class KeptByContent:
    """Answers kept by everything they are computed from, at most `size` of them,
    the least recently used forgotten first. A key that holds all an answer reads
    never goes stale: a change makes a new key, and the old answer ages out."""

    def __init__(self, size):
        self.size = size
        self.lock = threading.Lock()
        self.kept = OrderedDict()

    def get(self, key, compute):
        with self.lock:
            found = self.kept.get(key)
            if found is not None:
                self.kept.move_to_end(key)
                return found
        value = compute()
        with self.lock:
            self.kept[key] = value
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return value

    def forget(self):
        with self.lock:
            self.kept.clear()
