"""What a reader sees around a story: a picture for every link preview, one way of
writing dates and times, tidy separators, and one spelling of "license"."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from articles import structured_data
from tests.articles.test_structured_data import json_ld
from tests.factories import (
    ArticleFactory,
    CorrectionFactory,
    ImageFactory,
    UpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"
# DATE_FORMAT ("Dec. 1, 2026", "May 5, 2026") and DATETIME_FORMAT, which is the date
# and then the time ("Dec. 1, 2026, 5:16 p.m.", "…, noon", "…, midnight").
DATE = r"(Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"
DATE_OR_DATETIME = re.compile(
    rf"{DATE}(, (\d{{1,2}}(:\d{{2}})? [ap]\.m\.|noon|midnight))?"
)


def text_of(html):
    """The words of a page as a reader reads them."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_story_without_a_photo_has_the_sites_picture_for_previews(client):
    path, width, height = structured_data.DEFAULT_IMAGE
    found = finders.find(path)
    assert found, path
    with PILImage.open(found) as image:
        assert image.size == (width, height)
    assert width >= 1200  # Google's minimum for article images
    article = ArticleFactory(featured_image=None)
    page = client.get(article.get_absolute_url()).content.decode()
    url = f"{SITE}{settings.STATIC_URL}{path}"
    assert f'<meta property="og:image" content="{url}">' in page
    assert f'<meta property="og:image:width" content="{width}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    (data,) = json_ld(page)
    assert data["image"] == [
        {"@type": "ImageObject", "url": url, "width": width, "height": height}
    ]


def test_a_story_with_a_photo_keeps_its_own(client):
    article = ArticleFactory(featured_image=ImageFactory())
    page = client.get(article.get_absolute_url()).content.decode()
    assert "share-default" not in page


def test_every_time_on_the_story_and_front_page_is_written_one_way(client):
    now = timezone.now()
    live = ArticleFactory(developing=True, published_at=now - timedelta(hours=5))
    UpdateFactory(article=live, published_at=now - timedelta(minutes=3))
    CorrectionFactory(article=live)
    for days in (1, 2, 3):
        ArticleFactory(section=live.section, published_at=now - timedelta(days=days))
    for url in (reverse("articles:home"), live.get_absolute_url()):
        page = client.get(url).content.decode()
        times = re.findall(r"<time [^>]*>([^<]*)</time>", page)
        assert len(times) >= 3, url
        for shown in times:
            assert DATE_OR_DATETIME.fullmatch(shown), (url, shown)


def test_published_and_updated_are_separated_by_one_dot_and_single_spaces(client):
    now = timezone.now()
    article = ArticleFactory(published_at=now - timedelta(hours=3))
    UpdateFactory(article=article, published_at=now - timedelta(hours=1))
    page = client.get(article.get_absolute_url()).content.decode()
    meta = re.search(r'<p class="article__meta">(.*?)</p>', page, re.DOTALL).group(1)
    text = text_of(meta)
    assert re.fullmatch(rf"Published {DATE}, .+ · Updated {DATE}, .+", text), text
    # No spacing is added around it by the style sheet either.
    css = (settings.BASE_DIR / "static" / "css" / "site.css").read_text()
    assert not re.search(r"\.article__meta [^{]*\{[^}]*margin-left", css)


def test_license_is_spelled_the_american_way(client, settings):
    assert settings.LANGUAGE_CODE == "en-us"
    article = ArticleFactory()
    pages = [
        reverse("articles:home"),
        article.get_absolute_url(),
        article.get_republish_url(),
        reverse("articles:about"),
        reverse("articles:feed"),
    ]
    for url in pages:
        text = text_of(client.get(url).content.decode())
        assert "licence" not in text.lower(), url
        assert "Licence" not in text, url
    client.force_login(UserFactory(is_superuser=True))
    form = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    text = text_of(form.content.decode())
    assert "License" in text
    assert "licence" not in text.lower()
