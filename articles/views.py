import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import InvalidPage
from django.core.validators import slug_re
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.generic import DetailView, ListView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from richtext.republish import for_republishing

from . import pagination, parts, search, share_images, structured_data
from .images import TooManyUploads, make_renditions, process_upload, upload_slot
from .models import (
    UPDATES_ON_PAGE,
    Article,
    Author,
    Correction,
    OldSlug,
    Quote,
    RepublishCount,
    Section,
    Speaker,
    Tag,
    absolute_url,
)

PREVIEW_SALT = "articles.preview"


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


@require_POST
@staff_member_required
def editor_image_upload(request):
    """Images inserted in CKEditor 5: the same pipeline as every upload."""
    if not request.user.has_perm("articles.add_image"):
        return JsonResponse(
            {"error": {"message": _("You may not upload images.")}}, status=403
        )
    upload = request.FILES.get("upload")
    if upload is None:
        return JsonResponse({"error": {"message": _("No file was sent.")}}, status=400)
    try:
        with upload_slot(request.user):
            processed = process_upload(upload)
            name = default_storage.save(f"images/editor/{processed.name}", processed)
            renditions = make_renditions(name, default_storage)
    except ValidationError as error:
        return JsonResponse(
            {"error": {"message": " ".join(error.messages)}}, status=400
        )
    except TooManyUploads:
        message = _(
            "Two of your images are still uploading: wait for them, then try again."
        )
        return JsonResponse({"error": {"message": message}}, status=429)
    fitting = [r for r in renditions if r["width"] <= 1200] or renditions
    # CKEditor's upload adapter writes the numbered ones as the image's srcset, so
    # a phone downloads the 480-pixel copy, not the 1200. JPEG or PNG, not WebP:
    # a browser that reads srcset but not WebP would show nothing.
    urls = {str(r["width"]): default_storage.url(r["fallback"]) for r in renditions}
    urls["default"] = default_storage.url(fitting[-1]["fallback"])
    return JsonResponse({"urls": urls})


# Reader site: lists of stories, archives, search, republishing -----------------


def page_not_found(request, message):
    """The site's 404 page, saying what went wrong."""
    return render(request, "404.html", {"message": message}, status=404)


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


class SectionView(StoryListView):
    template_name = "articles/section.html"

    def get_queryset(self):
        # From the sections the worker keeps for the menu (newsroom.memo).
        slug = self.kwargs["slug"]
        self.section = next(
            (section for section in Section.objects.in_menu() if section.slug == slug),
            None,
        )
        if self.section is None:
            raise Http404(_("No section found matching the query"))
        return super().get_queryset().filter(section=self.section)

    def get_title(self):
        return self.section.name

    def get_feeds(self):
        slug = {"slug": self.section.slug}
        return (
            reverse("articles:section-feed", kwargs=slug),
            reverse("articles:section-feed-atom", kwargs=slug),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            section=self.section,
            description=self.section.description,
            hide_section=True,
            **kwargs,
        )


class TagView(StoryListView):
    template_name = "articles/tag.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_title(self):
        return self.tag.name

    def get_feeds(self):
        slug = {"slug": self.tag.slug}
        return (
            reverse("articles:tag-feed", kwargs=slug),
            reverse("articles:tag-feed-atom", kwargs=slug),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(StoryListView):
    template_name = "articles/author.html"

    def get_queryset(self):
        self.author = get_object_or_404(
            Author.objects.select_related("photo"), slug=self.kwargs["slug"]
        )
        return super().get_queryset().filter(bylines__author=self.author)

    def get_title(self):
        return self.author.name

    def get_feeds(self):
        slug = {"slug": self.author.slug}
        return (
            reverse("articles:author-feed", kwargs=slug),
            reverse("articles:author-feed-atom", kwargs=slug),
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            author=self.author, description=self.author.title, **kwargs
        )


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


class AboutView(TemplateView):
    template_name = "articles/about.html"


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


# Developing stories: the polling endpoint behind "N new updates" ---------------

# Long enough that a crowd of readers polling every 30 seconds costs the server one
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


# Quotes ------------------------------------------------------------------------

# A year: the image's address changes whenever what it shows changes.
SHARE_IMAGE_MAX_AGE = 365 * 24 * 3600
# For the unversioned address, which redirects to the current image.
SHARE_IMAGE_REDIRECT_MAX_AGE = 300


def quotation_data(quote):
    """schema.org Quotation for a quote page, with absolute URLs."""
    person = {
        "@type": "Person",
        "@id": absolute_url(quote.speaker.get_absolute_url()),
        "name": quote.speaker.name,
        "url": absolute_url(quote.speaker.get_absolute_url()),
    }
    if quote.speaker_title:
        person["jobTitle"] = quote.speaker_title
    data = {
        "@context": "https://schema.org",
        "@type": "Quotation",
        "@id": absolute_url(quote.get_absolute_url()),
        "url": absolute_url(quote.get_absolute_url()),
        "text": quote.text,
        "spokenByCharacter": person,
        "creator": person,
        "image": absolute_url(quote.get_share_image_url()),
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": absolute_url("/"),
        },
    }
    if quote.said_on:
        data["dateCreated"] = quote.said_on.isoformat()
    if quote.context:
        data["description"] = quote.context
    if quote.source_url:
        data["isBasedOn"] = quote.source_url
    articles = [
        {
            "@type": "NewsArticle",
            "headline": article.headline,
            "url": absolute_url(article.get_absolute_url()),
        }
        for article in quote.published_articles
    ]
    if articles:
        data["subjectOf"] = articles
    return data


