"""Answers for pages that do not exist."""

from django.shortcuts import render


def page_not_found(request, message):
    """The site's 404 page, saying what went wrong."""
    return render(request, "404.html", {"message": message}, status=404)
