"""
The stories shown under a story: those sharing the most tags (newer first among
equals), then the newest of its section.

Counting shared tags is done in the database in one query, but a popular tag makes
that query read thousands of links, so its answer is kept in `Article.related_ids`:
saving the story or changing its tags forgets the choice (`Article.save()`,
articles.signals), publishing it makes its neighbours choose again
(articles.workflow.publish), and the first reader after that pays for the count (a
few milliseconds). A kept story that is later unpublished simply drops out: more
are kept than shown.
"""

from django.db import models
from django.db.models import Count

from .models import Article

# Related stories shown under an article, and how many are kept chosen (spares for
# those unpublished later).
RELATED_ON_PAGE = 3
RELATED_KEPT = 6


def find_related_ids(article):
    """The ids of the stories to show under `article`, best first, counted now."""
    tag_ids = [tag.pk for tag in article.tags.all()]  # prefetched by for_page()
    links = Article.tags.through.objects.filter(tag_id__in=tag_ids)
    # Counted from the tag index alone, then only the best candidates are read
    # (newer ids first among equals).
    candidates = (
        links.filter(article__in=Article.objects.published())
        .exclude(article_id=article.pk)
        .values("article_id")
        .annotate(shared=Count("tag_id"))
        .order_by("-shared", "-article_id")[:50]
    )
    shared = links.filter(article_id=models.OuterRef("pk")).values("article_id")
    same_section = models.Case(
        models.When(section_id=article.section_id, then=1),
        default=0,
        output_field=models.IntegerField(),
    )
    others = Article.objects.published().exclude(pk=article.pk)
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
        others.filter(section_id=article.section_id)
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


def choose_related(article):
    """Choose `article`'s related stories now and keep the choice."""
    article.related_ids = find_related_ids(article)
    Article.objects.filter(pk=article.pk).update(related_ids=article.related_ids)
    return article.related_ids


def related_articles(article):
    """Up to three published stories related to `article`, in one small query
    (their teasers are stored: articles.parts.with_cards), chosen once and kept."""
    ids = article.related_ids
    if ids is None:
        ids = choose_related(article)
    if not ids:
        return []
    published, params = Article.objects.published_sql()
    found = Article.objects.raw(
        "SELECT id, slug, published_at, created_at, card_parts, parts_generation"
        f" FROM articles_article WHERE id = ANY(%s) AND {published}",
        [ids, *params],
    )
    by_pk = {story.pk: story for story in found}
    return [by_pk[pk] for pk in ids if pk in by_pk][:RELATED_ON_PAGE]
