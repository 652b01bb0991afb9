"""
Stored parts of each story: its teaser, and the parts of its page that change only
when the story or what it shows changes.

Rendering a story's page from its rows costs a dozen queries and hundreds of template
lookups (its authors, tags, section, pictures, pull quotes, structured data), and
the answer is the same until one of those rows changes. So the first page that
needs them renders them with the ordinary templates (_card_parts.html,
_story_parts.html) and keeps them on the story's row (Article.card_parts and
story_parts); later pages put them together with what does change by itself
(updates, corrections, appeals, related stories).

Keeping them right is the database's job, not the code's: triggers generated from
what articles.caching declares the parts show forget a story's parts whenever any
of it changes, by whatever path (the admin, a bulk update, an SQL import), and move
its `parts_generation` on.
A render is stored only if the generation is still the one it started from, so a
render that raced a change is dropped rather than kept. Parts also carry the version
of the templates, code and settings they were rendered with (version()): after a
deploy each story renders again when it is first asked for.
"""

import functools
import hashlib
import json
import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from newsroom.memo import KeptByContent
from richtext.paragraphs import insert_after_paragraphs, paragraph_ends
from richtext.sanitize import sanitize

from . import structured_data
from .images import responsive_body_images
from .models import Article, Correction, Update

PART = re.compile(r"<!--part:(\w+)-->")
CARD_TEMPLATE = "articles/includes/_card_parts.html"
LEAD_TEMPLATE = "articles/includes/_lead.html"
STORY_TEMPLATE = "articles/includes/_story_parts.html"
UPDATE_TEMPLATE = "articles/includes/_update.html"
HTML_STORY_PARTS = ("meta", "header", "figure", "footer")
HEADINGS = {"h2", "h3"}


def code_sources():
    """The templates and code parts are rendered with: every template and every
    module of the project's own apps, in their sub-packages too."""
    base = settings.BASE_DIR
    ours = [Path(app.path) for app in apps.get_app_configs()]
    packages = [path for path in ours if path.parent == base]
    return [
        *sorted((base / "templates").rglob("*.html")),
        *sorted(path for package in packages for path in package.rglob("*.py")),
    ]


