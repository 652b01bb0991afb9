import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError
from PIL import Image as PILImage

from articles.images import process_upload
from articles.models import Article, Image, Licence
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def photo(width=2000, height=1000):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (30, 90, 160)).save(buffer, "JPEG")
    return process_upload(ContentFile(buffer.getvalue(), name="photo.jpg"))


def test_an_image_gets_its_renditions_once_when_saved():
    # Made by a task (articles.renditions), at once in tests.
    image = Image.objects.create(file=photo(), alt_text="The river at dawn")
    image.refresh_from_db()
    assert [r["width"] for r in image.renditions] == [480, 800, 1200, 1600]
    assert (image.width, image.height) == (2000, 1000)
    made = image.renditions
    image.caption = "New caption"
    image.save()
    image.refresh_from_db()
    assert image.renditions == made


def test_an_image_offers_webp_and_fallback_sources():
    image = Image.objects.create(file=photo(), alt_text="The river at dawn")
    image.refresh_from_db()
    assert image.srcset().count(".webp ") == 4
    assert image.srcset().endswith("1600.webp 1600w")
    assert image.srcset_fallback().endswith("1600.jpg 1600w")
    assert image.fallback_url().endswith("/1200.jpg")


def test_an_image_needs_alt_text_unless_it_is_decorative():
    with pytest.raises(ValidationError) as refused:
        Image(file=photo(100, 100), alt_text="").full_clean()
    assert "Describe the image in the alt text" in str(refused.value)
    Image(file=photo(100, 100), alt_text="", decorative=True).full_clean()
    with pytest.raises(IntegrityError):
        Image.objects.create(file=photo(100, 100), alt_text="")


def test_the_default_licence_is_cc_by_nc_nd_3():
    article = ArticleFactory()
    assert article.licence == Licence.CC_BY_NC_ND_3
    assert article.licence_url == "https://creativecommons.org/licenses/by-nc-nd/3.0/"


def test_body_is_sanitized_when_saved():
    article = ArticleFactory(
        body='<p onclick="steal()">Hi<script>alert(1)</script></p>'
    )
    assert Article.objects.get(pk=article.pk).body == "<p>Hi</p>"


def test_article_page_shows_the_licence_and_sanitizes_old_rows(client):
    article = ArticleFactory()
    # A row written around the model (an old import): sanitized again on render.
    Article.objects.filter(pk=article.pk).update(
        body='<p>Fine</p><img src=x onerror="alert(1)">'
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "onerror" not in page
    assert (
        'rel="license" href="https://creativecommons.org/licenses/by-nc-nd/3.0/"'
        in (page)
    )
