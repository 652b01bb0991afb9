"""CSV files on their way into the ledger."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

STALLED_AFTER = timedelta(minutes=10)


class DonationImport(models.Model):
    """A processor's CSV file on its way into the ledger: checked, then imported on
    confirmation, each by a background task (donations.tasks) that reports its
    progress here for the admin's status page."""

    class State(models.TextChoices):
        CHECKING = "checking", _("Checking the file")
        CHECKED = "checked", _("Checked: waiting for confirmation")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Not imported: the file has problems")
        FAILED = "failed", _("Stopped by an error")

    RUNNING = (State.CHECKING, State.IMPORTING)

    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.CHECKING
    )
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    # The file itself, until it is imported or refused (it holds donors' details).
    text = models.TextField(_("file contents"), blank=True, editable=False)
    campaign = models.ForeignKey(
        "donations.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("campaign"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    check_seconds = models.FloatField(_("checked in (s)"), null=True, blank=True)
    import_seconds = models.FloatField(_("imported in (s)"), null=True, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("donation import")
        verbose_name_plural = _("donation imports")

    def __str__(self):
        return self.file_name or f"#{self.pk}"

    @property
    def running(self):
        return self.state in self.RUNNING

    @property
    def stalled(self):
        """Queued or running, with no progress for a while: no worker is taking
        tasks, or the one that was died mid-way (nothing was saved then)."""
        return self.running and timezone.now() - self.updated_at > STALLED_AFTER

    @property
    def percent(self):
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.rows_done / self.rows_total))

    def report_progress(self, rows_done):
        """Called by the task as it reads: committed at once, so the status page
        sees it while the task goes on."""
        self.rows_done = rows_done
        DonationImport.objects.filter(pk=self.pk).update(
            rows_done=rows_done, updated_at=timezone.now()
        )
