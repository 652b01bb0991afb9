import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

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


def test_generate_archive_makes_a_searchable_published_archive_and_removes_it():
    from articles.models import Quote, Update

    call_command(
        "generate_archive",
        articles=60,
        developing=3,
        updates=300,
        authors=5,
        tags=10,
        sections=2,
        speakers=3,
        quotes=6,
        batch=25,
        stdout=io.StringIO(),
    )
    archive = Article.objects.filter(slug__startswith="archive-")
    assert archive.count() == 60
    assert archive.published().count() == 60
    assert archive.filter(developing=True).count() == 3
    assert Update.objects.visible().filter(article__in=archive).count() == 300
    assert Quote.objects.filter(speaker__slug__startswith="archive-").count() == 6
    assert not archive.filter(search_vector__isnull=True).exists()
    assert all(a.bylines.exists() for a in archive[:10])

    with pytest.raises(CommandError):
        call_command("generate_archive", articles=1, stdout=io.StringIO())

    call_command("generate_archive", delete=True, stdout=io.StringIO())
    assert not Article.objects.filter(slug__startswith="archive-").exists()
