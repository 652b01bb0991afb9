import functools
import re
from itertools import chain

import reversion
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import connection, models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Length
from django.db.models.signals import m2m_changed, post_delete, pre_delete
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.text import Truncator, format_lazy
from django.utils.translation import gettext_lazy as _

from newsroom.memo import memo
from richtext.fields import RichTextField
from richtext.paragraphs import paragraph_ends
from richtext.plain import plain_text
from richtext.sanitize import sanitize

from . import hooks, search, share_images
from .images import make_renditions

IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
ALT_ATTR = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
# Related stories shown under an article, and how many are kept chosen (spares for
# those unpublished later).
RELATED_ON_PAGE = 3
RELATED_KEPT = 6
# A meta description longer than this is cut by search engines.
DESCRIPTION_LENGTH = 160
# Columns a list of stories does not show (for_list): the body, the search document
# (larger still), the related stories and the stored parts of the story's page.
LIST_DEFERRED = ("body", "body_text", "search_vector", "related_ids", "story_parts")


def format_local(moment):
    """A time as the newsroom reads it: in its own time zone, in its own format."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def absolute_url(url):
    """A link that works away from the site (feeds, sitemaps, republished copies,
    social cards): SITE_URL in front of a path. Absolute URLs pass unchanged."""
    if not url or url.startswith(("http://", "https://", "//", "mailto:")):
        return url
    return settings.SITE_URL + (url if url.startswith("/") else f"/{url}")


@functools.lru_cache(maxsize=8192)
def _remembered_reverse(viewname, kwargs, *where):
    return reverse(viewname, kwargs=dict(kwargs))


def url_for(viewname, **kwargs):
    """reverse(), remembered: a list page links to dozens of stories, sections and
    authors, and the URL of one never changes while the URL configuration and
    script prefix stay the same (they are part of the key)."""
    return _remembered_reverse(
        viewname,
        tuple(sorted(kwargs.items())),
        settings.ROOT_URLCONF,
        get_urlconf(),
        get_script_prefix(),
    )


def body_image_alts(html):
    """The alt text of each image in sanitized body HTML ("" where it has none)."""
    alts = []
    for tag in IMG_TAG.findall(html):
        match = ALT_ATTR.search(tag)
        alts.append((match.group(1) or match.group(2) or "") if match else "")
    return alts


class WorkflowError(Exception):
    """A workflow step that may not happen: the message says why, for the editor."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class Licence(models.TextChoices):
    CC_BY_NC_ND_3 = "cc-by-nc-nd-3.0", _("Creative Commons BY-NC-ND 3.0")
    CC_BY_NC_ND_4 = "cc-by-nc-nd-4.0", _("Creative Commons BY-NC-ND 4.0")
    CC_BY_4 = "cc-by-4.0", _("Creative Commons BY 4.0")
    ALL_RIGHTS_RESERVED = "all-rights-reserved", _("All rights reserved")

    @property
    def url(self):
        return LICENCE_URLS.get(self, "")


LICENCE_URLS = {
    Licence.CC_BY_NC_ND_3: "https://creativecommons.org/licenses/by-nc-nd/3.0/",
    Licence.CC_BY_NC_ND_4: "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    Licence.CC_BY_4: "https://creativecommons.org/licenses/by/4.0/",
}


class SectionQuerySet(models.QuerySet):
    def in_menu(self):
        """The sections in the site's order, as the worker remembers them for a
        moment (newsroom.memo): every page's navigation shows them. Shared: do not
        change them."""
        return memo.get(("sections",), lambda: list(self.model.objects.all()))


