from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import slug_re
from django.db.models import Max, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
)
from django.utils.dateparse import parse_datetime
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from . import share_images
from .images import make_renditions, process_upload
from .models import UPDATES_ON_PAGE, Article, Correction, Quote, Speaker

PREVIEW_SALT = "articles.preview"


class PublishedMixin:
    def get_queryset(self):
        return Article.objects.published().for_page()


class HomeView(PublishedMixin, ListView):
    template_name = "articles/home.html"
    context_object_name = "articles"
    paginate_by = 20

    def get_queryset(self):
        return Article.objects.published().select_related("section")


class ArticleDetailView(PublishedMixin, DetailView):
    context_object_name = "article"
    template_name = "articles/article_detail.html"

    def get_queryset(self):
        # Only a request with a session can be staff: looking at the user of every
        # reader's request would make the page vary by cookie, and uncacheable.
        has_session = settings.SESSION_COOKIE_NAME in self.request.COOKIES
        if has_session and self.request.user.has_perm("articles.view_article"):
            # Staff preview drafts, scheduled and unpublished articles at their URL.
            return Article.objects.for_page()
        return super().get_queryset()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        # The slug identifies the article; the date in the URL is for readers. A link
        # with the wrong date still finds the story, at its one canonical address.
        if request.path != self.object.get_absolute_url():
            return redirect(self.object, permanent=True)
        preview = not self.object.is_published()
        response = self.render_to_response(
            self.get_context_data(object=self.object, preview=preview)
        )
        if preview:
            add_never_cache_headers(response)
            response["X-Robots-Tag"] = "noindex"
        elif self.object.developing:
            response.shared_max_age = settings.DEVELOPING_PAGE_MAX_AGE
        return response


def preview_link_for(article):
    token = signing.dumps({"article": article.pk}, salt=PREVIEW_SALT)
    return reverse("articles:preview", kwargs={"token": token})


@never_cache
def preview(request, token):
    """A draft shown to someone without an account, through an expiring signed link."""
    try:
        data = signing.loads(
            token, salt=PREVIEW_SALT, max_age=settings.PREVIEW_LINK_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise Http404(
            _("This preview link has expired. Ask the editor for a new one.")
        ) from error
    except signing.BadSignature as error:
        raise Http404(_("This preview link is not valid.")) from error
    article = get_object_or_404(Article.objects.for_page(), pk=data.get("article"))
    view = ArticleDetailView(object=article)
    view.setup(request)
    response = view.render_to_response(
        view.get_context_data(object=article, preview=not article.is_published())
    )
    response["X-Robots-Tag"] = "noindex"
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
        processed = process_upload(upload)
    except ValidationError as error:
        return JsonResponse(
            {"error": {"message": " ".join(error.messages)}}, status=400
        )
    name = default_storage.save(f"images/editor/{processed.name}", processed)
    renditions = make_renditions(name, default_storage)
    fitting = [r for r in renditions if r["width"] <= 1200] or renditions
    return JsonResponse({"url": default_storage.url(fitting[-1]["fallback"])})


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
    except ValueError:
        since = None
    if since is None or timezone.is_naive(since):
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


def staff_with(request, permission):
    """Whether the request comes from staff with `permission`, who may preview what
    readers cannot see yet. A reader has no session cookie, so for them the user is
    never looked up: the page then does not vary by cookie and can be cached."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.has_perm(
        permission
    )


def quotation_data(quote):
    """schema.org Quotation for a quote page, with absolute URLs."""
    person = {
        "@type": "Person",
        "@id": settings.SITE_URL + quote.speaker.get_absolute_url(),
        "name": quote.speaker.name,
        "url": settings.SITE_URL + quote.speaker.get_absolute_url(),
    }
    if quote.speaker_title:
        person["jobTitle"] = quote.speaker_title
    data = {
        "@context": "https://schema.org",
        "@type": "Quotation",
        "@id": settings.SITE_URL + quote.get_absolute_url(),
        "url": settings.SITE_URL + quote.get_absolute_url(),
        "text": quote.text,
        "spokenByCharacter": person,
        "creator": person,
        "image": settings.SITE_URL + quote.get_share_image_url(),
        "publisher": {
            "@type": "Organization",
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL + "/",
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
            "url": settings.SITE_URL + article.get_absolute_url(),
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
        return (
            Quote.objects.public().select_related("speaker").with_published_articles()
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


class QuoteDetailView(QuoteMixin, DetailView):
    """A quote's permalink. Staff also see quotes not public yet, as a preview."""

    template_name = "articles/quote_detail.html"
    context_object_name = "quote"

    def get_queryset(self):
        if staff_with(self.request, "articles.view_quote"):
            return (
                Quote.objects.with_visibility()
                .select_related("speaker")
                .with_published_articles()
            )
        return super().get_queryset()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        preview = not self.object.is_public
        response = self.render_to_response(
            self.get_context_data(
                object=self.object,
                preview=preview,
                structured_data=quotation_data(self.object),
            )
        )
        if preview:
            add_never_cache_headers(response)
            response["X-Robots-Tag"] = "noindex"
        return response


class SpeakerDetailView(QuoteMixin, SingleObjectMixin, ListView):
    """A speaker with their public quotes, newest first, and the articles each
    appears in. Staff also see a speaker with no public quote yet, as a preview."""

    template_name = "articles/speaker_detail.html"
    paginate_by = 20

    def get(self, request, *args, **kwargs):
        speakers = Speaker.objects.select_related("photo")
        if staff_with(request, "articles.view_speaker"):
            speakers = speakers.with_visibility()
        else:
            speakers = speakers.public()
        self.object = self.get_object(queryset=speakers)
        response = super().get(request, *args, **kwargs)
        if not self.object.is_public:
            add_never_cache_headers(response)
            response["X-Robots-Tag"] = "noindex"
        return response

    def get_queryset(self):
        return super().get_queryset().filter(speaker=self.object)

    def get_context_data(self, **kwargs):
        speaker = self.object
        url = settings.SITE_URL + speaker.get_absolute_url()
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
    quotes = Quote.objects.select_related("speaker")
    if staff_with(request, "articles.view_quote"):
        quotes = quotes.with_visibility()
    else:
        quotes = quotes.public()
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
