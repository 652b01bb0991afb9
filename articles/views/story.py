"""The story page, and drafts shown through signed preview links."""

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView

from .. import parts, structured_data
from ..models import Article, OldSlug
from .access import PublishedOrStaffMixin, mark_preview, previewer

PREVIEW_SALT = "articles.preview"


class ArticleDetailView(PublishedOrStaffMixin, DetailView):
    context_object_name = "article"
    template_name = "articles/article_detail.html"

    def visible(self, user):
        # Staff preview drafts, scheduled and unpublished articles at their URL,
        # if they may work on them (Article.objects.visible_to).
        if user is None:
            return Article.objects.published()
        return Article.objects.for_page().visible_to(user)

    def get_object(self, queryset=None):
        self.loaded = previewer(self.request) is not None
        if self.loaded:
            return super().get_object(queryset)
        # Readers: the row alone, whose stored parts (articles.parts) hold the rest.
        article = Article.objects.reader_page(self.kwargs["slug"])
        if article is None:
            raise Http404(_("No article found matching the query"))
        return article

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            # A slug the article had before: its old links keep working, for good.
            moved = (
                OldSlug.objects.filter(
                    slug=kwargs["slug"], article__in=self.get_queryset().values("pk")
                )
                .select_related("article")
                .first()
            )
            if moved is None:
                raise
            return redirect(moved.article, permanent=True)
        # The slug identifies the article; the date in the URL is for readers. A link
        # with the wrong date still finds the story, at its one canonical address.
        if request.path != self.object.get_absolute_url():
            return redirect(self.object, permanent=True)
        response = self.render_story(self.object, loaded=self.loaded)
        if self.object.is_published() and self.object.developing:
            response.shared_max_age = settings.DEVELOPING_PAGE_MAX_AGE
        return response

    def story_context(self, article, loaded):
        """The context of a story's page: its stored parts (articles.parts) and
        what changes by itself."""
        story, self.object = parts.story(article, loaded=loaded)
        preview = not self.object.is_published()
        data = None
        if not preview:
            data = structured_data.with_story_events(
                story["ld"], self.object, parts.update_data
            )
        return self.get_context_data(
            object=self.object,
            preview=preview,
            # For the staff who can fix them; not for a reviewer with a link.
            placement_warnings=(
                self.object.placements_past_the_end()
                if preview and previewer(self.request) is not None
                else []
            ),
            story=story,
            structured_data=data,
            related=parts.with_cards(self.object.related_articles),
        )

    def render_story(self, article, loaded):
        return self.render_to_response(self.story_context(article, loaded))


def preview_link_for(article):
    token = signing.dumps(
        {"article": article.pk, "generation": article.preview_generation},
        salt=PREVIEW_SALT,
    )
    return reverse("articles:preview", kwargs={"token": token})


def preview_unavailable(request, status, heading, explanation):
    """Why a preview link shows nothing, in words for the outside reviewer who
    followed it (never the generic "page not found")."""
    response = render(
        request,
        "articles/preview_unavailable.html",
        {"heading": heading, "explanation": explanation},
        status=status,
    )
    mark_preview(response)
    return response


@never_cache
def preview(request, token):
    """A draft shown to someone without an account, through an expiring signed link
    that editors can revoke (Article.revoke_preview_links). A link that no longer
    works says why, with 410 Gone when it once worked."""
    ask = _("Ask the newsroom for a new one.")
    try:
        data = signing.loads(
            token, salt=PREVIEW_SALT, max_age=settings.PREVIEW_LINK_MAX_AGE
        )
    except signing.SignatureExpired:
        return preview_unavailable(
            request, 410, _("This preview link has expired"), ask
        )
    except signing.BadSignature:
        return preview_unavailable(
            request,
            404,
            _("This preview link is not valid"),
            _(
                "The address may have been cut short or changed when it was copied. "
                "Check it, or ask the newsroom for a new link."
            ),
        )
    pk, generation = data.get("article"), data.get("generation", 0)
    article = Article.objects.for_page().filter(pk=pk).first()
    if article is None:
        return preview_unavailable(
            request,
            410,
            _("This story is no longer available"),
            _("The newsroom has removed the story this link was made for."),
        )
    if generation != article.preview_generation:
        return preview_unavailable(
            request,
            410,
            _("This preview link has been withdrawn"),
            _("The newsroom has revoked the preview links to this story. %(ask)s")
            % {"ask": ask},
        )
    view = ArticleDetailView(object=article)
    view.setup(request)
    response = view.render_story(article, loaded=True)
    mark_preview(response)
    return response
