"""
Appeal slots for the reader site.

    {% block appeal_head %}
      {% appeal_head "top" "inline" "end" "overlay" article=article %}
    {% endblock %}
    {% appeal "top" %}
    {% inline_appeals article as appeal_inserts %}
    {% story_body story appeal_inserts %}

`appeal_head` goes in <head>: it finds every appeal that may show on the page (one
query, however many there are) and writes their rules as JSON followed by the inline
engine that decides from them before first paint. The slot tags below render those
same appeals, hidden, into their places. The page is identical for every reader.
"""

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, json_script
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from donations.models import Placement
from donations.money import MINOR_PER_MAJOR, format_money
from donations.slots import PageAppeals

register = template.Library()


# The page's appeals, found by {% appeal_head %} and placed by the slot tags: kept
# for one render of the page (its blocks share the render context; articles.hooks).
PAGE_APPEALS = "donations.page_appeals"


def page_appeals(context):
    return context.render_context.get(PAGE_APPEALS)


@register.simple_tag(takes_context=True)
def appeal_head(context, *placements, article=None):
    """The appeal rules of this page as JSON, and the inline decision script.

    With no placements (the donate pages) only the script, which still counts the
    visit and lets the thank-you page remember a donor."""
    request = context.get("request")
    page = context.get("appeal_preview")
    if page is None:
        unknown = set(placements) - set(Placement.values)
        if unknown:
            raise template.TemplateSyntaxError(f"Unknown appeal placements: {unknown}")
        # Error pages may render without a request, and must not touch the database.
        page = PageAppeals.for_page(placements if request else (), article)
        page.counting = not is_preview(context)
    if request is not None:
        context.render_context[PAGE_APPEALS] = page
    return format_html(
        "{}\n<script>{}</script>",
        json_script(page.data(), "appeal-data"),
        mark_safe(settings.APPEAL_ENGINE),  # noqa: S308 (our own file, CSP-hashed)
    )


def is_preview(context):
    """A page no reader sees: a draft shown to staff at its address, or any page
    behind a signed preview link."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    signed_link = match is not None and match.view_name == "articles:preview"
    return bool(context.get("preview")) or signed_link


def appeal_cards(variants, placement):
    now = timezone.now()
    cards = []
    for variant in variants:
        appeal = variant.appeal
        campaign = appeal.campaign
        amounts = []
        if campaign is not None:
            amounts = [
                (
                    format_money(amount * MINOR_PER_MAJOR, campaign.currency),
                    appeal.link(amount=amount, variant=variant),
                )
                for amount in appeal.suggested_amounts
            ]
        cards.append(
            {
                "variant": variant,
                "appeal": appeal,
                "placement": placement,
                "button_url": appeal.link(variant=variant),
                "amounts": amounts,
                "progress": variant.campaign_progress(now)
                if appeal.show_progress and campaign
                else None,
                "campaign": campaign,
            }
        )
    return cards


@register.simple_tag(takes_context=True)
def appeal(context, placement):
    """Every candidate for a slot, hidden until the <head> script picks one."""
    page = page_appeals(context)
    if page is None:
        return ""
    return page.render_once(
        ("slot", placement),
        lambda: render_slot(page.in_slot(placement), placement),
    )


def render_slot(variants, placement):
    if not variants:
        return ""
    return render_to_string(
        "donations/includes/_slot.html",
        {"cards": appeal_cards(variants, placement)},
    )


@register.simple_tag(takes_context=True)
def inline_appeals(context, article):
    """(paragraph, HTML) pairs for {% story_body %}: each inline appeal's
    variants together after the paragraph the appeal asks for."""
    page = page_appeals(context)
    if page is None or page.article is None or page.article.pk != article.pk:
        return []
    return page.render_once(
        "inline",
        lambda: [
            (appeal_.paragraph, render_slot(variants, Placement.INLINE))
            for appeal_, variants in page.appeals()
            if appeal_.placement == Placement.INLINE
        ],
    )


@register.inclusion_tag("donations/includes/_progress.html")
def campaign_progress(campaign, progress):
    """A progress bar with its pace line, refreshed from the campaign's JSON."""
    return {
        "campaign": campaign,
        "progress": progress,
        **progress_texts(progress),
    }


def progress_texts(progress):
    """The words of a progress display, shared by the page and the JSON feed."""
    raised = progress.money(progress.raised)
    donors = ngettext("%(count)s donor", "%(count)s donors", progress.donors) % {
        "count": number_format(progress.donors, force_grouping=True)
    }
    texts = {
        "raised_display": raised,
        "goal_display": progress.money(progress.goal),
        "donors_display": donors,
        "pace_note": "",
    }
    if progress.expected is not None:
        expected = progress.money(progress.expected)
        if progress.on_track:
            texts["pace_note"] = _(
                "On track: we should have raised %(expected)s by today."
            ) % {"expected": expected}
        else:
            texts["pace_note"] = _(
                "To be on track we should have raised %(expected)s by today."
            ) % {"expected": expected}
    return texts
