"""
Comparing revisions of an article (django-reversion keeps them): which fields changed
between two saves, with a word-level diff an editor can read.
"""

import difflib
import re

from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from reversion.models import Version

from richtext.plain import plain_text

from .models import EDITORIAL_FIELDS, Article, Author, Byline, PullQuote, Quote

COMPARED_FIELDS = [*EDITORIAL_FIELDS, "updated_materially_at"]


def readable(version, name):
    """A field of a stored version as text an editor recognises."""
    # Versions store fields by attribute name ("section_id").
    value = version.field_dict.get(Article._meta.get_field(name).attname)
    if name == "body":
        # Compare the words, one block per line, not the markup.
        return plain_text(value)
    if name == "tags":
        names = Article.tags.field.related_model.objects.filter(pk__in=value or [])
        return ", ".join(sorted(tag.name for tag in names))
    if name in ("section", "featured_image") and value is not None:
        model = Article._meta.get_field(name).related_model
        return str(model.objects.filter(pk=value).first() or value)
    return "" if value is None else str(value)


def stored_rows(version, model):
    """The rows of `model` (bylines, pull quotes) stored with an article's version,
    as field dicts, in the order the article shows them."""
    rows = version.revision.version_set.filter(
        content_type__app_label=model._meta.app_label,
        content_type__model=model._meta.model_name,
    )
    article_id = int(version.object_id)
    found = [v.field_dict for v in rows if v.field_dict["article_id"] == article_id]
    order = [name.lstrip("-") for name in model._meta.ordering]
    order = ["id" if name == "pk" else name for name in order]
    return sorted(found, key=lambda row: tuple(row[name] for name in order))


def latest_version(article):
    return versions_of(article).first()


def keeps_pull_quotes(version):
    """Whether a version tells which pull quotes the article had. Revisions kept
    them from the first one that holds any, anywhere: one saved before that holds
    none because none were kept, not because the article had none."""
    if stored_rows(version, PullQuote):
        return True
    first = (
        Version.objects.get_for_model(PullQuote)
        .order_by("revision__date_created")
        .values_list("revision__date_created", flat=True)
        .first()
    )
    return first is not None and version.revision.date_created >= first


def bylines_of(version):
    """The byline names stored with a version, in order."""
    bylines = stored_rows(version, Byline)
    names = dict(
        Author.objects.filter(pk__in=[b["author_id"] for b in bylines]).values_list(
            "pk", "name"
        )
    )
    return ", ".join(names.get(b["author_id"], "?") for b in bylines)


def pull_quotes_of(version):
    """The pull quotes stored with a version, one a line: where, who, what."""
    placed = stored_rows(version, PullQuote)
    quotes = Quote.objects.select_related("speaker").in_bulk(
        [q["quote_id"] for q in placed]
    )
    return "\n".join(
        _("After paragraph %(number)s: %(quote)s")
        % {"number": q["after_paragraph"], "quote": quotes.get(q["quote_id"], "?")}
        for q in placed
    )


def word_diff(old, new):
    """HTML marking removed words with <del> and added words with <ins>."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308 (escaped)


def compare(old, new):
    """[(label, diff HTML)] for every field that differs between two versions."""
    changes = []
    for name in COMPARED_FIELDS:
        before, after = readable(old, name), readable(new, name)
        if before != after:
            label = Article._meta.get_field(name).verbose_name
            changes.append((label.capitalize(), word_diff(before, after)))
    rows = [(_("Bylines"), bylines_of)]
    if keeps_pull_quotes(old) and keeps_pull_quotes(new):
        rows.append((_("Pull quotes"), pull_quotes_of))
    for label, stored in rows:
        before, after = stored(old), stored(new)
        if before != after:
            changes.append((label, word_diff(before, after)))
    return changes


def versions_of(article):
    return (
        Version.objects.get_for_object(article)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")
    )


def saves_since(article, moment):
    """Who saved the article after `moment`, when, and which fields they changed."""
    versions = list(versions_of(article))
    newer = [v for v in versions if v.revision.date_created > moment]
    if not newer:
        return [], []
    older = [v for v in versions if v.revision.date_created <= moment]
    changed = [label for label, _diff in compare(older[0], newer[0])] if older else []
    return newer, changed


def summary(changes):
    return format_html_join(", ", "{}", ((label,) for label, _diff in changes))
