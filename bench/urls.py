from django.http import HttpResponse
from django.urls import include, path

PAYLOAD = b"<p>" + b"x" * 1_000_000


def baseline(request, size):
    """The cheapest Django page: `size` bytes from memory, through the same
    middleware as every page (but never stored by the page cache)."""
    response = HttpResponse(PAYLOAD[:size], content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("bench/baseline/<int:size>/", baseline),
    path("", include("newsroom.urls")),
]
