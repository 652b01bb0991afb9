from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .article import Article


class WorkflowError(Exception):
    """A workflow step that may not happen: the message says why, for the editor."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


class WorkflowStep(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for review")
    SENT_BACK = "sent_back", _("Sent back to draft")
    PUBLISHED = "published", _("Published")
    SCHEDULED = "scheduled", _("Scheduled")
    UNPUBLISHED = "unpublished", _("Unpublished")


# Long enough for a real note to a writer, short enough for an email.
NOTE_LENGTH = 2000


class WorkflowNote(models.Model):
    """A workflow step taken on a story (submitted, sent back, published...), by
    whom and when, with the note written with it if any: the story's short history
    on its change form, and what the notification email quotes."""

    article = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="workflow_notes",
        verbose_name=_("article"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    action = models.CharField(_("step"), max_length=20, choices=WorkflowStep.choices)
    text = models.TextField(_("note"), blank=True, max_length=NOTE_LENGTH)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("workflow note")
        verbose_name_plural = _("workflow notes")

    def __str__(self):
        return (
            f"{self.get_action_display()}: {self.text}"
            if self.text
            else (self.get_action_display())
        )
