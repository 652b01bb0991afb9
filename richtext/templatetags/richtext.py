from django import template
from django.utils.safestring import mark_safe

from richtext.sanitize import sanitize

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
