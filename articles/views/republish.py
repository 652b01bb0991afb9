"""Republishing: the copy partners paste, and the pixel that counts its views."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import DetailView

from richtext.republish import for_republishing

from ..links import absolute_url
from ..models import RepublishCount
from .access import PublishedMixin
from .errors import page_not_found


class RepublishView(PublishedMixin, DetailView):
    """Copyable HTML of a story for other sites, under its Creative Commons licence:
    headline, byline, body, the attribution with a link to the original, and the
    counting pixel. Images the newsroom may not pass on are left out."""

    template_name = "articles/republish.html"
    context_object_name = "article"

    def get_queryset(self):
        return super().get_queryset().for_list(body=True)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if request.path != self.object.get_republish_url():
            return redirect(self.object.get_republish_url(), permanent=True)
        if not self.object.may_be_republished():
            return page_not_found(
                request, _("This story is not licensed for republishing.")
            )
        article = self.object
        image = article.featured_image
        copy = render_to_string(
            "articles/includes/_republish_copy.html",
            {
                "article": article,
                "url": absolute_url(article.get_absolute_url()),
                "body": for_republishing(
                    article.body, absolute_url(article.get_absolute_url())
                ),
                "image": image if image and image.may_redistribute else None,
                "pixel": absolute_url(
                    reverse("articles:republish-pixel", kwargs={"pk": article.pk})
                ),
            },
            request=self.request,
        )
        # Built by the template engine, with the escaping of every page: the copy
        # is pasted into other sites' pages as it is.
        canonical_tag = render_to_string(
            "articles/includes/_republish_canonical.html",
            {
                "canonical": article.canonical_url
                or absolute_url(article.get_absolute_url())
            },
        )
        response = self.render_to_response(
            self.get_context_data(
                copy=copy.strip(),
                canonical_tag=canonical_tag.strip(),
                left_out_images=bool(image and not image.may_redistribute)
                or "<img" in article.body,
            )
        )
        response["X-Robots-Tag"] = "noindex"
        return response


# A transparent 1×1 GIF.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00"
    b"\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# The largest id a row may have (PostgreSQL's bigint).
MAX_ID = 2**63 - 1
HOST_NAME = re.compile(r"[a-z0-9-]+(\.[a-z0-9-]+)*")


def referring_host(request):
    """The host name of the page showing the copy, from the Referer header ("" when
    there is none, it is junk, or it is this site)."""
    try:
        host = (urlsplit(request.headers.get("Referer", "")).hostname or "").rstrip(".")
    except ValueError:
        return ""
    if len(host) > 253 or not HOST_NAME.fullmatch(host):
        return ""
    if host == urlsplit(settings.SITE_URL).hostname:
        return ""
    return host


@require_safe
@never_cache
def republish_pixel(request, pk):
    """The image in a republished copy: each view adds one to the article's count
    for that site and day. Nothing about the reader is kept: no cookie, no address;
    of the request only the referring site's host name is read."""
    if pk > MAX_ID:
        raise Http404(_("No such story."))
    if request.method == "GET":
        RepublishCount.objects.record(pk, referring_host(request))
    response = HttpResponse(PIXEL, content_type="image/gif")
    # Other sites embed it, some behind Cross-Origin-Embedder-Policy.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
