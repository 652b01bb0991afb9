"""Notes with workflow steps: a writer's note with a submission, an editor's note
when sending back; stored with who, when and which step, and shown on the story."""

import pytest
from django.utils.html import escape

from articles import workflow
from articles.models import NOTE_LENGTH, Status, WorkflowError, WorkflowNote
from tests.articles.test_admin import admin_form_data, change_url, messages_of
from tests.factories import AuthorFactory, DraftFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor():
    return UserFactory(role="Editor", first_name="Maya", last_name="Okafor")


@pytest.fixture
def writer():
    return UserFactory(role="Writer", first_name="Tom", last_name="Reyes")


def step_in_admin(client, article, action, note):
    form_page = client.get(change_url(article))
    return client.post(
        change_url(article),
        admin_form_data(form_page, _workflow=action, _workflow_note=note),
    )


def test_writer_submits_with_a_note_and_the_editor_sends_back_with_one(
    client, writer, editor
):
    draft = DraftFactory(authors=[AuthorFactory(user=writer)])
    client.force_login(writer)
    form = client.get(change_url(draft)).content.decode()
    assert 'name="_workflow_note"' in form

    response = step_in_admin(
        client, draft, "submit", "  Ready. Check the mayor's quote.\n"
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW

    client.force_login(editor)
    response = step_in_admin(
        client, draft, "send_back", "Second source for the budget figure, please."
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT

    sent_back, submitted = WorkflowNote.objects.filter(article=draft)
    assert (submitted.action, submitted.author, submitted.text) == (
        "submitted",
        writer,
        "Ready. Check the mayor's quote.",
    )
    assert (sent_back.action, sent_back.author) == ("sent_back", editor)
    assert sent_back.text == "Second source for the budget figure, please."
    assert sent_back.created_at >= submitted.created_at

    # The writer sees both on the story, newest first, with who and which step.
    client.force_login(writer)
    page = client.get(change_url(draft)).content.decode()
    history = page[page.index("Workflow notes") :]
    assert history.index("Sent back to draft") < history.index("Submitted for review")
    assert "by Maya Okafor" in history
    assert "by Tom Reyes" in history
    assert escape("Ready. Check the mayor's quote.") in history
    assert "Second source for the budget figure, please." in history


def test_a_step_without_a_note_is_recorded_and_publishing_records_its_step(editor):
    draft = DraftFactory()
    workflow.submit_for_review(draft, by=editor)
    workflow.publish(draft, by=editor)
    workflow.unpublish(draft, by=editor, note="Legal asked us to hold it.")
    steps = [(n.action, n.text) for n in draft.workflow_notes.all()]
    assert steps == [
        ("unpublished", "Legal asked us to hold it."),
        ("published", ""),
        ("submitted", ""),
    ]


def test_a_note_is_markup_free_text_on_the_change_form(client, editor):
    draft = DraftFactory(status=Status.IN_REVIEW)
    workflow.send_back(draft, by=editor, note="<script>alert(1)</script>\nLine two")
    client.force_login(editor)
    page = client.get(change_url(draft)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>Line two" in page


def test_a_note_too_long_stops_the_step_and_is_given_back(client, writer):
    draft = DraftFactory(created_by=writer)
    with pytest.raises(WorkflowError):
        workflow.submit_for_review(draft, by=writer, note="x" * (NOTE_LENGTH + 1))
    assert not WorkflowNote.objects.exists()

    client.force_login(writer)
    note = "Please look. " * 200
    response = step_in_admin(client, draft, "submit", note)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert not WorkflowNote.objects.exists()
    shown = messages_of(response)
    assert any("Keep the note under" in message for message in shown)
    assert any(note.strip() in message for message in shown)


def test_a_note_with_a_plain_save_is_not_lost(client, writer):
    draft = DraftFactory(created_by=writer)
    client.force_login(writer)
    form_page = client.get(change_url(draft))
    response = client.post(
        change_url(draft),
        admin_form_data(form_page, _continue="1", _workflow_note="For the desk"),
    )
    assert response.status_code == 302
    assert not WorkflowNote.objects.exists()
    assert any(
        "Your note was not sent" in message and "For the desk" in message
        for message in messages_of(response)
    )


def test_a_refused_step_keeps_no_note(client, writer):
    draft = DraftFactory(created_by=writer, status=Status.IN_REVIEW)
    client.force_login(writer)
    # A writer cannot send back; the button is not there, a forged post is refused.
    response = client.post(
        change_url(draft),
        {"_workflow": "send_back", "_workflow_note": "Sneaky"},
    )
    assert response.status_code in (302, 403)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW
    assert not WorkflowNote.objects.exists()
