import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from articles.models import Article, Image, Status

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent_and_covers_every_state(tmp_path, settings):
    settings.BASE_DIR = tmp_path
    call_command("load_demo", verbosity=0)
    counts = (Article.objects.count(), Image.objects.count())
    call_command("load_demo", verbosity=0)
    assert (Article.objects.count(), Image.objects.count()) == counts
    states = {article.state_label for article in Article.objects.all()}
    assert {"Draft", "In review", "Scheduled", "Published", "Unpublished"} <= {
        str(s) for s in states
    }
    assert Article.objects.published().filter(status=Status.PUBLISHED).exists()


def test_load_demo_creates_one_account_per_role():
    call_command("load_demo", verbosity=0)
    roles = {
        user.username: [g.name for g in user.groups.all()]
        for user in get_user_model().objects.all()
    }
    assert roles == {
        "admin": ["Site admin"],
        "editor": ["Editor"],
        "writer": ["Writer"],
        "fundraising": ["Fundraising"],
    }
