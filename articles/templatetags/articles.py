import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from articles import parts, search, structured_data
from articles.links import absolute_url
from articles.models import Section
from newsroom.memo import memo

register = template.Library()


@register.simple_tag
def story_body(story, extra=()):
    """
    The story's body from its stored parts (articles.parts), sanitized again as it
    is shown, with its pull quotes and any other fragments placed after their
    paragraphs.

    `extra` is a list of (paragraph number, HTML) pairs rendered by our own templates,
    such as inline donation appeals ({% inline_appeals article as appeals %} from the
    donations app); the page passes them in, so neither app imports the other. A
    pull quote comes before an appeal placed after the same paragraph.
    """
    return parts.story_body(story, extra)


@register.simple_tag
def shown_update(update):
    """An update as a story shows it, remembered by the worker (articles.parts)."""
    return parts.update_html(update)


@register.simple_tag
def teaser(article, heading="h2", image=False, hide_section=False):
    """A story in a list, from its stored teaser parts: the view passes its stories
    through articles.parts.with_cards() first."""
    return parts.teaser(article, heading, image, hide_section)


# json.dumps leaves these as they are; inside <script> they could end the element
# or open a comment, so they are written as \u escapes (as Django's json_script does).
JSON_SCRIPT_ESCAPES = (("<", "\\u003C"), (">", "\\u003E"), ("&", "\\u0026"))


@register.simple_tag
def json_ld(data):
    """`data` as a <script type="application/ld+json"> element, safe whatever text
    it holds (json_script's escaping, with the type structured data needs)."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    for character, escape in JSON_SCRIPT_ESCAPES:  # str.translate is slower
        text = text.replace(character, escape)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text),  # noqa: S308 (escaped above)
    )


# The masthead and the footer are the same on every page but for which navigation
# link is marked current: each worker renders them once per language and current
# link (newsroom.memo), which spares every page a query and thirty URL lookups.
NAV_CURRENT = {"latest", "section", "quotes", "donate"}


@register.simple_tag(takes_context=True)
def site_header(context):
    """The masthead, search box and section navigation."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    here = match.url_name if match and match.url_name in NAV_CURRENT else None
    here_slug = match.kwargs.get("slug") if here == "section" else None
    return memo.get(
        ("site-header", get_language(), here, here_slug),
        lambda: render_to_string(
            "includes/header.html",
            {
                "sections": Section.objects.in_menu(),
                "here": here,
                "here_slug": here_slug,
                "SITE_NAME": settings.SITE_NAME,
            },
        ),
    )


@register.simple_tag
def site_footer():
    return memo.get(
        ("site-footer", get_language()),
        lambda: render_to_string(
            "includes/footer.html", {"SITE_NAME": settings.SITE_NAME}
        ),
    )


@register.filter
def absolute(url):
    """A site path as an absolute URL (SITE_URL), for links used elsewhere."""
    return absolute_url(str(url))


@register.filter
def highlight(marked):
    """Search text marked by the database as HTML: escaped, matches in <mark>."""
    return search.highlight(marked)


@register.simple_tag
def default_image():
    """The site's picture for a story without one ({"url", "width", "height"},
    the address absolute), for social cards."""
    return structured_data.default_image()


@register.simple_tag
def website_data():
    """The site's WebSite structured data (with its search box), for {% json_ld %}."""
    return structured_data.website()
