"""The story page."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView

from .. import parts, structured_data, workflow
from ..models import Article, OldSlug
from ..related import related_articles
from .access import PublishedOrStaffMixin, previewer


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
        response = self.render_to_response(
            self.story_context(self.object, loaded=self.loaded)
        )
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
                workflow.placements_past_the_end(self.object)
                if preview and previewer(self.request) is not None
                else []
            ),
            story=story,
            structured_data=data,
            related=parts.with_cards(related_articles(self.object)),
        )
