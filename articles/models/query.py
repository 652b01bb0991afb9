"""
What an article is to readers: its statuses, the one definition of published, and
the ArticleQuerySet that every list, page, feed and search reads stories through.
"""

import functools
from datetime import UTC, datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchVector
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..search import search_config
from .taxonomy import Tag

# Columns a list of stories does not show (for_list): the body, the search document
# (larger still), the related stories and the stored parts of the story's page.
LIST_DEFERRED = ("body", "body_text", "search_vector", "related_ids", "story_parts")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Unpublished")


def published_q(prefix="", now=None):
    """The one definition of what readers may see. A scheduled article is
    published with a future time: it appears on its own when the time comes; one
    with an unpublish time disappears on its own when that comes. `prefix` is the
    path to the article from another model ("article__"); `now`, the moment asked
    about (the current time unless given)."""
    now = now or timezone.now()
    return Q(
        **{
            f"{prefix}status": Status.PUBLISHED,
            f"{prefix}published_at__lte": now,
        }
    ) & (
        Q(**{f"{prefix}unpublish_at__isnull": True})
        | Q(**{f"{prefix}unpublish_at__gt": now})
    )


def document():
    """The weighted search document of an article row, for UPDATE ... SET
    (articles.search explains the weights)."""
    config = search_config()
    tag_names = models.Func(
        ArraySubquery(
            Tag.objects.filter(articles=models.OuterRef("pk")).order_by().values("name")
        ),
        models.Value(" "),
        function="array_to_string",
        output_field=models.TextField(),
    )
    return (
        SearchVector("headline", config=config, weight="A")
        + SearchVector("dek", tag_names, config=config, weight="B")
        + SearchVector("body_text", config=config, weight="C")
    )


# Stands for "now" in the published condition compiled once (published_sql).
COMPILED_AT = datetime(1, 1, 1, tzinfo=UTC)


@functools.cache
def _compiled_published(model):
    query = model.objects.filter(published_q(now=COMPILED_AT)).query
    compiler = query.get_compiler(connection=connection)
    return query.where.as_sql(compiler, connection)


class ArticleQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_q())

    def published_sql(self):
        """published() as `(sql, params)` for the few hot queries written by hand
        (front_page, reader_page, related.related_articles), on `articles_article`:
        the ORM spends three times as long building and reading those queries as
        PostgreSQL spends answering them, but the condition itself is compiled by
        Django from published_q(), so it cannot say anything else. Compiled once;
        each call puts the current time in."""
        sql, params = _compiled_published(self.model)
        now = timezone.now()
        return sql, [now if param == COMPILED_AT else param for param in params]

    def reader_page(self, slug):
        """The published story at `slug` as its page needs it, or None: every
        column but those its stored parts stand for (articles.parts)."""
        columns = ", ".join(
            field.column
            for field in self.model._meta.concrete_fields
            if field.name not in ("body", "body_text", "search_vector", "card_parts")
        )
        published, params = self.published_sql()
        found = self.model.objects.raw(
            f"SELECT {columns} FROM articles_article WHERE slug = %s AND {published}",
            [slug, *params],
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
        published, params = self.published_sql()
        rows = self.model.objects.raw(
            f"""
            WITH latest AS (
                SELECT {columns} FROM articles_article
                WHERE {published} {order} LIMIT %s
            )
            SELECT 'latest' AS kind, * FROM latest
            UNION ALL (
                SELECT 'developing', {columns} FROM articles_article
                WHERE developing AND {published} {order} LIMIT %s
            )
            UNION ALL
            SELECT 'section', a.* FROM articles_section s CROSS JOIN LATERAL (
                SELECT {columns} FROM articles_article
                WHERE section_id = s.id AND {published}
                    AND id NOT IN (SELECT id FROM latest)
                {order} LIMIT %s
            ) a
            """,
            [*params, latest, *params, developing, *params, per_section],
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
        bylines = self._bylines()
        pinned = self._rows("updates").visible().filter(pinned=True)
        corrections = self._rows("corrections").visible()
        pull_quotes = self._rows("pull_quotes").select_related("quote__speaker")
        return (
            self.select_related("section", "featured_image")
            .defer("body_text", "search_vector")
            .prefetch_related(
                models.Prefetch("bylines", queryset=bylines),
                "tags",
                # The latest updates are read by the article itself (_recent_updates),
                # with a LIMIT on the (article, published_at) index: a prefetch would
                # number every update of the story to keep the latest.
                models.Prefetch(
                    "updates",
                    queryset=pinned.select_related("author"),
                    to_attr="pinned_updates",
                ),
                models.Prefetch(
                    "corrections", queryset=corrections, to_attr="visible_corrections"
                ),
                models.Prefetch("pull_quotes", queryset=pull_quotes),
            )
        )

    def for_list(self, body=False):
        """What a list of stories shows (section, picture, bylines): two queries
        for any number of stories. Without their bodies unless asked (feeds)."""
        bylines = self._bylines()
        deferred = [name for name in LIST_DEFERRED if not (body and name == "body")]
        return (
            self.select_related("section", "featured_image")
            .prefetch_related(models.Prefetch("bylines", queryset=bylines))
            .defer(*deferred)
        )

    def _rows(self, name):
        """The rows an article has under `name` (bylines, updates, corrections,
        pull quotes): their models are defined beside the article, not before it."""
        return self.model._meta.get_field(name).related_model.objects

    def _bylines(self):
        return self._rows("bylines").select_related("author").order_by("position", "pk")

    def for_cards(self):
        """A list of stories shown by their stored teaser parts (articles.parts):
        one query, with nothing joined or prefetched; pass the stories through
        articles.parts.with_cards(), which renders those whose parts are not kept."""
        return self.defer(*LIST_DEFERRED)

    def update_search_vectors(self):
        """Rebuild the search document of these articles in one UPDATE. Article.save()
        and tag changes call it; after a bulk .update() of headlines, deks or bodies,
        call it too (or run `manage.py update_search_vectors`)."""
        return self.update(search_vector=document())

    def scheduled(self):
        return self.filter(status=Status.PUBLISHED, published_at__gt=timezone.now())

    def expiring(self):
        """Published stories with an unpublish time still to come."""
        return self.filter(status=Status.PUBLISHED, unpublish_at__gt=timezone.now())

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
        own = self.model.objects.filter(Q(created_by=user) | Q(authors__user=user))
        return self.filter(pk__in=own.values("pk"))

    def visible_to(self, user):
        """What `user` (None: a reader) may open at a story's address: what is
        published, and what they may preview (previewable_by)."""
        if user is None:
            return self.published()
        previewable = self.model.objects.previewable_by(user)
        if previewable.query.is_empty():
            return self.published()
        if not previewable.query.where:
            return self
        return self.filter(published_q() | Q(pk__in=previewable.values("pk")))
