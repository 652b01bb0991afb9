"""Who sees what: readers see what is published; the staff who may work on
a story also see it before it is, as a preview."""

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from ..models import Article


class PublishedMixin:
    """Readers see published articles and nothing else."""

    def get_queryset(self):
        return Article.objects.published()


def previewer(request):
    """The signed-in staff member asking, who may be shown what readers cannot
    see yet, or None. Only a request with a session can be staff: looking at the
    user of every reader's request would make the page vary by cookie, and
    uncacheable."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    user = request.user
    return user if user.is_active and user.is_staff else None


class PublishedOrStaffMixin:
    """The one rule of every public detail view: readers get what is public; a
    staff member also gets what is not public yet but is theirs to work on (each
    model's `visible_to(user)` says what), as a preview that is never cached nor
    indexed; everyone else gets a 404."""

    def visible(self, user):
        """The rows `user` (None: a reader) may open here."""
        raise NotImplementedError

    def get_queryset(self):
        return self.visible(previewer(self.request))

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context.get("preview"):
            mark_preview(response)
        return response


def mark_preview(response):
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex"
