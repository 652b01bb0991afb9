"""What everyone gets while the database cannot be reached: a small 503 page with
Retry-After, never a 500, so that readers, crawlers, CDNs and load balancers know
the outage is temporary.

Two hooks, for the two places an error can surface: the middleware catches it in
a view (or the rendering of its template), with DEBUG on as well; the 500 handler
catches it anywhere else (another middleware saving a session, say). The page
itself touches neither the database nor the cache, and is never cached.
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views import defaults

DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds: about how long a database restart or failover takes.
RETRY_AFTER = 30


def database_unavailable():
    response = HttpResponse(
        render_to_string("503.html", {"SITE_NAME": settings.SITE_NAME}), status=503
    )
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable()
        return None


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    """Django's 500 view, except that a database that cannot be reached is a 503."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable()
    return defaults.server_error(request, template_name)