class Section(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(
        _("position"), default=0, help_text=_("Sections are listed by this number.")
    )

    objects = SectionQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_for("articles:section", slug=self.slug)


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        renamed = (
            self.pk is not None
            and Tag.objects.filter(pk=self.pk).exclude(name=self.name).exists()
        )
        super().save(*args, **kwargs)
        if renamed:
            # Tag names are part of each article's search document.
            self.articles.all().update_search_vectors()

    def get_absolute_url(self):
        return url_for("articles:tag", slug=self.slug)


class Image(models.Model):
    """An uploaded photo or graphic, stored re-encoded and stripped of metadata
    (articles.images), with renditions made once when the file is saved."""

    file = models.ImageField(
        _("file"),
        upload_to="images/%Y/%m/",
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the image shows, for readers who cannot see it. Required unless "
            "the image is decorative."
        ),
    )
    decorative = models.BooleanField(
        _("decorative"),
        default=False,
        help_text=_("Adds nothing to the story; screen readers skip it."),
    )
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    credit = models.CharField(
        _("credit"),
        max_length=200,
        blank=True,
        help_text=_("Photographer or source, e.g. “Jane Doe / The Newsroom”."),
    )
    may_redistribute = models.BooleanField(
        _("may be redistributed"),
        default=False,
        help_text=_(
            "We hold the rights to let others republish this image with the story. "
            "Leave unticked for wire and agency photos."
        ),
    )
    renditions = models.JSONField(default=list, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("image")
        verbose_name_plural = _("images")
        constraints = [
            models.CheckConstraint(
                condition=~Q(alt_text="") | Q(decorative=True),
                name="image_alt_text_or_decorative",
                violation_error_message=_(
                    "Describe the image in the alt text, or mark it decorative."
                ),
            )
        ]

    def __str__(self):
        return self.alt_text or self.caption or self.file.name

    def save(self, *args, **kwargs):
        file_changed = self.pk is None or (
            Image.objects.filter(pk=self.pk).values_list("file", flat=True).first()
            != self.file.name
        )
        super().save(*args, **kwargs)
        if file_changed and self.file:
            self.renditions = make_renditions(self.file.name, self.file.storage)
            super().save(update_fields=["renditions"])

    def srcset(self, kind="webp"):
        storage = self.file.storage
        return ", ".join(
            f"{storage.url(r[kind])} {r['width']}w" for r in self.renditions
        )

    def srcset_fallback(self):
        return self.srcset("fallback")

    def fallback_url(self):
        """The largest rendition up to 1200 pixels: the plain <img src>."""
        fitting = [r for r in self.renditions if r["width"] <= 1200] or self.renditions
        return self.file.storage.url(fitting[-1]["fallback"]) if fitting else ""


class Author(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    title = models.CharField(
        _("title"),
        max_length=150,
        blank=True,
        help_text=_("e.g. “Education reporter”."),
    )
    bio = models.TextField(_("bio"), blank=True)
    photo = models.ForeignKey(
        Image,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        verbose_name=_("user account"),
        help_text=_("The staff account of this author, if they have one."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return url_for("articles:author", slug=self.slug)


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")


# published() in SQL, for the few hot queries written by hand (front_page,
# reader_page, related_articles): the ORM spends three times as long building and
# reading a query as PostgreSQL spends answering it. A test holds them together.
PUBLISHED_SQL = (
    "status = %s AND published_at <= %s AND (unpublish_at IS NULL OR unpublish_at > %s)"
)


def published_params():
    now = timezone.now()
    return [Status.PUBLISHED, now, now]


def published_q(prefix=""):
    """The one definition of what readers may see. A scheduled article is
    published with a future time: it appears on its own when the time comes; one
    with an unpublish time disappears on its own when that comes. `prefix` is the
    path to the article from another model ("article__")."""
    now = timezone.now()
    return Q(
        **{
            f"{prefix}status": Status.PUBLISHED,
            f"{prefix}published_at__lte": now,
        }
    ) & (
        Q(**{f"{prefix}unpublish_at__isnull": True})
        | Q(**{f"{prefix}unpublish_at__gt": now})
    )


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_q())

    def reader_page(self, slug):
        """The published story at `slug` as its page needs it, or None: every
        column but those its stored parts stand for (articles.parts)."""
        columns = ", ".join(
            field.column
            for field in Article._meta.concrete_fields
            if field.name not in ("body", "body_text", "search_vector", "card_parts")
        )
        found = Article.objects.raw(
            f"SELECT {columns} FROM articles_article"
            f" WHERE slug = %s AND {PUBLISHED_SQL}",
            [slug, *published_params()],
        )
        return next(iter(found), None)

    def front_page(self, latest, developing, per_section):
        """The front page's stories in one query, whatever the archive holds, as
        {"latest": [...], "developing": [...], "sections": {section id: [...]}},
        each newest first: the `latest` newest stories; the `developing` newest
        developing ones; and the `per_section` newest of every section that are not
        among the latest, read from a few rows of the (section, published_at)
        index per section (a LATERAL join, which the ORM cannot write). Stories
        carry what their teasers need (articles.parts.with_cards)."""
        columns = (
            "id, headline, slug, section_id, published_at, created_at,"
            " updated_materially_at, card_parts, parts_generation"
        )
        order = "ORDER BY published_at DESC, id DESC"
        rows = Article.objects.raw(
            f"""
            WITH latest AS (
                SELECT {columns} FROM articles_article
                WHERE {PUBLISHED_SQL} {order} LIMIT %s
            )
            SELECT 'latest' AS kind, * FROM latest
            UNION ALL (
                SELECT 'developing', {columns} FROM articles_article
                WHERE developing AND {PUBLISHED_SQL} {order} LIMIT %s
            )
            UNION ALL
            SELECT 'section', a.* FROM articles_section s CROSS JOIN LATERAL (
                SELECT {columns} FROM articles_article
                WHERE section_id = s.id AND {PUBLISHED_SQL}
                    AND id NOT IN (SELECT id FROM latest)
                {order} LIMIT %s
            ) a
            """,
            [
                *published_params(),
                latest,
                *published_params(),
                developing,
                *published_params(),
                per_section,
            ],
        )
        front = {"latest": [], "developing": [], "sections": {}}
        for article in rows:
            if article.kind == "section":
                front["sections"].setdefault(article.section_id, []).append(article)
            else:
                front[article.kind].append(article)
        return front

    def for_page(self):
        """Everything an article page shows, in a fixed number of queries whatever
        the number of authors, tags, updates, corrections or pull quotes."""
        bylines = Byline.objects.select_related("author").order_by("position", "pk")
        pinned = Update.objects.visible().filter(pinned=True).select_related("author")
        corrections = Correction.objects.visible()
        pull_quotes = PullQuote.objects.select_related("quote__speaker")
        return (
            self.select_related("section", "featured_image")
            .defer("body_text", "search_vector")
            .prefetch_related(
                models.Prefetch("bylines", queryset=bylines),
                "tags",
                # The latest updates are read by the article itself (_recent_updates),
                # with a LIMIT on the (article, published_at) index: a prefetch would
                # number every update of the story to keep the latest.
                models.Prefetch("updates", queryset=pinned, to_attr="pinned_updates"),
                models.Prefetch(
                    "corrections", queryset=corrections, to_attr="visible_corrections"
                ),
                models.Prefetch("pull_quotes", queryset=pull_quotes),
            )
        )

    def for_list(self, body=False):
        """What a list of stories shows (section, picture, bylines): two queries
        for any number of stories. Without their bodies unless asked (feeds)."""
        bylines = Byline.objects.select_related("author").order_by("position", "pk")
        deferred = [name for name in LIST_DEFERRED if not (body and name == "body")]
        return (
            self.select_related("section", "featured_image")
            .prefetch_related(models.Prefetch("bylines", queryset=bylines))
            .defer(*deferred)
        )

    def for_cards(self):
        """A list of stories shown by their stored teaser parts (articles.parts):
        one query, with nothing joined or prefetched; pass the stories through
        articles.parts.with_cards(), which renders those whose parts are not kept."""
        return self.defer(*LIST_DEFERRED)

    def update_search_vectors(self):
        """Rebuild the search document of these articles in one UPDATE. Article.save()
        and tag changes call it; after a bulk .update() of headlines, deks or bodies,
        call it too (or run `manage.py update_search_vectors`)."""
        return self.update(search_vector=search.document())

    def developing(self):
        return self.filter(developing=True)

    def scheduled(self):
        return self.filter(status=Status.PUBLISHED, published_at__gt=timezone.now())

    def expiring(self):
        """Published stories with an unpublish time still to come."""
        return self.filter(status=Status.PUBLISHED, unpublish_at__gt=timezone.now())

    def editable_by(self, user):
        """Editors see every article; a writer only those they created or sign."""
        if user.has_perm("articles.publish_article"):
            return self
        return self.filter(Q(created_by=user) | Q(authors__user=user)).distinct()

    def previewable_by(self, user):
        """The articles `user` may read before readers can (drafts, stories in
        review, scheduled, unpublished): every one for editors, and for a writer
        those they created or sign. Staff who may only view articles (fundraising)
        preview nothing: a draft is private to the people working on it."""
        if not (user.is_active and user.is_staff):
            return self.none()
        if user.has_perm("articles.publish_article"):
            return self
        if not user.has_perm("articles.change_article"):
            return self.none()
        own = Article.objects.filter(Q(created_by=user) | Q(authors__user=user))
        return self.filter(pk__in=own.values("pk"))

    def visible_to(self, user):
        """What `user` (None: a reader) may open at a story's address: what is
        published, and what they may preview (previewable_by)."""
        if user is None:
            return self.published()
        previewable = Article.objects.previewable_by(user)
        if previewable.query.is_empty():
            return self.published()
        if not previewable.query.where:
            return self
        return self.filter(published_q() | Q(pk__in=previewable.values("pk")))


@reversion.register(
    follow=["bylines", "pull_quotes"],
    exclude=[
        "body_text",
        "search_vector",
        "related_ids",
        "card_parts",
        "story_parts",
        "parts_generation",
        "preview_generation",
    ],
)
class Article(models.Model):
    headline = models.CharField(_("headline"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        help_text=_("The last part of the article's address. Unique across the site."),
    )
    dek = models.CharField(
        _("dek"),
        max_length=300,
        blank=True,
        help_text=_("One or two sentences under the headline. Required to publish."),
    )
    body = RichTextField(_("body"), blank=True)
    section = models.ForeignKey(
        Section,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
        verbose_name=_("section"),
        help_text=_("Required to publish."),
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="articles", verbose_name=_("tags")
    )
    authors = models.ManyToManyField(
        Author,
        through="Byline",
        related_name="articles",
        verbose_name=_("authors"),
    )
    featured_image = models.ForeignKey(
        Image,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("featured image"),
    )
    licence = models.CharField(
        _("license"),
        max_length=30,
        choices=Licence.choices,
        default=Licence.CC_BY_NC_ND_3,
        help_text=_("Under Creative Commons, others may republish the story."),
    )
    seo_title = models.CharField(
        _("SEO title"),
        max_length=70,
        blank=True,
        help_text=_("For search engines and social cards. Empty: the headline."),
    )
    seo_description = models.CharField(
        _("SEO description"),
        max_length=160,
        blank=True,
        help_text=_("Empty: the dek."),
    )
    canonical_url = models.URLField(
        _("canonical URL"),
        blank=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_(
            "Only for a story first published elsewhere: the original's address."
        ),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
    )
    published_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "When readers first see it. Empty: now, when you press Publish. A future "
            "time schedules the article; a past time backdates it (a story first "
            "published elsewhere, an archive import) and is kept as you set it."
        ),
    )
    first_published_at = models.DateTimeField(
        _("first published"), null=True, blank=True, editable=False
    )
    unpublish_at = models.DateTimeField(
        _("unpublish time"),
        null=True,
        blank=True,
        help_text=_(
            "When readers stop seeing it: an embargoed offer, an event listing, a "
            "story published for a limited time. Empty: it stays up."
        ),
    )
    updated_materially_at = models.DateTimeField(
        _("last materially updated"),
        null=True,
        blank=True,
        help_text=_(
            "Shown to readers as “Updated”. Move it for new facts, not for typo fixes."
        ),
    )
    developing = models.BooleanField(
        _("developing story"),
        default=False,
        help_text=_(
            "Shows “This is a developing story. Check back for updates.” with the "
            "time of the latest update. Untick when coverage ends: updates are kept."
        ),
    )
    coverage_started_at = models.DateTimeField(
        _("coverage started"), null=True, blank=True, editable=False
    )
    coverage_ended_at = models.DateTimeField(
        _("coverage ended"), null=True, blank=True, editable=False
    )
    no_appeals = models.BooleanField(
        _("no donation appeals on this story"),
        default=False,
        help_text=_(
            "For tragedies, obituaries and other stories where asking is wrong."
        ),
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The body as plain text (richtext.plain_text), written by save(): the search
    # document and its snippets read it, so search sees the words readers see.
    body_text = models.TextField(default="", blank=True, editable=False)
    # Headline, dek, tags and body, weighted, for full-text search (articles.search).
    search_vector = SearchVectorField(null=True, editable=False)
    # The related stories chosen for this one, best first (related_articles); empty
    # (None) until a reader first asks, and again after any save or tag change.
    related_ids = ArrayField(models.BigIntegerField(), null=True, editable=False)
    # The story's teaser and the unchanging parts of its page, rendered once
    # (articles.parts) and forgotten by the database whenever anything they show
    # changes (migration 0012), which also moves parts_generation on.
    card_parts = models.JSONField(null=True, editable=False)
    story_parts = models.JSONField(null=True, editable=False)
    parts_generation = models.PositiveIntegerField(default=0, editable=False)
    # Signed into every preview link (views.preview_link_for); moving it on revokes
    # the links made before (revoke_preview_links). Not kept in revisions, so a
    # restore cannot bring revoked links back.
    preview_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        permissions = [
            ("publish_article", _("Can publish, schedule and unpublish articles")),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"]),
            # Section pages and the front page's section blocks, newest first.
            models.Index(fields=["section", "-published_at"]),
            # The front page's developing stories: a few among thousands.
            models.Index(
                fields=["-published_at"],
                condition=Q(developing=True),
                name="article_developing",
            ),
            GinIndex(fields=["search_vector"], name="article_search_vector"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.PUBLISHED) | Q(published_at__isnull=False),
                name="article_published_has_time",
            )
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        # The flag keeps its own history: when coverage started, and when it ended.
        if self.developing and (
            self.coverage_started_at is None or self.coverage_ended_at
        ):
            self.coverage_started_at = self.coverage_started_at or timezone.now()
            self.coverage_ended_at = None
        elif (
            not self.developing
            and self.coverage_started_at
            and not self.coverage_ended_at
        ):
            self.coverage_ended_at = timezone.now()
        self.keep_dates_consistent()
        self.body_text = plain_text(sanitize(self.body))
        if self.pk is not None:
            self.remember_old_slug()
            # Every save moves the edit counter on: an editor's form that was opened
            # at an older number is refused instead of overwriting this save.
            self.version += 1
            # A new section or headline may change which stories belong beside it.
            self.related_ids = None
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "version",
                    "related_ids",
                    *(["body_text"] if "body" in kwargs["update_fields"] else []),
                }
        super().save(*args, **kwargs)
        Article.objects.filter(pk=self.pk).update_search_vectors()

    def get_absolute_url(self, view="articles:detail"):
        day = timezone.localdate(self.published_at or self.created_at or timezone.now())
        return url_for(
            view,
            year=day.year,
            month=f"{day.month:02d}",
            day=f"{day.day:02d}",
            slug=self.slug,
        )

    def get_republish_url(self):
        return self.get_absolute_url(view="articles:republish")

    def mark_material_change(self, when=None):
        """New facts (an update, a correction) move “last materially updated”;
        a typo fix, which saves the article alone, does not."""
        when = when or timezone.now()
        Article.objects.filter(pk=self.pk).filter(
            Q(updated_materially_at__isnull=True) | Q(updated_materially_at__lt=when)
        ).update(updated_materially_at=when)

    def keep_dates_consistent(self):
        """“First published” and the start of live coverage follow what readers
        see: a story published (or backdated) to a time before its recorded first
        publication was first published then, and coverage that was live from
        the story's first publication (or flagged before it) starts with it."""
        if self.status != Status.PUBLISHED or self.published_at is None:
            return
        first = self.first_published_at
        if first is not None and first <= self.published_at:
            return
        if self.coverage_started_at and (
            first is None or self.coverage_started_at <= first
        ):
            self.coverage_started_at = self.published_at
        self.first_published_at = self.published_at

    def remember_old_slug(self):
        old = Article.objects.filter(pk=self.pk).values_list("slug", flat=True).first()
        if old and old != self.slug and self.first_published_at:
            OldSlug.objects.update_or_create(slug=old, defaults={"article": self})
            OldSlug.objects.filter(slug=self.slug).delete()

    def is_published(self):
        now = timezone.now()
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= now
            and (self.unpublish_at is None or self.unpublish_at > now)
        )

    def is_expired(self):
        """Published, but its unpublish time has passed: readers no longer see it."""
        return (
            self.status == Status.PUBLISHED
            and self.unpublish_at is not None
            and self.unpublish_at <= timezone.now()
        )

    def is_scheduled(self):
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    def placements_past_the_end(self):
        """Warnings for the editor: pull quotes, and what other apps place in the
        body (articles.hooks: inline appeals), placed after a paragraph this body
        doesn't have, which readers get at the end of the story instead. Paragraphs
        are counted as placement counts them (top-level <p>s, not those inside
        lists, tables or quotes)."""

        count = len(paragraph_ends(sanitize(self.body)))
        pull_quotes = (
            (
                _("pull quote"),
                Truncator(item.quote.text).chars(60),
                item.after_paragraph,
            )
            for item in self.pull_quotes.select_related("quote").filter(
                after_paragraph__gt=count
            )
        )
        return [
            _(
                "The %(kind)s “%(name)s” is placed after paragraph %(n)d, but the "
                "body has %(count)d: readers see it at the end."
            )
            % {"kind": kind, "name": name, "n": paragraph, "count": count}
            for kind, name, paragraph in chain(pull_quotes, hooks.body_placements(self))
            if paragraph > count
        ]

    @property
    def licence_url(self):
        return Licence(self.licence).url

    def description(self):
        """What search engines, link previews and feed readers show under the
        title: the SEO description, else the dek, else the body's first words."""
        if self.seo_description or self.dek:
            return self.seo_description or self.dek
        return Truncator(plain_text(self.body, " ")).chars(DESCRIPTION_LENGTH)

    @property
    def state_label(self):
        """The status an editor needs to see, with "Scheduled" told apart."""
        if self.is_scheduled():
            return _("Scheduled")
        if self.is_expired():
            return _("Expired")
        return self.get_status_display()

    # The story's live parts, from the prefetches of for_page() (or a query when an
    # article was loaded without them).

    @cached_property
    def _recent_updates(self):
        """The latest updates (one more tells whether older ones exist): a story
        with a hundred thousand updates renders as fast as one with ten."""
        return list(
            self.updates.visible()
            .filter(pinned=False)
            .select_related("author")
            .order_by("-published_at", "-pk")[: UPDATES_ON_PAGE + 1]
        )

    @cached_property
    def _pinned_updates(self):
        if hasattr(self, "pinned_updates"):
            return self.pinned_updates
        return list(self.updates.visible().filter(pinned=True).select_related("author"))

    @property
    def shown_updates(self):
        return self._pinned_updates + self.timeline

    @cached_property
    def shown_corrections(self):
        if hasattr(self, "visible_corrections"):
            return self.visible_corrections
        return list(self.corrections.visible())

    @property
    def pinned_update(self):
        return next(iter(self._pinned_updates), None)

    @property
    def timeline(self):
        """The latest updates, newest first, without the pinned summary."""
        return self._recent_updates[:UPDATES_ON_PAGE]

    @property
    def has_older_updates(self):
        return len(self._recent_updates) > UPDATES_ON_PAGE

    @property
    def latest_update(self):
        return max(
            self.shown_updates, key=lambda u: (u.published_at, u.pk), default=None
        )

    @property
    def top_corrections(self):
        return [c for c in self.shown_corrections if c.shows_at_top()]

    @property
    def end_corrections(self):
        return [c for c in self.shown_corrections if not c.shows_at_top()]

    @property
    def date_modified(self):
        """When the story last changed in substance: new facts, not typo fixes."""
        moments = [self.published_at, self.updated_materially_at]
        moments += [u.published_at for u in self.shown_updates]
        moments += [c.published_at for c in self.shown_corrections]
        return max((m for m in moments if m), default=None)

    @cached_property
    def byline_authors(self):
        return [byline.author for byline in self.bylines.all()]

    def find_related_ids(self):
        """The stories to show under this one, best first: those sharing the most
        tags (newer first among equals), then the newest of its section. Counted in
        the database in one query, but a popular tag makes that query read thousands
        of links, so its answer is kept in `related_ids` (see related_articles)."""
        tag_ids = [tag.pk for tag in self.tags.all()]  # prefetched by for_page()
        links = Article.tags.through.objects.filter(tag_id__in=tag_ids)
        # Counted from the tag index alone, then only the best candidates are read
        # (newer ids first among equals).
        candidates = (
            links.filter(article__in=Article.objects.published())
            .exclude(article_id=self.pk)
            .values("article_id")
            .annotate(shared=Count("tag_id"))
            .order_by("-shared", "-article_id")[:50]
        )
        shared = links.filter(article_id=models.OuterRef("pk")).values("article_id")
        same_section = models.Case(
            models.When(section_id=self.section_id, then=1),
            default=0,
            output_field=models.IntegerField(),
        )
        others = Article.objects.published().exclude(pk=self.pk)
        fields = ("pk", "shared_tags", "same_section", "published_at")
        by_tags = (
            others.filter(pk__in=candidates.values("article_id"))
            .annotate(
                shared_tags=models.Subquery(
                    shared.annotate(n=Count("*")).values("n"),
                    output_field=models.IntegerField(),
                ),
                same_section=same_section,
            )
            .order_by("-shared_tags", "-published_at", "-pk")
            .values_list(*fields)
        )
        by_section = (
            others.filter(section_id=self.section_id)
            .annotate(
                shared_tags=models.Value(0, output_field=models.IntegerField()),
                same_section=same_section,
            )
            .order_by("-published_at", "-pk")
            .values_list(*fields)
        )
        rows = by_tags[:RELATED_KEPT].union(by_section[:RELATED_KEPT], all=True)
        ids = []
        best_first = sorted(rows, key=lambda row: (*row[1:], row[0]), reverse=True)
        for pk, *_scores in best_first:
            if pk not in ids:
                ids.append(pk)
        return ids[:RELATED_KEPT]

    @cached_property
    def related_articles(self):
        """Up to three published stories related to this one, in one small query
        (their teasers are stored: articles.parts.with_cards). Which ones is
        decided once and kept in related_ids: saving the story or changing its
        tags forgets the choice, publishing it makes its neighbours choose again,
        and the first reader after that pays for the count (a few milliseconds).
        A kept story that is later unpublished simply drops out: more are kept
        than shown."""
        ids = self.related_ids
        if ids is None:
            ids = self.find_related_ids()
            Article.objects.filter(pk=self.pk).update(related_ids=ids)
            self.related_ids = ids
        if not ids:
            return []
        found = Article.objects.raw(
            "SELECT id, slug, published_at, created_at, card_parts, parts_generation"
            f" FROM articles_article WHERE id = ANY(%s) AND {PUBLISHED_SQL}",
            [ids, *published_params()],
        )
        by_pk = {article.pk: article for article in found}
        return [by_pk[pk] for pk in ids if pk in by_pk][:RELATED_ON_PAGE]

    def may_be_republished(self):
        """Under a Creative Commons licence others may republish the story."""
        return bool(self.licence_url)

    # Workflow. Every step checks who asks on the server; the admin's buttons only
    # call these methods.

    def can_preview(self, user):
        """Whether `user` may read this article before readers can (see
        ArticleQuerySet.previewable_by)."""
        if not (user.is_active and user.is_staff):
            return False
        if user.has_perm("articles.publish_article"):
            return True
        return user.has_perm("articles.change_article") and (
            self.created_by_id == user.pk
            or self.bylines.filter(author__user=user).exists()
        )

    def revoke_preview_links(self, by):
        """Every preview link made so far stops working; new ones work. Only the
        people who may make preview links (editors) may revoke them."""
        self._require_publisher(by)
        Article.objects.filter(pk=self.pk).update(
            preview_generation=models.F("preview_generation") + 1
        )
        self.refresh_from_db(fields=["preview_generation"])

    def can_edit(self, user):
        if user.has_perm("articles.publish_article"):
            return True
        if not user.has_perm("articles.change_article"):
            return False
        own = (
            self.created_by_id == user.pk
            or self.bylines.filter(author__user=user).exists()
        )
        return own and self.status in (Status.DRAFT, Status.UNPUBLISHED)

    def why_not_editable(self, user):
        """Why `user` may not edit this article, in words for them; None if they
        may. The same rules as can_edit."""
        if self.can_edit(user):
            return None
        if not user.has_perm("articles.change_article"):
            return _("Your role lets you read stories, not change them.")
        own = (
            self.created_by_id == user.pk
            or self.bylines.filter(author__user=user).exists()
        )
        if not own:
            return _(
                "It is not one of yours: only its authors (while it is a draft) and "
                "the editors can change it."
            )
        if self.status == Status.IN_REVIEW:
            return _(
                "It is in review: an editor publishes it or sends it back to you "
                "to change."
            )
        return _(
            "It is published or scheduled: only editors can change it now. Ask an "
            "editor for a change or a correction."
        )

    def publish_problems(self):
        """What stands between this article and readers, in an editor's words."""
        problems = []
        if self.unpublish_at and self.unpublish_at <= timezone.now():
            problems.append(
                _("The unpublish time has passed: clear it or set a later one.")
            )
        if not self.bylines.exists():
            problems.append(_("Add at least one byline."))
        if self.section_id is None:
            problems.append(_("Choose a section."))
        if not self.dek.strip():
            problems.append(_("Write a dek."))
        if not self.body.strip():
            problems.append(_("Write the body."))
        image = self.featured_image
        if image and not (image.alt_text.strip() or image.decorative):
            problems.append(_("Give the featured image alt text."))
        if any(not alt.strip() for alt in body_image_alts(self.body)):
            problems.append(_("Give every image in the body alt text."))
        return problems

    def _require_publisher(self, by):
        if not by.has_perm("articles.publish_article"):
            raise PermissionDenied(
                _("Only editors can publish, schedule or unpublish articles.")
            )

    def _transition(self, by, status, comment, step, note="", **fields):
        """Move to `status`, as a revision, and record the step with its note."""
        note = note.strip()
        if len(note) > NOTE_LENGTH:
            raise WorkflowError(
                _("Keep the note under %(count)d characters.") % {"count": NOTE_LENGTH}
            )
        with transaction.atomic(), reversion.create_revision():
            self.status = status
            for name, value in fields.items():
                setattr(self, name, value)
            self.updated_by = by
            self.save()
            reversion.set_user(by)
            reversion.set_comment(comment)
            recorded = WorkflowNote.objects.create(
                article=self, author=by, action=step, text=note
            )
            from .notifications import notify_on_commit

            notify_on_commit(recorded)

    def submit_for_review(self, by, note=""):
        if self.status not in (Status.DRAFT, Status.UNPUBLISHED):
            raise WorkflowError(_("Only a draft can be submitted for review."))
        if not self.can_edit(by):
            raise PermissionDenied(_("You can only submit your own articles."))
        self._transition(
            by,
            Status.IN_REVIEW,
            _("Submitted for review"),
            WorkflowStep.SUBMITTED,
            note,
        )

    def send_back(self, by, note=""):
        """An editor returns an article in review to its writer."""
        self._require_publisher(by)
        if self.status != Status.IN_REVIEW:
            raise WorkflowError(_("Only an article in review can be sent back."))
        self._transition(
            by, Status.DRAFT, _("Sent back to draft"), WorkflowStep.SENT_BACK, note
        )

    def publish(self, by, at=None, note=""):
        """Publish at `at`, else at the article's own publish time, else now. The
        time is kept as the editor set it: a future one schedules the article (it
        appears by itself), a past one backdates it."""
        self._require_publisher(by)
        problems = self.publish_problems()
        if problems:
            raise WorkflowError(_("This article cannot be published yet."), problems)
        now = timezone.now()
        when = at or self.published_at or now
        step = WorkflowStep.SCHEDULED if when > now else WorkflowStep.PUBLISHED
        comment = _("Scheduled") if when > now else _("Published")
        self._transition(by, Status.PUBLISHED, comment, step, note, published_at=when)
        if when <= now:
            # Chosen now rather than by the first reader; and the stories closest to
            # this one choose again, so they link to it.
            self.related_ids = self.find_related_ids()
            Article.objects.filter(pk=self.pk).update(related_ids=self.related_ids)
            Article.objects.filter(pk__in=self.related_ids).update(related_ids=None)

    def unpublish(self, by, note=""):
        self._require_publisher(by)
        if self.status != Status.PUBLISHED:
            raise WorkflowError(
                _("Only a published or scheduled article can be unpublished.")
            )
        # A scheduled story taken back before its time was never seen by readers.
        # Its publish time stays, as the editor set it; its first publication is
        # still to come.
        never_seen = (
            self.first_published_at and self.first_published_at > timezone.now()
        )
        self._transition(
            by,
            Status.UNPUBLISHED,
            _("Unpublished"),
            WorkflowStep.UNPUBLISHED,
            note,
            **({"first_published_at": None} if never_seen else {}),
        )

    def restore(self, version, by):
        """Bring back the words, placement, bylines and pull quotes of an earlier
        revision, as a new revision. Status and publish time stay as they are now.

        Revisions saved before they kept pull quotes leave the pull quotes as they
        are (revisions.keeps_pull_quotes). Pull quotes no revision holds yet are
        first kept in a revision of their own, so a restore can be undone."""
        if not self.can_edit(by):
            raise PermissionDenied(_("You cannot edit this article."))
        from .revisions import keeps_pull_quotes, latest_version, stored_rows

        data = version.field_dict
        old_bylines = stored_rows(version, Byline)
        restores_pull_quotes = keeps_pull_quotes(version)
        old_pull_quotes = stored_rows(version, PullQuote)
        current = sorted(self.pull_quotes.values_list("quote_id", "after_paragraph"))
        latest = latest_version(self)
        kept = latest and sorted(
            (q["quote_id"], q["after_paragraph"])
            for q in stored_rows(latest, PullQuote)
        )
        if restores_pull_quotes and current and current != kept:
            with transaction.atomic(), reversion.create_revision():
                reversion.add_to_revision(self)
                reversion.set_user(by)
                reversion.set_comment(_("Before the restore"))
        with transaction.atomic(), reversion.create_revision():
            for name in RESTORED_FIELDS:
                setattr(self, name, data[name])
            self.updated_by = by
            self.save()
            self.tags.set(data.get("tags", []))
            self.bylines.all().delete()
            Byline.objects.bulk_create(
                Byline(article=self, author_id=b["author_id"], position=b["position"])
                for b in old_bylines
                if Author.objects.filter(pk=b["author_id"]).exists()
            )
            if restores_pull_quotes:
                self.pull_quotes.all().delete()
                PullQuote.objects.bulk_create(
                    PullQuote(
                        article=self,
                        quote_id=q["quote_id"],
                        after_paragraph=q["after_paragraph"],
                    )
                    for q in old_pull_quotes
                    if Quote.objects.filter(pk=q["quote_id"]).exists()
                )
            # save() added the article with the rows it had then; bulk_create sends
            # no signal: added again, the revision holds the rows restored.
            reversion.add_to_revision(self)
            reversion.set_user(by)
            reversion.set_comment(
                _("Restored the revision of %(when)s")
                % {"when": format_local(version.revision.date_created)}
            )

    def clean(self):
        if self.status == Status.PUBLISHED and self.published_at is None:
            raise ValidationError(
                {
                    "published_at": _(
                        "A published or scheduled article needs a publish time. "
                        "To take it down, unpublish it instead."
                    )
                }
            )
        if (
            self.unpublish_at
            and self.published_at
            and self.unpublish_at <= self.published_at
        ):
            raise ValidationError(
                {
                    "unpublish_at": _(
                        "The unpublish time must come after the publish time."
                    )
                }
            )
        if self.canonical_url and self.canonical_url.startswith("http://"):
            raise ValidationError(
                {"canonical_url": _("Use the https:// address of the original.")}
            )


@receiver(m2m_changed, sender=Article.tags.through)
def reindex_after_tagging(sender, instance, action, reverse, pk_set, **kwargs):
    # Tag names are part of the search document, and the admin saves tags after the
    # article, so the article's own save() cannot see them: every change to the
    # links re-indexes the articles it touches.
    if reverse and action == "pre_clear":
        # tag.articles.clear() names no articles, and afterwards the links are gone.
        instance._untagged = list(instance.articles.values_list("pk", flat=True))
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        pk_set = [instance.pk]
    elif action == "post_clear":
        pk_set = instance.__dict__.pop("_untagged", [])
    Article.objects.filter(pk__in=pk_set).update_search_vectors()
    Article.objects.filter(pk__in=pk_set).update(related_ids=None)


@receiver(pre_delete, sender=Tag)
def remember_tagged_articles(sender, instance, **kwargs):
    instance._untagged = list(instance.articles.values_list("pk", flat=True))


@receiver(post_delete, sender=Tag)
def reindex_after_tag_deleted(sender, instance, **kwargs):
    pks = instance.__dict__.pop("_untagged", [])
    Article.objects.filter(pk__in=pks).update_search_vectors()
    Article.objects.filter(pk__in=pks).update(related_ids=None)


# What restoring a revision brings back (by attribute name); tags and bylines too.
RESTORED_FIELDS = [
    "headline",
    "slug",
    "dek",
    "body",
    "section_id",
    "featured_image_id",
    "licence",
    "seo_title",
    "seo_description",
    "canonical_url",
]


@reversion.register()
class Byline(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="bylines"
    )
    author = models.ForeignKey(
        Author,
        on_delete=models.PROTECT,
        related_name="bylines",
        verbose_name=_("author"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("byline")
        verbose_name_plural = _("bylines")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "author"], name="byline_author_once_per_article"
            )
        ]

    def __str__(self):
        return self.author.name


