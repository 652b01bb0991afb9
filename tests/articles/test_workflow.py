from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from reversion.models import Version

from articles import workflow
from articles.models import Article, Status, WorkflowError
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    DraftFactory,
    SectionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(username="edith", role="Editor")


@pytest.fixture
def writer():
    return UserFactory(username="walt", role="Writer")


def test_writer_submits_their_own_draft_for_review(writer):
    article = DraftFactory(created_by=writer)
    workflow.submit_for_review(article, by=writer)
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_writer_cannot_submit_someone_elses_draft(writer):
    article = DraftFactory(created_by=UserFactory(role="Writer"))
    with pytest.raises(PermissionDenied):
        workflow.submit_for_review(article, by=writer)
    assert Article.objects.get(pk=article.pk).status == Status.DRAFT


def test_a_byline_makes_the_draft_the_writers_own(writer):
    author = AuthorFactory(user=writer)
    article = DraftFactory(authors=[author])
    assert article.can_edit(writer) is True


@pytest.mark.parametrize("step", ["publish", "unpublish", "send_back"])
def test_writer_can_never_publish_unpublish_or_send_back(writer, step):
    article = DraftFactory(created_by=writer)
    if step == "unpublish":
        Article.objects.filter(pk=article.pk).update(
            status=Status.PUBLISHED, published_at=timezone.now()
        )
        article.refresh_from_db()
    with pytest.raises(PermissionDenied):
        getattr(workflow, step)(article, by=writer)
    assert Article.objects.get(pk=article.pk).status == article.status


def test_writer_cannot_edit_an_article_once_it_is_in_review(writer):
    article = DraftFactory(created_by=writer)
    workflow.submit_for_review(article, by=writer)
    assert article.can_edit(writer) is False


def test_editor_publishes_now(editor):
    article = DraftFactory()
    before = timezone.now()
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert before <= article.published_at <= timezone.now()
    assert article.first_published_at == article.published_at
    assert article.is_published() is True
    assert article in Article.objects.published()


def test_scheduled_article_is_hidden_until_its_time_and_appears_without_a_job(editor):
    article = DraftFactory()
    workflow.publish(article, by=editor, at=timezone.now() + timedelta(hours=2))
    assert article.is_scheduled() is True
    assert article.state_label == "Scheduled"
    assert article not in Article.objects.published()
    assert article in Article.objects.scheduled()
    # Time passes: the same row, with its time now behind us, is public. Nothing
    # ran in between: published() compares with the clock at query time.
    Article.objects.filter(pk=article.pk).update(
        published_at=timezone.now() - timedelta(seconds=1)
    )
    assert article in Article.objects.published()


def test_a_past_publish_time_set_on_a_draft_backdates_the_story(editor):
    when = timezone.now() - timedelta(days=800)
    article = DraftFactory(published_at=when, developing=True)
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    assert article.published_at == when
    assert article.is_published() is True
    # What readers are told is consistent with the time set.
    assert article.first_published_at == when
    assert article.coverage_started_at == when
    assert article.get_absolute_url().startswith(f"/{when:%Y}/")


def test_backdating_a_live_story_moves_its_first_publication_and_coverage(editor):
    article = DraftFactory(developing=True)
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    # Flagged while a draft: coverage starts when readers could first see it.
    assert article.coverage_started_at == article.published_at
    when = timezone.now() - timedelta(days=400)
    article.published_at = when
    article.save()
    article.refresh_from_db()
    assert article.first_published_at == when
    assert article.coverage_started_at == when


def test_coverage_flagged_after_publication_starts_when_flagged(editor):
    article = DraftFactory()
    workflow.publish(article, by=editor)
    article.developing = True
    article.save()
    article.refresh_from_db()
    assert article.coverage_started_at > article.published_at
    article.published_at -= timedelta(days=2)
    article.save()
    article.refresh_from_db()
    assert article.first_published_at == article.published_at
    assert article.coverage_started_at > article.first_published_at + timedelta(days=1)


def test_a_scheduled_story_taken_back_keeps_its_time_and_was_never_published(editor):
    when = timezone.now() + timedelta(hours=3)
    article = DraftFactory()
    workflow.publish(article, by=editor, at=when)
    workflow.unpublish(article, by=editor)
    article.refresh_from_db()
    assert article.published_at == when
    assert article.first_published_at is None
    workflow.publish(article, by=editor)
    assert article.is_scheduled() is True
    assert article.first_published_at == when


def test_republishing_keeps_the_first_publication_time(editor):
    article = DraftFactory()
    workflow.publish(article, by=editor, at=timezone.now() - timedelta(days=3))
    first = article.first_published_at
    workflow.unpublish(article, by=editor)
    assert article not in Article.objects.published()
    workflow.publish(article, by=editor)
    assert article.first_published_at == first


def test_editor_sends_an_article_in_review_back_to_draft(editor, writer):
    article = DraftFactory(created_by=writer)
    workflow.submit_for_review(article, by=writer)
    workflow.send_back(article, by=editor)
    assert article.status == Status.DRAFT
    assert article.can_edit(writer) is True


def test_steps_out_of_order_are_refused(editor):
    draft = DraftFactory()
    with pytest.raises(WorkflowError):
        workflow.unpublish(draft, by=editor)
    with pytest.raises(WorkflowError):
        workflow.send_back(draft, by=editor)
    published = ArticleFactory()
    with pytest.raises(WorkflowError):
        workflow.submit_for_review(published, by=editor)


def test_publish_gate_lists_everything_missing(editor):
    article = DraftFactory(
        section=None,
        dek="  ",
        body='<p>Text</p><figure class="image"><img src="/media/a.jpg"></figure>',
        authors=[],
    )
    article.bylines.all().delete()
    with pytest.raises(WorkflowError) as refused:
        workflow.publish(article, by=editor)
    assert [str(p) for p in refused.value.problems] == [
        "Add at least one byline.",
        "Choose a section.",
        "Write a dek.",
        "Give every image in the body alt text.",
    ]
    assert Article.objects.get(pk=article.pk).status == Status.DRAFT


def test_publish_gate_passes_a_complete_article():
    article = DraftFactory(
        section=SectionFactory(),
        body='<p>Text</p><figure class="image"><img src="/a.jpg" alt="River"></figure>',
    )
    assert workflow.publish_problems(article) == []


def test_each_workflow_step_is_a_revision_with_who_and_what(editor, writer):
    article = DraftFactory(created_by=writer)
    workflow.submit_for_review(article, by=writer)
    workflow.publish(article, by=editor)
    comments = [
        (v.revision.user.username, v.revision.get_comment())
        for v in Version.objects.get_for_object(article).order_by("pk")
    ]
    assert comments == [("walt", "Submitted for review"), ("edith", "Published")]


def test_every_save_moves_the_edit_counter():
    article = DraftFactory()
    version = article.version
    article.headline = "New headline"
    article.save()
    assert Article.objects.get(pk=article.pk).version == version + 1


def test_database_refuses_a_published_article_without_a_time():
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        DraftFactory(status=Status.PUBLISHED, published_at=None)
