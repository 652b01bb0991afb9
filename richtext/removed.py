"""
Telling the editor what the sanitizer removed (richtext.sanitize): the admin warns
at save, in words, rather than letting markup vanish without a word.
"""

from collections import Counter
from html.parser import HTMLParser

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .sanitize import HEADING, UNWRAPPED_BLOCKS, sanitize


class _Inventory(HTMLParser):
    """How many of each element, and of each attribute, `html` has."""

    def __init__(self, html):
        super().__init__()
        self.elements = Counter()
        self.attributes = Counter()
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements[tag] += 1
        for name, _value in attrs:
            self.attributes[tag, name] += 1

    handle_startendtag = handle_starttag


# What an editor is told about markup the sanitizer removed, most useful first.
# Wrappers whose text is kept (a <div>, a <span>, Word's <o:p>) and attributes the
# editor itself writes and the site restyles (an image's aspect-ratio, a resized
# image's width) are not worth a word.
_ELEMENT_NOTES = {
    "script": _("a script"),
    "iframe": _(
        "an embedded frame (<iframe>): embeds are not supported, link to the "
        "video or post instead"
    ),
    "style": _("a stylesheet (<style>): the site's own styles apply"),
    "svg": _("an SVG drawing: upload it as an image instead"),
    "math": _("a formula (<math>)"),
    "object": _("an embedded object (<object>)"),
    "embed": _("an embedded object (<embed>)"),
    "form": _("a form (its fields too)"),
}


def removed_markup(html):
    """What ``sanitize(html)`` leaves out, in words for the editor who wrote it: a
    list of phrases, empty when nothing that matters was removed."""
    if not html:
        return []
    before, after = _Inventory(html), _Inventory(sanitize(html))
    notes = []
    gone = {
        tag: count - after.elements[tag]
        for tag, count in before.elements.items()
        if tag not in UNWRAPPED_BLOCKS
        and tag not in {"html", "head", "body", "span", "font", "o:p"}
        and count > after.elements[tag]
        and not (tag == "h1" or HEADING.fullmatch(tag))
    }
    for tag, note in _ELEMENT_NOTES.items():
        if gone.pop(tag, 0):
            notes.append(str(note))
    for tag in ("input", "button", "select", "textarea", "label", "option"):
        if before.elements[tag] and before.elements["form"]:
            gone.pop(tag, None)
    for tag, count in sorted(gone.items()):
        notes.append(
            ngettext("a <%(tag)s> element", "%(count)d <%(tag)s> elements", count)
            % {"tag": tag, "count": count}
        )
    handlers = sum(
        count
        for (_tag, name), count in before.attributes.items()
        if name.startswith("on")
    )
    if handlers:
        notes.append(
            ngettext(
                "an event handler attribute (%(names)s)",
                "%(count)d event handler attributes (%(names)s)",
                handlers,
            )
            % {
                "count": handlers,
                "names": ", ".join(
                    sorted({n for (_t, n) in before.attributes if n.startswith("on")})
                ),
            }
        )
    styles = sum(
        count
        for (tag, name), count in before.attributes.items()
        if name == "style" and tag not in {"img", "figure", "span"}
    )
    if styles:
        notes.append(
            ngettext(
                "inline formatting (a style attribute): the site's styles apply",
                "inline formatting (%(count)d style attributes): the site's styles "
                "apply",
                styles,
            )
            % {"count": styles}
        )
    addresses = sum(
        before.attributes[tag, name] - after.attributes[tag, name]
        for tag, name in (("a", "href"), ("img", "src"), ("img", "srcset"))
        if before.attributes[tag, name] > after.attributes[tag, name]
    )
    if addresses:
        notes.append(
            ngettext(
                "an unsafe link or image address (such as javascript: or data:)",
                "%(count)d unsafe link or image addresses (such as javascript: or "
                "data:)",
                addresses,
            )
            % {"count": addresses}
        )
    return notes


def removed_markup_message(label, html):
    """The admin's warning for a rich-text field, or None when nothing was removed."""
    notes = removed_markup(html)
    if not notes:
        return None
    return format_lazy(
        _("Removed from the {field}: {notes}."), field=label, notes="; ".join(notes)
    )