class OldSlug(models.Model):
    """An address an article had before its slug changed: readers' links and search
    engines' copies keep working through a permanent redirect."""

    slug = models.SlugField(_("old slug"), max_length=200, unique=True)
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="old_slugs"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("old address")
        verbose_name_plural = _("old addresses")

    def __str__(self):
        return self.slug


def _host_and_parents(host):
    """ "news.partner.example" -> ["news.partner.example", "partner.example"]: the
    names a confirmed partner's site may be recorded under."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)] or [host]


class RepublishCountQuerySet(models.QuerySet):
    def record(self, article_id, host, day=None):
        """Count one view of a republished copy, in one atomic statement (insert, or
        add one to the day's row), so views arriving together never lose a count.
        Only a published article counts. The view is counted for the site showing
        it only if a staff member confirmed that site as a republishing partner
        (RepublishPartner): the Referer is the browser's word, and anyone may send
        any. Every other site is counted in one row, with no name, so that junk
        cannot add a row per made-up site. Returns whether it was counted."""
        day = day or timezone.localdate()
        published = Article.objects.published().filter(pk=article_id).values("pk")
        subquery, params = published.query.sql_with_params()
        table = self.model._meta.db_table
        partners = RepublishPartner._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (article_id, host, day, views) "
                "SELECT published.id, COALESCE("
                f"(SELECT host FROM {partners} WHERE host = ANY(%s)"
                " ORDER BY length(host) DESC LIMIT 1), ''), "
                f"%s, 1 FROM ({subquery}) AS published (id) "
                "ON CONFLICT (article_id, host, day) "
                f"DO UPDATE SET views = {table}.views + 1",
                [_host_and_parents(host) if host else [], day, *params],
            )
            return cursor.rowcount == 1


class RepublishPartner(models.Model):
    """A site a staff member confirmed republishes our stories: the republish
    pixel counts views under its name (and its subdomains'). Views from any other
    site are counted together, without a name."""

    host = models.CharField(
        _("site"),
        max_length=253,
        unique=True,
        validators=[
            RegexValidator(
                r"\A[a-z0-9-]+(\.[a-z0-9-]+)+\Z",
                _("Enter the site's host name, e.g. news.example.org."),
            )
        ],
        help_text=_(
            "The host name of the partner's site, e.g. “news.example.org” "
            "(its subdomains count too)."
        ),
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)

    class Meta:
        ordering = ["host"]
        verbose_name = _("republishing partner")
        verbose_name_plural = _("republishing partners")

    def __str__(self):
        return self.name or self.host


class RepublishCount(models.Model):
    """How often a republished copy of an article was read on another site, per day:
    counted by the pixel in the copy. Aggregates only: no cookie is set, no address
    or reader is recorded."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="republish_counts",
        verbose_name=_("article"),
    )
    host = models.CharField(
        _("site"),
        max_length=253,
        blank=True,
        help_text=_(
            "The confirmed republishing partner showing the copy. Empty for every "
            "other site, and when the browser did not say."
        ),
    )
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("views"), default=0)

    objects = RepublishCountQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "-views"]
        verbose_name = _("republished views")
        verbose_name_plural = _("republished views")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "host", "day"], name="republish_count_per_day"
            )
        ]

    def __str__(self):
        return f"{self.host or '?'} {self.day}: {self.views}"