class QuoteMixin:
    """Quotes readers may see (Quote.objects.public(): those in a published
    article), with their speakers and the published articles they appear in."""

    def get_queryset(self):
        return self.quotes(None)

    def quotes(self, user):
        return (
            Quote.objects.visible_to(user)
            .select_related("speaker")
            .with_published_articles()
        )


class QuoteListView(QuoteMixin, ListView):
    """Every public quote, newest first; `?speaker=<slug>` keeps one speaker's."""

    template_name = "articles/quote_list.html"
    context_object_name = "quotes"
    paginate_by = 20
    speaker = None

    def get(self, request, *args, **kwargs):
        slug = request.GET.get("speaker", "")
        if slug:
            if not slug_re.fullmatch(slug):
                raise Http404(_("There is no such speaker."))
            self.speaker = get_object_or_404(Speaker.objects.public(), slug=slug)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        quotes = super().get_queryset()
        if self.speaker:
            quotes = quotes.filter(speaker=self.speaker)
        return quotes

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["speaker"] = self.speaker
        context["speakers"] = Speaker.objects.public().only("name", "slug")
        context["structured_data"] = {
            "@context": "https://schema.org",
            "@type": "ItemList",
            "itemListElement": [
                {
                    "@type": "ListItem",
                    "position": context["page_obj"].start_index() + index,
                    "item": quotation_data(quote),
                }
                for index, quote in enumerate(context["quotes"])
            ],
        }
        return context


class QuoteDetailView(PublishedOrStaffMixin, QuoteMixin, DetailView):
    """A quote's permalink. Staff who edit quotes also see those not public yet,
    as a preview."""

    template_name = "articles/quote_detail.html"
    context_object_name = "quote"

    def visible(self, user):
        return self.quotes(user)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(
            self.get_context_data(
                object=self.object,
                preview=not self.object.is_public,
                structured_data=quotation_data(self.object),
            )
        )


class SpeakerDetailView(PublishedOrStaffMixin, QuoteMixin, SingleObjectMixin, ListView):
    """A speaker with their public quotes, newest first, and the articles each
    appears in. Staff who edit quotes also see a speaker with no public quote yet,
    as a preview."""

    template_name = "articles/speaker_detail.html"
    paginate_by = 20

    def visible(self, user):
        return Speaker.objects.visible_to(user).select_related("photo")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object(queryset=self.visible(previewer(request)))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        # The speaker's quotes readers may see, even in a staff preview.
        return self.quotes(None).filter(speaker=self.object)

    def get_context_data(self, **kwargs):
        speaker = self.object
        url = absolute_url(speaker.get_absolute_url())
        person = {"@type": "Person", "@id": url, "name": speaker.name, "url": url}
        if speaker.title:
            person["jobTitle"] = speaker.title
        if speaker.bio:
            person["description"] = speaker.bio
        return super().get_context_data(
            preview=not speaker.is_public,
            structured_data={
                "@context": "https://schema.org",
                "@type": "ProfilePage",
                "url": url,
                "mainEntity": person,
            },
            **kwargs,
        )


@require_safe
def quote_image(request, pk):
    """The quote's share image, a PNG drawn on first request and kept in storage.

    Its address carries the image's fingerprint (`?v=`, as Quote.get_share_image_url
    gives it), so the response may be cached for good; without it, or with an old
    one, the answer is a short-lived redirect to the current image.
    """
    quotes = Quote.objects.visible_to(previewer(request)).select_related("speaker")
    quote = get_object_or_404(quotes, pk=pk)
    current = request.GET.get("v") == share_images.fingerprint(quote)
    if current:
        name = share_images.get_or_create(quote)
        response = FileResponse(default_storage.open(name), content_type="image/png")
    else:
        response = redirect(quote.get_share_image_url())
    if not quote.is_public:
        add_never_cache_headers(response)
    elif current:
        patch_cache_control(
            response, public=True, max_age=SHARE_IMAGE_MAX_AGE, immutable=True
        )
    else:
        patch_cache_control(response, public=True, max_age=SHARE_IMAGE_REDIRECT_MAX_AGE)
    return response
