"""Quotes and speakers: lists, permalinks, share images."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.validators import slug_re
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from .. import share_images, structured_data
from ..links import absolute_url
from ..models import Quote, Speaker
from .access import PublishedOrStaffMixin, previewer

# A year: the image's address changes whenever what it shows changes.
SHARE_IMAGE_MAX_AGE = 365 * 24 * 3600
# For the unversioned address, which redirects to the current image.
SHARE_IMAGE_REDIRECT_MAX_AGE = 300


def quotation_data(quote):
    """schema.org Quotation for a quote page, with absolute URLs."""
    person = structured_data.person(quote.speaker, quote.speaker_title)
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
        person = structured_data.person(speaker)
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