# Developing stories ------------------------------------------------------------


# How many updates an article page shows; older ones are a click away.
UPDATES_ON_PAGE = 50


class StoryPartQuerySet(models.QuerySet):
    """Updates and corrections: parts of a story with their own publish time."""

    def visible(self):
        """Parts whose time has come, whatever their article's state (for the
        article page, which has already decided the article may be seen)."""
        return self.filter(published_at__lte=timezone.now())

    def published(self):
        """Parts readers see: their time has come, on an article readers see."""
        return self.visible().filter(published_q("article__"))


@reversion.register()
class Update(models.Model):
    """A timestamped addition to a developing story."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="updates",
        verbose_name=_("article"),
    )
    headline = models.CharField(_("headline"), max_length=200, blank=True)
    body = RichTextField(_("text"))
    author = models.ForeignKey(
        Author,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("author"),
    )
    published_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Readers see the update from this time. Empty: a draft, seen by no one. "
            "Updates by writers stay drafts until an editor sets the time."
        ),
    )
    pinned = models.BooleanField(
        _("pinned"),
        default=False,
        help_text=_("Shown first, as the “What we know” summary."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StoryPartQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-published_at", "-pk"]
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        indexes = [models.Index(fields=["article", "-published_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["article"],
                condition=Q(pinned=True),
                name="update_one_pinned_per_article",
                violation_error_message=_("A story has one pinned summary at a time."),
            )
        ]

    def __str__(self):
        return self.title()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A scheduled update counts when it appears (the page reads the latest
        # visible update itself); one published now moves the article's time.
        if self.is_published():
            self.article.mark_material_change(self.published_at)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#update-{self.pk}"

    def is_published(self):
        return self.published_at is not None and self.published_at <= timezone.now()

    def title(self):
        """The headline, or for an update without one its first words: in feeds,
        structured data and the admin."""
        return self.headline or Truncator(plain_text(self.body)).words(12)


class CorrectionKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    CLARIFICATION = "clarification", _("Clarification")
    EDITORS_NOTE = "editors-note", _("Editor's note")
    RETRACTION = "retraction", _("Retraction")


@reversion.register()
class Correction(models.Model):
    """A correction, clarification, editor's note or retraction, shown openly on the
    article and on the public corrections page."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="corrections",
        verbose_name=_("article"),
    )
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=CorrectionKind.choices,
        default=CorrectionKind.CORRECTION,
    )
    body = RichTextField(
        _("text"),
        help_text=_("What was wrong and what is right, e.g. “An earlier version…”."),
    )
    prominent = models.BooleanField(
        _("show at the top"),
        default=False,
        help_text=_(
            "Show above the story instead of at its end. Retractions always are."
        ),
    )
    published_at = models.DateTimeField(
        _("publish time"),
        default=timezone.now,
        db_index=True,
        help_text=_("When the correction was made public."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoryPartQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self):
        return f"{self.get_kind_display()}: {Truncator(plain_text(self.body)).words(8)}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        if self.published_at <= timezone.now():
            self.article.mark_material_change(self.published_at)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#correction-{self.pk}"

    def shows_at_top(self):
        return self.prominent or self.kind == CorrectionKind.RETRACTION


# Quotes ------------------------------------------------------------------------
#
# A quote is public once it appears in a published article: a statement saved for a
# story still in the works (or under embargo) must not reach readers before the story.


def _in_published_article(path):
    """Whether the outer row (a quote: path "quote"; a speaker: "quote__speaker")
    appears as a pull quote in a published article."""
    return models.Exists(
        PullQuote.objects.filter(
            article__in=Article.objects.published(), **{path: models.OuterRef("pk")}
        )
    )


def _may_preview_quotes(user):
    """Quotes and speakers not public yet are shown to those who edit them."""
    return (
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("articles.change_quote")
    )


class SpeakerQuerySet(models.QuerySet):
    def with_visibility(self):
        """Annotate `is_public`: whether any quote of the speaker is public."""
        return self.annotate(is_public=_in_published_article("quote__speaker"))

    def public(self):
        """Speakers readers may see: those with at least one public quote."""
        return self.with_visibility().filter(is_public=True)

    def visible_to(self, user):
        """Speakers `user` (None: a reader) may open: public ones, and for those
        who edit quotes, the others too, as a preview."""
        if _may_preview_quotes(user):
            return self.with_visibility()
        return self.public()


class Speaker(models.Model):
    """A public figure whose statements the newsroom quotes."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    title = models.CharField(
        _("current title"),
        max_length=200,
        blank=True,
        help_text=_(
            "e.g. “Mayor of Springfield”. Each quote keeps the title of its day."
        ),
    )
    bio = models.TextField(_("short bio"), blank=True)
    photo = models.ForeignKey(
        Image,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )

    objects = SpeakerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:speaker", kwargs={"slug": self.slug})


QUOTE_MAX_LENGTH = 1000


class QuoteQuerySet(models.QuerySet):
    def with_visibility(self):
        """Annotate `is_public`: whether the quote appears in a published article."""
        return self.annotate(is_public=_in_published_article("quote"))

    def public(self):
        """Quotes readers may see: those in at least one published article."""
        return self.with_visibility().filter(is_public=True)

    def visible_to(self, user):
        """Quotes `user` (None: a reader) may open: public ones, and for those who
        edit quotes, the others too, as a preview."""
        if _may_preview_quotes(user):
            return self.with_visibility()
        return self.public()

    def with_published_articles(self):
        """Prefetch, as `published_articles`, the published articles each quote
        appears in, newest first: one query for any number of quotes."""
        articles = Article.objects.published().order_by("-published_at", "-pk")
        return self.prefetch_related(
            models.Prefetch("articles", queryset=articles, to_attr="published_articles")
        )


class Quote(models.Model):
    """A statement by a speaker: one entity, reused as a pull quote in any number of
    articles and found again by speaker."""

    text = models.TextField(
        _("text"),
        max_length=QUOTE_MAX_LENGTH,
        help_text=_(
            "Exactly as said, without quotation marks. Plain text. Readers see the "
            "quote once it appears in a published article."
        ),
        error_messages={"blank": _("A quote needs its text.")},
    )
    speaker = models.ForeignKey(
        Speaker,
        on_delete=models.PROTECT,
        related_name="quotes",
        verbose_name=_("speaker"),
    )
    speaker_title = models.CharField(
        _("speaker's title at the time"),
        max_length=200,
        blank=True,
        help_text=_("e.g. “U.N. Secretary-General”."),
    )
    said_on = models.DateField(_("said on"), null=True, blank=True)
    context = models.CharField(
        _("context"),
        max_length=300,
        blank=True,
        help_text=_("e.g. “speaking to reporters after talks in Turkey”."),
    )
    source_url = models.URLField(
        _("source link"), blank=True, help_text=_("Where the statement was made.")
    )
    articles = models.ManyToManyField(
        Article,
        through="PullQuote",
        related_name="quotes",
        blank=True,
        verbose_name=_("articles"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuoteQuerySet.as_manager()

    class Meta:
        # Newest first; a quote without a date after the dated ones.
        ordering = [
            models.F("said_on").desc(nulls_last=True),
            "-created_at",
            "-pk",
        ]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""),
                name="quote_text_not_empty",
                violation_error_message=_("A quote needs its text."),
            ),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(
                    Length("text"), QUOTE_MAX_LENGTH
                ),
                name="quote_text_max_length",
                violation_error_message=format_lazy(
                    _("A quote is at most {limit} characters."),
                    limit=QUOTE_MAX_LENGTH,
                ),
            ),
        ]

    def __str__(self):
        return f"{self.speaker}: {Truncator(self.text).chars(60)}"

    def save(self, *args, **kwargs):
        # Quotes are plain text: collapse the stray whitespace of a paste.
        self.text = " ".join(self.text.split())
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:quote", kwargs={"pk": self.pk})

    def get_share_image_url(self):
        """The quote's share image, at an address that changes with what it shows
        (so it can be cached for good)."""
        url = reverse("articles:quote-image", kwargs={"pk": self.pk})
        return f"{url}?v={share_images.fingerprint(self)}"

    def clean_fields(self, exclude=None):
        # Collapsed first, so that whitespace alone counts as no text and the length
        # limit applies to what is saved.
        self.text = " ".join((self.text or "").split())
        super().clean_fields(exclude)

    def clean(self):
        if len(self.text) > QUOTE_MAX_LENGTH:
            raise ValidationError(
                {
                    "text": _(
                        "A quote is at most %(limit)d characters; this one has "
                        "%(count)d. Quote the key part and link to the full "
                        "statement as the source."
                    )
                    % {"limit": QUOTE_MAX_LENGTH, "count": len(self.text)}
                }
            )


@reversion.register()
class PullQuote(models.Model):
    """A quote placed in an article, after paragraph N of its body."""

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="pull_quotes"
    )
    quote = models.ForeignKey(
        Quote,
        on_delete=models.PROTECT,
        related_name="pull_quotes",
        verbose_name=_("quote"),
    )
    after_paragraph = models.PositiveSmallIntegerField(
        _("after paragraph"),
        default=2,
        help_text=_(
            "Shown after this paragraph of the body (never inside a list, table or "
            "block quote). Past the last paragraph: at the end."
        ),
    )

    class Meta:
        ordering = ["after_paragraph", "pk"]
        verbose_name = _("pull quote")
        verbose_name_plural = _("pull quotes")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "quote"], name="pull_quote_once_per_article"
            )
        ]

    def __str__(self):
        return str(self.quote)


class WorkflowStep(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for review")
    SENT_BACK = "sent_back", _("Sent back to draft")
    PUBLISHED = "published", _("Published")
    SCHEDULED = "scheduled", _("Scheduled")
    UNPUBLISHED = "unpublished", _("Unpublished")


# Long enough for a real note to a writer, short enough for an email.
NOTE_LENGTH = 2000


class WorkflowNote(models.Model):
    """A workflow step taken on a story (submitted, sent back, published...), by
    whom and when, with the note written with it if any: the story's short history
    on its change form, and what the notification email quotes."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="workflow_notes",
        verbose_name=_("article"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("step"), max_length=20, choices=WorkflowStep.choices)
    text = models.TextField(_("note"), blank=True, max_length=NOTE_LENGTH)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("workflow note")
        verbose_name_plural = _("workflow notes")

    def __str__(self):
        return (
            f"{self.get_action_display()}: {self.text}"
            if self.text
            else (self.get_action_display())
        )
