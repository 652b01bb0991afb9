"""Backdating in the admin: a past publish time an editor sets is kept through
Save and Save and publish, and the editor is told the story was backdated."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.models import Article
from tests.articles.test_admin import messages_of, save_in_admin
from tests.articles.test_structured_data import json_ld
from tests.factories import DraftFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(role="Editor", first_name="Maya", last_name="Okafor")


def test_a_backdate_survives_save_then_save_and_publish(client, editor):
    draft = DraftFactory(developing=True)
    when = timezone.localtime(timezone.now() - timedelta(days=3 * 365)).replace(
        microsecond=0
    )
    client.force_login(editor)
    publish_time = {
        "published_at_0": when.strftime("%Y-%m-%d"),
        "published_at_1": when.strftime("%H:%M:%S"),
    }
    save_in_admin(client, draft, _continue="1", **publish_time)
    draft.refresh_from_db()
    assert draft.published_at == when

    response = save_in_admin(client, draft, _workflow="publish")

    draft.refresh_from_db()
    assert draft.published_at == when
    assert draft.first_published_at == when
    assert draft.coverage_started_at == when
    (message,) = messages_of(response)
    assert message.startswith("Published, backdated to ")
    assert str(when.year) in message
    page = Client().get(draft.get_absolute_url())
    assert page.status_code == 200
    (data,) = [d for d in json_ld(page.content.decode()) if "datePublished" in d]
    assert datetime.fromisoformat(data["datePublished"]) == when
    assert datetime.fromisoformat(data["coverageStartTime"]) == when


def test_publish_time_help_text_explains_backdating(client, editor):
    help_text = str(Article._meta.get_field("published_at").help_text)
    assert "a past time backdates it" in help_text
    client.force_login(editor)
    page = client.get(f"/admin/articles/article/{DraftFactory().pk}/change/")
    assert "a past time backdates it" in page.content.decode()
