"""Developing stories and corrections: the polling endpoint behind "N new
updates", the archive of updates, the corrections page."""

from datetime import UTC

from django.db.models import Max, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, ListView

from ..models import UPDATES_ON_PAGE, Article, Correction

# render per story per interval (behind a cache); short enough to feel live.
UPDATES_MAX_AGE = 15


@require_GET
def updates_since(request, slug):
    """The updates of a developing story published after `since` (ISO 8601), as the
    same markup the article page renders, for the live-updates script."""
    article = get_object_or_404(Article.objects.published(), slug=slug)
    raw = request.GET.get("since", "")
    try:
        since = parse_datetime(raw)
        # In UTC: PostgreSQL takes offsets up to 15:59, Python's up to 23:59.
        since = since.astimezone(UTC) if since and timezone.is_aware(since) else None
    except (ValueError, OverflowError):
        since = None
    if since is None:
        return JsonResponse(
            {"error": _("Give `since` as an ISO 8601 time with its time zone.")},
            status=400,
        )
    visible = article.updates.visible()
    latest = visible.aggregate(latest=Max("published_at"))["latest"]
    last_modified = max(filter(None, [latest, article.published_at]))
    etag = f'"{article.pk}-{last_modified.timestamp()}-{since.timestamp()}"'
    not_modified = get_conditional_response(
        request, etag=etag, last_modified=int(last_modified.timestamp())
    )
    if not_modified is None:
        new = (
            visible.filter(published_at__gt=since, pinned=False)
            .select_related("author")
            .order_by("-published_at", "-pk")
        )
        html = "".join(
            render_to_string(
                "articles/includes/_update_item.html", {"update": update}, request
            )
            for update in new
        )
        response = JsonResponse(
            {
                "count": len(new),
                "latest": (new[0].published_at if new else since).isoformat(),
                "html": html,
            }
        )
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified.timestamp())
    else:
        response = not_modified
    patch_cache_control(response, public=True, max_age=UPDATES_MAX_AGE)
    return response


class UpdateArchiveView(DetailView):
    """Every update of a story, newest first, 50 to a page, for readers who want
    what came before the latest ones shown on the article."""

    template_name = "articles/updates_archive.html"
    context_object_name = "article"

    def get_queryset(self):
        return Article.objects.published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        updates = (
            self.object.updates.visible()
            .filter(pinned=False)
            .select_related("author")
            .order_by("-published_at", "-pk")
        )
        before = self.request.GET.get("before")
        if before is not None:
            # The cursor is the last update of the previous page: any junk is a 404.
            if not before.isdigit():
                raise Http404(_("No such update."))
            cursor = get_object_or_404(updates, pk=before)
            updates = updates.filter(
                Q(published_at__lt=cursor.published_at)
                | Q(published_at=cursor.published_at, pk__lt=cursor.pk)
            )
        page = list(updates[: UPDATES_ON_PAGE + 1])
        context["updates"] = page[:UPDATES_ON_PAGE]
        context["has_older"] = len(page) > UPDATES_ON_PAGE
        return context


class CorrectionListView(ListView):
    """Every correction, clarification, editor's note and retraction, newest first:
    the newsroom's public record of its mistakes."""

    template_name = "articles/corrections.html"
    context_object_name = "corrections"
    paginate_by = 30

    def get_queryset(self):
        return Correction.objects.published().select_related("article")
