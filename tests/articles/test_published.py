"""One definition of published: Article.objects.published() (published_q) is the
rule; the hand-written queries compile their condition from it (published_sql), and
the methods that answer for an article in memory must give the same answer as the
database for every combination of status, publish time and unpublish time."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.models import Article, Status, Update
from articles.related import related_articles
from tests.factories import ArticleFactory, UpdateFactory

pytestmark = pytest.mark.django_db

# Whole minutes from the start of an example, or exactly then: never close enough to
# a boundary for the moments the database and Python read the clock to disagree.
MINUTES = st.sampled_from([-10_000, -60, -1, 0, 1, 60, 10_000])
MOMENTS = st.one_of(st.none(), MINUTES)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(status=st.sampled_from(Status.values), published=MOMENTS, unpublish=MOMENTS)
def test_the_article_methods_agree_with_the_database(status, published, unpublish):
    if status == Status.PUBLISHED and published is None:
        return  # refused by the article_published_has_time constraint
    article = Article.objects.filter(slug="the-story").first() or ArticleFactory(
        slug="the-story"
    )
    update = Update.objects.filter(article=article).first() or UpdateFactory(
        article=article, published_at=timezone.now() - timedelta(days=30)
    )
    start = timezone.now()

    def at(minutes):
        return None if minutes is None else start + timedelta(minutes=minutes)

    Article.objects.filter(pk=article.pk).update(
        status=status, published_at=at(published), unpublish_at=at(unpublish)
    )
    article.refresh_from_db()
    in_database = Article.objects.published().filter(pk=article.pk).exists()
    assert article.is_published() is in_database
    assert (Article.objects.reader_page(article.slug) is not None) is in_database
    assert Update.objects.published().filter(pk=update.pk).exists() is in_database
    front = Article.objects.front_page(latest=5, developing=5, per_section=5)
    assert (article in front["latest"]) is in_database
    neighbour = ArticleFactory.build(pk=0, related_ids=[article.pk])
    assert (related_articles(neighbour) == [article]) is in_database
    scheduled = Article.objects.scheduled().filter(pk=article.pk).exists()
    assert article.is_scheduled() is scheduled
