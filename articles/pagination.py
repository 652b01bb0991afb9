"""
Pages of stories, newest first, that cost the same at any depth of the archive.

Django's Paginator asks for "page N": it counts every matching row on every page
(COUNT(*)) and skips the first (N - 1) × size rows (OFFSET), both of which grow with
the archive, and a story published while a reader pages shifts every page by one.
Here a page starts after the last story of the page before ("keyset" pagination):
the link to older stories carries that story's publish time and id, and the query
reads on from there down the (published_at, id) index. Page 5,000 costs what page 1
costs, and nothing is shown twice or skipped when news breaks.

What readers lose is "page 7 of 312", which a news site does not need: the date
archives (/2021/, /2021/03/) are the way into the past.
"""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.utils.functional import cached_property
from django.utils.translation import gettext as _


class PageNotFound(Exception):
    """A link to a page that does not exist (or no longer does): shown as a 404 with
    this message."""


class FirstPage(Exception):  # noqa: N818 (an outcome, not an error)
    """Nothing is newer than the page asked for: it is the first page."""


class Cursor:
    """A position in the newest-first order: just after (or before) one story."""

    def __init__(self, published_at, pk):
        self.published_at = published_at
        self.pk = pk

    @classmethod
    def of(cls, article):
        return cls(article.published_at, article.pk)

    @classmethod
    def parse(cls, value):
        moment, _sep, pk = value.rpartition("_")
        try:
            published_at = datetime.fromisoformat(moment)
            pk = int(pk)
        except ValueError:
            raise PageNotFound(_("That page of stories does not exist.")) from None
        if published_at.tzinfo is None or pk < 1:
            raise PageNotFound(_("That page of stories does not exist."))
        return cls(published_at, pk)

    def __str__(self):
        moment = self.published_at.astimezone(UTC).isoformat(timespec="microseconds")
        return f"{moment.replace('+00:00', 'Z')}_{self.pk}"


class KeysetPage:
    """One page of stories with the links to its neighbours (for ListView, in place
    of a Paginator's page)."""

    def __init__(self, object_list, newer=None, older=None):
        self.object_list = object_list
        self.newer = newer
        self.older = older

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def has_previous(self):
        return self.newer is not None

    def has_next(self):
        return self.older is not None

    def has_other_pages(self):
        return self.has_previous() or self.has_next()

    @cached_property
    def newer_query(self):
        return "?" + urlencode({"after": str(self.newer)}) if self.newer else ""

    @cached_property
    def older_query(self):
        return "?" + urlencode({"before": str(self.older)}) if self.older else ""


def paginate(queryset, size, params, allow_empty=True, empty_message=""):
    """The page of `queryset` that the query string `params` asks for: the newest
    stories, or those just older than ?before=, or just newer than ?after=.

    Raises PageNotFound for a cursor that is malformed or leads nowhere, and
    FirstPage when ?after= reaches the newest stories (the caller redirects to the
    plain address, so the first page has one URL)."""
    if "before" in params:
        cursor = Cursor.parse(params["before"])
        rows = list(
            queryset.filter(published_at__lte=cursor.published_at)
            .exclude(published_at=cursor.published_at, pk__gte=cursor.pk)
            .order_by("-published_at", "-pk")[: size + 1]
        )
        if not rows:
            raise PageNotFound(_("There are no older stories."))
        items = rows[:size]
        older = Cursor.of(items[-1]) if len(rows) > size else None
        return KeysetPage(items, newer=Cursor.of(items[0]), older=older)
    if "after" in params:
        cursor = Cursor.parse(params["after"])
        rows = list(
            queryset.filter(published_at__gte=cursor.published_at)
            .exclude(published_at=cursor.published_at, pk__lte=cursor.pk)
            .order_by("published_at", "pk")[: size + 1]
        )
        if len(rows) <= size:
            raise FirstPage
        items = rows[:size][::-1]
        return KeysetPage(items, newer=Cursor.of(items[0]), older=Cursor.of(items[-1]))
    rows = list(queryset.order_by("-published_at", "-pk")[: size + 1])
    if not rows and not allow_empty:
        raise PageNotFound(empty_message)
    items = rows[:size]
    older = Cursor.of(items[-1]) if len(rows) > size else None
    return KeysetPage(items, older=older)
