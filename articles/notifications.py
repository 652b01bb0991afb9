"""
Email to the people a workflow step concerns, sent by the task worker.

- Submitted for review: the editors (the Editor group's active users with an email).
- Sent back, published or scheduled: the story's writers (the users of its bylines,
  whoever created it, and whoever submitted it).

Whoever took the step is not told of it. Each person gets a message of their own
(no one sees the others' addresses), quoting the note written with the step and
linking to the story in the admin. Queued when the step's transaction commits, so a
step that fails sends nothing; sent through Django's email framework (settings
EMAIL_*: without EMAIL_HOST, printed to the worker's console).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from .links import absolute_url
from .models import Status, WorkflowNote, WorkflowStep

EDITORS_GROUP = "Editor"

# Steps that tell someone, and whom: "editors" or "writers".
AUDIENCE = {
    WorkflowStep.SUBMITTED: "editors",
    WorkflowStep.SENT_BACK: "writers",
    WorkflowStep.PUBLISHED: "writers",
    WorkflowStep.SCHEDULED: "writers",
}


def notify_on_commit(note):
    """Queue the notification of a step once the step is saved for good."""
    if note.action in AUDIENCE:
        transaction.on_commit(lambda: send_workflow_email.enqueue(note.pk))


def recipients(note):
    """The users to tell of `note`'s step, with an email address, not its author."""
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if AUDIENCE[note.action] == "editors":
        users = users.filter(groups__name=EDITORS_GROUP)
    else:
        article = note.article
        submitters = WorkflowNote.objects.filter(
            article=article, action=WorkflowStep.SUBMITTED
        ).values("author")
        users = users.filter(
            Q(author__bylines__article=article)
            | Q(pk=article.created_by_id)
            | Q(pk__in=submitters)
        )
    if note.author_id:
        users = users.exclude(pk=note.author_id)
    return list(users.distinct().order_by("pk"))


def message_for(note, user):
    article = note.article
    who = (
        note.author.get_full_name() or note.author.get_username() if note.author else ""
    )
    context = {
        "note": note,
        "article": article,
        "who": who,
        "recipient": user,
        "SITE_NAME": settings.SITE_NAME,
        "edit_url": absolute_url(
            reverse("admin:articles_article_change", args=[article.pk])
        ),
        "public_url": (
            absolute_url(article.get_absolute_url())
            if article.status == Status.PUBLISHED
            else ""
        ),
    }
    subject = render_to_string("articles/email/workflow_subject.txt", context)
    body = render_to_string("articles/email/workflow_body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),  # one line, whatever the headline holds
        body=body,
        to=[user.email],
    )


@task()
def send_workflow_email(note_id):
    """Tell the people concerned of a workflow step. Returns how many were sent."""
    note = (
        WorkflowNote.objects.select_related("article", "author")
        .filter(pk=note_id)
        .first()
    )
    if note is None or note.action not in AUDIENCE:
        return 0  # the story was deleted meanwhile
    messages = [message_for(note, user) for user in recipients(note)]
    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(messages)
