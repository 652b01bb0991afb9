import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from articles import workflow
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


def test_load_demo_looks_like_a_real_newsroom(client):
    from django.urls import reverse

    from articles.models import Section, Update
    from richtext.paragraphs import paragraph_ends

    call_command("load_demo", verbosity=0)
    bodies = list(Article.objects.values_list("body", flat=True))
    assert len(set(bodies)) == len(bodies)  # no two stories share a body
    published = Article.objects.published()
    for article in published:
        assert len(paragraph_ends(article.body)) >= 3, article.slug
    assert published.filter(body__contains="<ul>").count() >= 5
    assert published.filter(body__contains="<a href=").count() >= 5
    # Search finds one story per match, each with its own snippet.
    page = client.get(reverse("articles:search"), {"q": "library"})
    snippets = [r.marked_snippet for r in page.context["results"]]
    assert len(snippets) == len(set(snippets)) >= 2
    # The front page: a lead, the latest stories and every section's block full.
    home = client.get(reverse("articles:home"))
    for section in Section.objects.all():
        shown = home.content.decode().count(f'href="{section.get_absolute_url()}"')
        assert shown >= 4, section  # kickers in the lists, and the block's title
    # Coverage that makes sense: the concluded story was live for hours, and no
    # update of any story is older than the start of its coverage.
    for article in Article.objects.exclude(coverage_started_at=None):
        assert article.coverage_started_at >= article.published_at
        updates = Update.objects.filter(article=article)
        assert not updates.filter(published_at__lt=article.coverage_started_at)
        if article.coverage_ended_at:
            assert not updates.filter(published_at__gt=article.coverage_ended_at)
            span = article.coverage_ended_at - article.coverage_started_at
            assert span.total_seconds() >= 3600
    assert Article.objects.exclude(coverage_ended_at=None).exists()
    # No pull quote or appeal sits past the end of a published story: saving one
    # would warn.
    for article in published:
        assert workflow.placements_past_the_end(article) == [], article.slug
