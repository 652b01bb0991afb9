from django.shortcuts import redirect
from django.views.generic import DetailView, ListView

from .models import Article


class PublishedMixin:
    def get_queryset(self):
        return Article.objects.published()


class HomeView(PublishedMixin, ListView):
    template_name = "articles/home.html"
    context_object_name = "articles"
    paginate_by = 20


class ArticleDetailView(PublishedMixin, DetailView):
    context_object_name = "article"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        # The slug identifies the article; the date in the URL is for readers. A link
        # with the wrong date still finds the story, at its one canonical address.
        if request.path != self.object.get_absolute_url():
            return redirect(self.object, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))
