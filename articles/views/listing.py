"""The front page and the lists of stories: latest, section, tag, author,
date archives."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.generic import ListView, TemplateView

from .. import pagination, parts
from ..links import absolute_url
from ..models import Article, Author, Section, Tag
from .access import PublishedMixin
from .errors import page_not_found


class HomeView(TemplateView):
    """The front page: the lead story, the latest, developing stories, and the
    newest from each section, in one query whatever the archive holds."""

    template_name = "articles/home.html"
    latest_count = 6
    per_section = 3

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        front = Article.objects.front_page(
            self.latest_count + 1, developing=5, per_section=self.per_section
        )
        latest, developing, blocks = (
            front["latest"],
            front["developing"],
            front["sections"],
        )
        in_blocks = [story for block in blocks.values() for story in block]
        shown = {a.pk for a in parts.with_cards(latest + developing + in_blocks)}
        latest = [story for story in latest if story.pk in shown]
        developing = [story for story in developing if story.pk in shown]
        blocks = {
            section: [story for story in block if story.pk in shown]
            for section, block in blocks.items()
        }
        context.update(
            lead=latest[0] if latest else None,
            articles=latest[1:],
            developing=developing,
            section_blocks=[
                (section, blocks[section.pk])
                for section in Section.objects.in_menu()
                if blocks.get(section.pk)
            ],
        )
        return context


class StoryListView(PublishedMixin, ListView):
    """Stories newest first, a page at a time, at the same cost at any depth of the
    archive (see articles.pagination)."""

    context_object_name = "articles"
    paginate_by = 20
    # Whether a list without stories is a page that does not exist (a date archive)
    # rather than one that has none yet (a new section).
    empty_is_not_found = False

    def get_queryset(self):
        return super().get_queryset().for_cards()

    def get_empty_message(self):
        return ""

    def get_title(self):
        return _("Latest stories")

    def get_feeds(self):
        """The RSS and Atom feeds of the list, for autodiscovery and readers."""
        return reverse("articles:feed"), reverse("articles:feed-atom")

    def get_context_data(self, **kwargs):
        page = next((k for k in ("before", "after") if k in self.request.GET), None)
        query = f"?{page}={self.request.GET[page]}" if page else ""
        feed_url, atom_feed_url = self.get_feeds() or (None, None)
        return super().get_context_data(
            title=self.get_title(),
            canonical=absolute_url(self.request.path) + query,
            feed_url=feed_url,
            atom_feed_url=atom_feed_url,
            **kwargs,
        )

    def paginate_queryset(self, queryset, page_size):
        page = pagination.paginate(
            queryset,
            page_size,
            self.request.GET,
            allow_empty=not self.empty_is_not_found,
            empty_message=self.get_empty_message(),
        )
        page.object_list = parts.with_cards(page.object_list)
        return None, page, page.object_list, page.has_other_pages()

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except pagination.FirstPage:
            return redirect(request.path)
        except pagination.PageNotFound as error:
            return page_not_found(request, str(error))


class LatestView(StoryListView):
    template_name = "articles/latest.html"


class SubjectView(StoryListView):
    """The stories of one section, tag or author, named by the slug in the URL.
    `kind` names the subject in the template's context and its feeds' URLs
    (articles:<kind>-feed, articles:<kind>-feed-atom)."""

    kind = None

    def get_subject(self, slug):
        """The section, tag or author, or Http404."""
        raise NotImplementedError

    def of_subject(self, stories):
        raise NotImplementedError

    def get_queryset(self):
        self.subject = self.get_subject(self.kwargs["slug"])
        return self.of_subject(super().get_queryset())

    def get_title(self):
        return self.subject.name

    def get_feeds(self):
        slug = {"slug": self.subject.slug}
        return (
            reverse(f"articles:{self.kind}-feed", kwargs=slug),
            reverse(f"articles:{self.kind}-feed-atom", kwargs=slug),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(**{self.kind: self.subject}, **kwargs)


class SectionView(SubjectView):
    template_name = "articles/section.html"
    kind = "section"

    def get_subject(self, slug):
        # From the sections the worker keeps for the menu (newsroom.memo).
        section = next(
            (section for section in Section.objects.in_menu() if section.slug == slug),
            None,
        )
        if section is None:
            raise Http404(_("No section found matching the query"))
        return section

    def of_subject(self, stories):
        return stories.filter(section=self.subject)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            description=self.subject.description, hide_section=True, **kwargs
        )


class TagView(SubjectView):
    template_name = "articles/tag.html"
    kind = "tag"

    def get_subject(self, slug):
        return get_object_or_404(Tag, slug=slug)

    def of_subject(self, stories):
        return stories.filter(tags=self.subject)


class AuthorView(SubjectView):
    template_name = "articles/author.html"
    kind = "author"

    def get_subject(self, slug):
        return get_object_or_404(Author.objects.select_related("photo"), slug=slug)

    def of_subject(self, stories):
        return stories.filter(bylines__author=self.subject)

    def get_context_data(self, **kwargs):
        return super().get_context_data(description=self.subject.title, **kwargs)


class ArchiveView(StoryListView):
    """The stories of a year, a month or a day, in the newsroom's time zone."""

    template_name = "articles/archive.html"
    empty_is_not_found = True

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        year, month, day = kwargs["year"], kwargs.get("month"), kwargs.get("day")
        try:
            self.start = date(year, month or 1, day or 1)
            if day:
                self.period, end = "day", self.start + timedelta(days=1)
            elif month:
                self.period = "month"
                end = date(year + month // 12, month % 12 + 1, 1)
            else:
                self.period, end = "year", date(year + 1, 1, 1)
        except (ValueError, OverflowError):
            self.start = None
            return
        self.range = [
            timezone.make_aware(datetime.combine(moment, time.min))
            for moment in (self.start, end)
        ]

    def get(self, request, *args, **kwargs):
        if self.start is None:
            return page_not_found(request, _("There is no such date."))
        return super().get(request, *args, **kwargs)

    def in_period(self, queryset):
        start, end = self.range
        return queryset.filter(published_at__gte=start, published_at__lt=end)

    def get_queryset(self):
        return self.in_period(super().get_queryset())

    def get_title(self):
        if self.period == "day":
            return date_format(self.start, "DATE_FORMAT")
        if self.period == "month":
            return date_format(self.start, "YEAR_MONTH_FORMAT")
        return str(self.start.year)

    def get_empty_message(self):
        return _("No stories were published in %(period)s.") % {
            "period": self.get_title()
        }

    def get_feeds(self):
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(
            period=self.period, start=self.start, **kwargs
        )
        if self.period == "year":
            here = timezone.get_current_timezone()
            months = (
                self.in_period(Article.objects.published())
                .annotate(month=TruncMonth("published_at", tzinfo=here))
                .order_by("month")
                .values("month")
                .annotate(count=Count("pk"))
            )
            context["months"] = [(row["month"], row["count"]) for row in months]
        return context


class AboutView(TemplateView):
    template_name = "articles/about.html"
