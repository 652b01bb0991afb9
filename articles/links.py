"""
Links and times as readers and editors see them: the one place that knows how a
path becomes an address that works away from the site, how `reverse()` is
remembered, and how a moment is written in the newsroom's zone and format.
"""

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.formats import date_format


def format_local(moment):
    """A time as the newsroom reads it: in its own time zone, in its own format."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def absolute_url(url):
    """A link that works away from the site (feeds, sitemaps, republished copies,
    social cards): SITE_URL in front of a path. Absolute URLs pass unchanged."""
    if not url or url.startswith(("http://", "https://", "//", "mailto:")):
        return url
    return settings.SITE_URL + (url if url.startswith("/") else f"/{url}")


@functools.lru_cache(maxsize=8192)
def _remembered_reverse(viewname, kwargs, *where):
    return reverse(viewname, kwargs=dict(kwargs))


def url_for(viewname, **kwargs):
    """reverse(), remembered: a list page links to dozens of stories, sections and
    authors, and the URL of one never changes while the URL configuration and
    script prefix stay the same (they are part of the key)."""
    return _remembered_reverse(
        viewname,
        tuple(sorted(kwargs.items())),
        settings.ROOT_URLCONF,
        get_urlconf(),
        get_script_prefix(),
    )
