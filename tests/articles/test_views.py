from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ArticleFactory, AuthorFactory, DraftFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_home_lists_published_articles_newest_first(client):
    older = ArticleFactory(published_at=timezone.now() - timedelta(days=1))
    newer = ArticleFactory(published_at=timezone.now() - timedelta(hours=1))
    response = client.get(reverse("articles:home"))
    assert response.status_code == 200
    assert response.context["lead"] == newer
    assert list(response.context["articles"]) == [older]
    assert newer.headline in response.content.decode()


def test_home_hides_unpublished_and_scheduled_articles(client):
    DraftFactory(headline="A draft nobody may see")
    ArticleFactory(
        headline="A story for tomorrow",
        published_at=timezone.now() + timedelta(days=1),
    )
    response = client.get(reverse("articles:home"))
    assert "A draft nobody may see" not in response.content.decode()
    assert "A story for tomorrow" not in response.content.decode()


def test_home_query_count_does_not_grow_with_articles(
    client, django_assert_num_queries
):
    ArticleFactory.create_batch(25)
    client.get(reverse("articles:home"))  # keeps the teasers (articles.parts)
    # The front page's fixed set: see HOME_QUERIES in test_reader_pages.py.
    with django_assert_num_queries(4):
        response = client.get(reverse("articles:home"))
    assert len(response.context["articles"]) == 6


def test_home_has_no_pages_so_a_page_number_is_ignored(client):
    ArticleFactory()
    assert client.get(reverse("articles:home"), {"page": "999"}).status_code == 200
    assert client.get(reverse("articles:home"), {"page": "x'--"}).status_code == 200


def test_article_page_shows_the_story(client, django_assert_num_queries):
    article = ArticleFactory(
        headline="Library hours grow",
        body="<p>First.</p><p>Second.</p>",
        authors=AuthorFactory.create_batch(4),
    )
    article.tags.set(TagFactory.create_batch(6))
    # The article, whose authors, tags, picture and pull quotes are in the parts
    # kept on it (articles.parts); the page's donation appeals; the section menu:
    # the same queries whatever their numbers. It has no related stories to read.
    client.get(article.get_absolute_url())  # keeps its parts; chooses none related
    with django_assert_num_queries(3):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 class="article__headline">Library hours grow</h1>' in page
    assert "<p>Second.</p>" in page


def test_article_url_with_a_wrong_date_redirects_to_the_canonical_one(client):
    article = ArticleFactory()
    url = reverse(
        "articles:detail",
        kwargs={"year": 1999, "month": "01", "day": "01", "slug": article.slug},
    )
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_unknown_slug_is_a_404_with_the_site_page(client):
    response = client.get("/2024/01/01/no-such-story/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_unpublished_article_is_a_404_for_readers(client):
    article = DraftFactory()
    assert client.get(article.get_absolute_url()).status_code == 404


def test_reader_pages_set_no_cookies(client):
    article = ArticleFactory()
    for url in (reverse("articles:home"), article.get_absolute_url()):
        response = client.get(url)
        assert response.cookies == {}, url