@functools.cache
def _code_digest():
    """code_sources() as of this process."""
    digest = hashlib.blake2b(digest_size=8)
    for path in code_sources():
        digest.update(str(path.relative_to(settings.BASE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def _version(*inputs):
    return hashlib.blake2b(repr(inputs).encode(), digest_size=8).hexdigest()


def version():
    """Parts rendered under another version are rendered again."""
    return _version(
        _code_digest(),
        get_language(),
        settings.TIME_ZONE,
        settings.SITE_NAME,
        settings.SITE_URL,
        settings.MEDIA_URL,
        settings.STATIC_URL,
        # The static files' names carry their hashes (the structured data's logo).
        getattr(staticfiles_storage, "manifest_hash", ""),
    )


def fresh(parts, current=None):
    """Whether parts were rendered under the current version (pass it when
    asking for many)."""
    return parts is not None and parts.get("v") == (current or version())


def split(html):
    """{name: HTML} from a template's output marked with <!--part:NAME-->."""
    pieces = PART.split(html)
    return {
        name: text.strip()
        for name, text in zip(pieces[1::2], pieces[2::2], strict=True)
    }


def store(article, field, parts):
    """Keep parts on the story, unless it changed since it was read."""
    Article.objects.filter(
        pk=article.pk, parts_generation=article.parts_generation
    ).update(**{field: parts})


# Teasers ------------------------------------------------------------------------


def render_card(article):
    """The teaser parts of a story loaded by for_list(), and its front-page lead."""
    context = {"article": article}
    parts = split(render_to_string(CARD_TEMPLATE, context))
    parts["lead"] = render_to_string(LEAD_TEMPLATE, context).strip()
    parts["v"] = version()
    return parts


def with_cards(articles):
    """The stories, each with fresh teaser parts in `card` (name: HTML): those
    whose parts are missing or out of date are rendered (two queries for all of
    them) and stored (one more). A story deleted meanwhile is left out."""
    articles = list(articles)
    current = version()
    stale = [a for a in articles if not fresh(a.card_parts, current)]
    if stale:
        loaded = Article.objects.filter(pk__in=[a.pk for a in stale]).for_list()
        by_pk = {article.pk: article for article in loaded}
        gone = {a.pk for a in stale} - by_pk.keys()
        articles = [a for a in articles if a.pk not in gone]
        rendered = {}
        for article in stale:
            full = by_pk.get(article.pk)
            if full is None:
                continue
            if full.pk not in rendered:
                rendered[full.pk] = (full.pk, full.parts_generation, render_card(full))
            article.card_parts = rendered[full.pk][2]
        if rendered:
            store_cards(list(rendered.values()))
    for article in articles:
        # Rendered by our templates, which escaped what they show.
        article.card = {
            name: SafeString(html) for name, html in article.card_parts.items()
        }
    return articles


def store_cards(rendered):
    """store() for many teasers, in one statement: [(pk, generation, parts)]."""
    rows = ", ".join(["(%s, %s, %s::jsonb)"] * len(rendered))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE articles_article a SET card_parts = v.parts
            FROM (VALUES {rows}) v (id, generation, parts)
            WHERE a.id = v.id AND a.parts_generation = v.generation
            """,
            [
                value
                for pk, generation, parts in rendered
                for value in (pk, generation, json.dumps(parts))
            ],
        )


def teaser(article, heading="h2", image=False, hide_section=False):
    """A story in a list, from its teaser parts (see with_cards): the heading level
    ("h2" or "h3"), with its picture or not, without its section's name on the
    section's own page."""
    if heading not in HEADINGS:
        raise ValueError(f"teaser heading must be one of {sorted(HEADINGS)}")
    card = article.card
    picture = card["image"] if image else ""
    return mark_safe(  # noqa: S308 (parts rendered by our templates, escaped there)
        "".join(
            [
                '<article class="teaser teaser--with-image">'
                if picture
                else '<article class="teaser">',
                '\n  <div class="teaser__text">\n    ',
                "" if hide_section else card["kicker"],
                f'\n    <{heading} class="teaser__headline">',
                card["link"],
                f"</{heading}>\n    ",
                card["dek"],
                "\n    ",
                card["meta"],
                "\n  </div>\n  ",
                picture,
                "\n</article>",
            ]
        )
    )


# Story pages --------------------------------------------------------------------


def render_story(article):
    """The stored parts of a story's page, from a story loaded by for_page()."""
    context = {
        "article": article,
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
    }
    parts = split(render_to_string(STORY_TEMPLATE, context))
    body = sanitize(responsive_body_images(sanitize(article.body)))
    pull_quote = get_template("articles/includes/_pull_quote.html")
    events = (
        Article.objects.filter(pk=article.pk)
        .annotate(
            has_updates=Exists(Update.objects.filter(article=OuterRef("pk"))),
            has_corrections=Exists(Correction.objects.filter(article=OuterRef("pk"))),
        )
        .values("has_updates", "has_corrections")
        .first()
    ) or {"has_updates": True, "has_corrections": True}
    parts.update(
        body=body,
        ends=paragraph_ends(body),
        pull_quotes=[
            [item.after_paragraph, pull_quote.render({"pull_quote": item}).strip()]
            for item in article.pull_quotes.all()
        ],
        # A string: a JSON column would not keep the order of its keys.
        ld=json.dumps(
            structured_data.news_article_base(article) if article.published_at else {},
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
        ),
        v=version(),
        **events,
    )
    return parts


def story(article, loaded=False):
    """The stored parts of a story's page, as (parts, article): rendered and stored
    first if they are missing or out of date, from the story loaded again with
    for_page() unless `loaded` says it was. The article returned is the one to
    show (the full one, when it had to be loaded)."""
    parts = article.story_parts
    if not fresh(parts):
        if not loaded:
            article = Article.objects.for_page().filter(pk=article.pk).first()
            if article is None:  # deleted since it was read
                raise Http404(_("No article found matching the query"))
        parts = render_story(article)
        store(article, "story_parts", parts)
    if not parts["has_updates"]:
        # No update was ever posted on it (visible or scheduled): nothing to read.
        article.pinned_updates = []
        article.__dict__["_recent_updates"] = []
    if not parts["has_corrections"]:
        article.visible_corrections = []
    shown = dict(parts, ld=json.loads(parts["ld"]))
    for name in HTML_STORY_PARTS:
        shown[name] = mark_safe(parts[name])  # noqa: S308 (rendered by our templates)
    return shown, article


def story_body(parts, extra=()):
    """The story's body, sanitized again as it is shown, with its pull quotes and
    any other fragments (inline appeals) after their paragraphs. A pull quote comes
    before an appeal placed after the same paragraph."""
    body = sanitize(parts["body"])
    ends = parts["ends"] if body == parts["body"] else paragraph_ends(body)
    insertions = [*map(tuple, parts["pull_quotes"]), *(extra or ())]
    return mark_safe(  # noqa: S308 (sanitized body, fragments from our templates)
        insert_after_paragraphs(body, insertions, ends)
    )


# Updates ------------------------------------------------------------------------
# A developing story shows its latest updates (UPDATES_ON_PAGE) to every reader:
# rendering them and describing them for search engines cost its page more than all
# the rest. Each worker keeps what it made of the updates it has shown, keyed by all
# they show (shown_update_key): an edited update, a renamed author or a deploy makes
# a new key, so nothing needs forgetting, and the least recently shown go first.

UPDATES_KEPT = 1_000
shown_updates = KeptByContent(UPDATES_KEPT)


def shown_update_key(update):
    """Everything _update.html and structured_data.live_blog_update() read."""
    author = update.author
    return (
        version(),
        get_current_timezone_name(),
        update.article.get_absolute_url(),
        update.pk,
        update.pinned,
        update.published_at,
        update.headline,
        update.body,
        author and (author.pk, author.name, author.slug, author.title),
    )


def shown_update(update):
    """(HTML, structured data) of an update as a story shows it. Shared: do not
    change them."""

    def make():
        html = render_to_string(UPDATE_TEMPLATE, {"update": update}).strip()
        return (
            mark_safe(html),  # noqa: S308 (rendered by our template, body sanitized)
            structured_data.live_blog_update(update),
        )

    shown = update.__dict__.get("_shown")
    if shown is None:
        shown = update._shown = shown_updates.get(shown_update_key(update), make)
    return shown


def update_html(update):
    return shown_update(update)[0]


def update_data(update):
    return shown_update(update)[1]
