"""Speakers and quotes."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newsroom.admin import RefuseStaleSavesMixin, https_urls

from ..models import QUOTE_MAX_LENGTH, Quote, Speaker


@admin.register(Speaker)
class SpeakerAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    list_display = ["name", "title", "quote_list", "on_site"]
    search_fields = ["name", "title"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["photo"]
    fields = ["name", "slug", "title", "bio", "photo"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_visibility()
            .annotate(quote_count=Count("quotes"))
            .order_by("name")  # a count groups rows, which drops the default order
        )

    @admin.display(description=gettext_lazy("Quotes"), ordering="quote_count")
    def quote_list(self, speaker):
        url = reverse("admin:articles_quote_changelist")
        return format_html(
            '<a href="{}?speaker__id__exact={}">{}</a>',
            url,
            speaker.pk,
            speaker.quote_count,
        )

    @admin.display(
        description=gettext_lazy("On the site"), boolean=True, ordering="is_public"
    )
    def on_site(self, speaker):
        return speaker.is_public


class QuoteTextField(forms.CharField):
    """Quote text as it is saved: whitespace collapsed before the length check. No
    maxlength in the browser, which would cut a long paste off without a word."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        return attrs


class QuoteForm(forms.ModelForm):
    class Meta:
        model = Quote
        fields = [
            "text",
            "speaker",
            "speaker_title",
            "said_on",
            "context",
            "source_url",
        ]
        field_classes = {"text": QuoteTextField}
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5, "class": "vLargeTextField"})
        }
        help_texts = {
            "text": format_lazy(
                "{} {}",
                Quote._meta.get_field("text").help_text,
                format_lazy(
                    gettext_lazy("At most {limit} characters."), limit=QUOTE_MAX_LENGTH
                ),
            )
        }
        formfield_callback = https_urls


@admin.register(Quote)
class QuoteAdmin(RefuseStaleSavesMixin, admin.ModelAdmin):
    form = QuoteForm
    list_display = [
        "excerpt",
        "speaker",
        "speaker_title",
        "said_on",
        "article_list",
        "on_site",
    ]
    list_select_related = ["speaker"]
    date_hierarchy = "said_on"
    search_fields = ["text", "speaker__name", "context"]
    autocomplete_fields = ["speaker"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = ["used_in", "share_image"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "text",
                    "speaker",
                    "speaker_title",
                    "said_on",
                    "context",
                    "source_url",
                ]
            },
        ),
        (gettext_lazy("On the site"), {"fields": ["used_in", "share_image"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_visibility()
            .annotate(article_count=Count("pull_quotes"))
            .order_by(*Quote._meta.ordering)  # a count drops the default order
        )

    @admin.display(description=gettext_lazy("Quote"), ordering="text")
    def excerpt(self, quote):
        return Truncator(quote.text).chars(90)

    @admin.display(description=gettext_lazy("Articles"), ordering="article_count")
    def article_list(self, quote):
        return quote.article_count

    @admin.display(
        description=gettext_lazy("On the site"), boolean=True, ordering="is_public"
    )
    def on_site(self, quote):
        return quote.is_public

    @admin.display(description=gettext_lazy("Used in"))
    def used_in(self, quote):
        if quote.pk is None:
            return "-"
        pull_quotes = quote.pull_quotes.select_related("article").order_by(
            "-article__published_at", "-article__pk"
        )
        if not pull_quotes:
            return _(
                "No article yet. Readers see the quote once it is a pull quote in "
                "a published article."
            )
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}, {})</li>',
            (
                (
                    reverse("admin:articles_article_change", args=[item.article_id]),
                    item.article.headline,
                    item.article.state_label,
                    _("after paragraph %(n)d") % {"n": item.after_paragraph},
                )
                for item in pull_quotes
            ),
        )
        return format_html('<ul class="used-in">{}</ul>', items)

    @admin.display(description=gettext_lazy("Share image"))
    def share_image(self, quote):
        if quote.pk is None:
            return _("Drawn from the quote once it is saved.")
        url = quote.get_share_image_url()
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" width="600" height="315"></a>',
            url,
            url,
            _("Share image of this quote"),
        )
