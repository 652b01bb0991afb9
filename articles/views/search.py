"""The search page (the search itself is articles.search)."""

from urllib.parse import urlencode

from django.core.paginator import InvalidPage
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .. import search
from ..models import Article, Section
from .errors import page_not_found


class SearchView(TemplateView):
    """Full-text search (see articles.search), ranked, with highlighted snippets,
    filters by section and date, and a plain answer to an empty or junk query."""

    template_name = "articles/search.html"
    per_page = 20

    def get(self, request, *args, **kwargs):
        self.sections = Section.objects.in_menu()
        self.form = search.SearchForm(request.GET or None, sections=self.sections)
        self.query = ""
        if self.form.is_valid():
            self.query = self.form.cleaned_data["q"]
        self.page = None
        if self.query:
            try:
                self.page = search.results_page(
                    self.form.filter(Article.objects.published()),
                    self.query,
                    self.form.cleaned_data["order"] or "relevance",
                    request.GET.get("page") or 1,
                    self.per_page,
                )
            except InvalidPage:
                return page_not_found(
                    request, _("That page of results does not exist.")
                )
            by_id = {section.pk: section for section in self.sections}
            for result in self.page:
                result.section = by_id.get(result.section_id)
        return super().get(request, *args, **kwargs)

    def page_query(self):
        """The search, cleaned, for the links to other pages of results."""
        if not self.query:
            return ""
        data = self.form.cleaned_data
        params = {
            "q": self.query,
            "section": data["section"].slug if data["section"] else "",
            "start": data["start"] or "",
            "end": data["end"] or "",
            "order": data["order"],
        }
        return urlencode({k: v for k, v in params.items() if v}) + "&"

    def get_context_data(self, **kwargs):
        filters = ("section", "start", "end", "order")
        page = self.page
        context = super().get_context_data(
            form=self.form,
            query=self.query,
            page_query=self.page_query(),
            # The filters stay open when one is in use, or wrong.
            filtered=any(self.request.GET.get(name) for name in filters),
            results=page.object_list if page else [],
            page_obj=page,
            paginator=page.paginator if page else None,
            is_paginated=bool(page and page.paginator.num_pages > 1),
            **kwargs,
        )
        if self.query and not context["results"]:
            context["no_words"] = not search.has_words(self.query)
        return context
