from django import template
from django.utils.safestring import mark_safe

from articles.richtext import insert_after_paragraphs, sanitize

register = template.Library()


@register.filter
def rich_text(value):
    """
    Sanitize stored rich text again as it is rendered, and mark it safe.

    Fields are sanitized on save already; this also covers rows written before a rule
    tightened or by a raw SQL import. Use it for every rich-text field, never |safe.
    """
    if not value:
        return ""
    return mark_safe(sanitize(str(value)))  # noqa: S308 (sanitized on the line itself)


@register.simple_tag
def article_body(article, extra=()):
    """
    The article's body, sanitized, with fragments placed after their paragraphs.

    `extra` is a list of (paragraph number, HTML) pairs rendered by our own templates,
    such as inline donation appeals ({% inline_appeals article as appeals %} from the
    donations app); the page passes them in, so neither app imports the other.
    """
    return mark_safe(  # noqa: S308 (sanitized body, fragments from our templates)
        insert_after_paragraphs(sanitize(article.body), list(extra or ()))
    )
