"""An editor inserts a photo in CKEditor 5, in a real browser: the upload comes back
in every width, and the editor writes them as the image's srcset."""

from io import BytesIO

import pytest
from PIL import Image as PILImage

from articles.models import Article
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "correct horse battery staple"


def test_a_photo_inserted_in_the_editor_carries_its_widths(live_server, page, tmp_path):
    article = ArticleFactory(body="<p>The river rose overnight.</p>")
    UserFactory(username="edith", role="Editor", password=PASSWORD)
    photo = tmp_path / "river.jpg"
    buffer = BytesIO()
    PILImage.new("RGB", (1700, 1000), "teal").save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())

    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "edith")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    body = page.locator(".field-body .ck-editor__editable")
    body.click()
    page.keyboard.press("End")
    page.locator(".field-body .ck-file-dialog-button input[type=file]").set_input_files(
        photo
    )
    inserted = body.locator("img[srcset]")
    inserted.wait_for(timeout=15_000)
    srcset = inserted.get_attribute("srcset")
    for width in (480, 800, 1200, 1600):
        assert f"/{width}.jpg {width}w" in srcset
    assert inserted.get_attribute("src").endswith("/1200.jpg")

    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    stored = Article.objects.get(pk=article.pk).body
    assert "480.jpg 480w" in stored and "1600.jpg 1600w" in stored
