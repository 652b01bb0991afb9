"""Workflow emails, sent through a real SMTP server (aiosmtpd) started for the test:
submitted → editors; sent back, published, scheduled → the story's writers."""

import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles import workflow
from articles.models import Status
from articles.notifications import send_workflow_email
from tests.articles.test_admin import admin_form_data, change_url
from tests.factories import AuthorFactory, DraftFactory, UserFactory
from tests.test_tasks import ROOT, database_url

HEADLINE = "Council's budget & the libraries"


class Inbox:
    """What the SMTP server received: one entry per message, as delivered."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd)
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(
            {
                "to": sorted(envelope.rcpt_tos),
                "from": envelope.mail_from,
                "subject": str(message["Subject"]),
                "body": message.get_body(("plain",)).get_content(),
            }
        )
        return "250 Message accepted for delivery"

    def by_recipient(self):
        return {tuple(m["to"]): m for m in self.messages}

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port, collecting what it is sent."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def smtp(settings, smtp_server):
    """The project's email settings pointed at the local SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "desk@newsroom.test"
    settings.SITE_URL = "https://news.example.org"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return smtp_server


@pytest.fixture
def people(db):
    """Two editors with an email, one without, one gone; a writer on the byline;
    an editor-in-name-only who is not in the group."""
    return {
        "maya": UserFactory(
            role="Editor",
            email="maya@newsroom.test",
            first_name="Maya",
            last_name="Okafor",
        ),
        "lee": UserFactory(role="Editor", email="lee@newsroom.test"),
        "no_email": UserFactory(role="Editor", email=""),
        "gone": UserFactory(role="Editor", email="gone@newsroom.test", is_active=False),
        "tom": UserFactory(
            role="Writer",
            email="tom@newsroom.test",
            first_name="Tom",
            last_name="Reyes",
        ),
        "other_writer": UserFactory(role="Writer", email="other@newsroom.test"),
    }


@pytest.fixture
def draft(people):
    return DraftFactory(headline=HEADLINE, authors=[AuthorFactory(user=people["tom"])])


def step(client, user, article, action, note=""):
    client.force_login(user)
    form_page = client.get(change_url(article))
    response = client.post(
        change_url(article),
        admin_form_data(form_page, _workflow=action, _workflow_note=note),
    )
    assert response.status_code == 302
    return response


pytestmark = pytest.mark.django_db


def test_submitting_tells_the_editors_with_the_note_and_a_link(
    client, smtp, people, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        step(
            client, people["tom"], draft, "submit", "Check the mayor's quote & figures."
        )

    received = smtp.by_recipient()
    assert set(received) == {("lee@newsroom.test",), ("maya@newsroom.test",)}
    message = received[("maya@newsroom.test",)]
    assert message["from"] == "desk@newsroom.test"
    assert message["subject"] == f"For review: {HEADLINE}"
    body = message["body"]
    assert f"Tom Reyes submitted “{HEADLINE}” for review." in body
    assert "Check the mayor's quote & figures." in body
    assert f"https://news.example.org/admin/articles/article/{draft.pk}/change/" in body


def test_sending_back_and_publishing_tell_the_writers_not_the_editor(
    client, smtp, people, draft, django_capture_on_commit_callbacks
):
    submitter = people["other_writer"]
    draft.created_by = submitter
    draft.save()
    workflow.submit_for_review(
        draft, by=submitter
    )  # no email: not on commit in this test
    assert smtp.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        step(client, people["maya"], draft, "send_back", "Needs a second source.")
    received = smtp.by_recipient()
    assert set(received) == {("other@newsroom.test",), ("tom@newsroom.test",)}
    message = received[("tom@newsroom.test",)]
    assert message["subject"] == f"Sent back to you: {HEADLINE}"
    assert "Maya Okafor sent" in message["body"]
    assert "Needs a second source." in message["body"]
    assert f"/admin/articles/article/{draft.pk}/change/" in message["body"]

    smtp.messages.clear()
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        step(client, people["maya"], draft, "publish")
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    received = smtp.by_recipient()
    assert set(received) == {("other@newsroom.test",), ("tom@newsroom.test",)}
    body = received[("tom@newsroom.test",)]["body"]
    assert received[("tom@newsroom.test",)]["subject"] == f"Published: {HEADLINE}"
    assert f"https://news.example.org{draft.get_absolute_url()}" in body


def test_scheduling_tells_the_writers_when(
    people, draft, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish(
            draft, by=people["maya"], at=timezone.now() + timedelta(days=1)
        )
    (message,) = smtp.messages
    assert message["to"] == ["tom@newsroom.test"]
    assert message["subject"] == f"Scheduled: {HEADLINE}"
    assert "readers see it from" in message["body"]


def test_a_failed_step_sends_nothing(
    client, smtp, people, django_capture_on_commit_callbacks
):
    incomplete = DraftFactory(
        section=None,
        status=Status.IN_REVIEW,
        authors=[AuthorFactory(user=people["tom"])],
    )
    with django_capture_on_commit_callbacks(execute=True):
        step(client, people["maya"], incomplete, "publish")
    incomplete.refresh_from_db()
    assert incomplete.status == Status.IN_REVIEW
    assert smtp.messages == []


def test_the_email_is_sent_by_the_worker_not_the_request(
    client, people, draft, db_tasks, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        step(client, people["tom"], draft, "submit", "Ready.")
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "articles.notifications.send_workflow_email"
    assert mailoutbox == []  # nothing sent while the writer waits


def test_a_note_whose_story_is_gone_sends_nothing(smtp):
    assert send_workflow_email.call(123456) == 0
    assert smtp.messages == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_sends_the_email_through_smtp(client, db_tasks, smtp_server):
    """The whole path: the admin queues the task in the database; a `db_worker`
    process, configured by environment variables as in production, sends it."""
    editor = UserFactory(role="Editor", email="maya@newsroom.test")
    writer = UserFactory(role="Writer", email="tom@newsroom.test")
    article = DraftFactory(headline=HEADLINE, authors=[AuthorFactory(user=writer)])
    client.force_login(writer)
    form_page = client.get(change_url(article))
    client.post(
        change_url(article),
        admin_form_data(form_page, _workflow="submit", _workflow_note="Ready for you."),
    )
    assert DBTaskResult.objects.count() == 1
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_DEBUG": "1",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "0",
        "SITE_URL": "https://news.example.org",
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = worker.communicate(timeout=120)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    (message,) = smtp_server.wait_for(1)
    assert message["to"] == [editor.email]
    assert message["subject"] == f"For review: {HEADLINE}"
    assert "Ready for you." in message["body"]
    assert (
        f"https://news.example.org/admin/articles/article/{article.pk}/change/"
        in (message["body"])
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "console.EmailBackend 587 True False"),
        (
            {"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "465"},
            "smtp.EmailBackend 465 False True",
        ),
        (
            {
                "EMAIL_HOST": "smtp.example.org",
                "EMAIL_PORT": "25",
                "EMAIL_USE_TLS": "1",
            },
            "smtp.EmailBackend 25 True False",
        ),
    ],
)
def test_email_leaves_the_machine_only_with_an_email_host(env, expected):
    """`make run` has no EMAIL_HOST: notifications are printed, never sent."""
    from tests.test_settings import run_django

    base = dict.fromkeys(("EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_TLS"), "")
    result = run_django(
        [
            "shell",
            "-c",
            "from django.conf import settings as s; "
            "print('.'.join(s.EMAIL_BACKEND.split('.')[-2:]),"
            " s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)",
        ],
        DJANGO_DEBUG="1",
        **{**base, **env},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
