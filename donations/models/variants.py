"""An appeal's copy (A/B variants) and its daily counts."""

from django.core.validators import MaxValueValidator
from django.db import connection, models
from django.db.models import Case, OuterRef, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from richtext.fields import RichTextField

from .appeals import Appeal
from .gifts import Donation


class AppealVariantQuerySet(models.QuerySet):
    def for_page(self, placements, article=None, now=None):
        """Every variant a page renders into its slots, with its appeal, campaign
        and campaign totals, in one query whether there are none or many."""
        appeals = Appeal.objects.running(now).for_page(placements, article)
        counted = Donation.objects.counted().filter(
            campaign=OuterRef("appeal__campaign"),
            currency=OuterRef("appeal__campaign__currency"),
        )
        return (
            self.filter(weight__gt=0, appeal__in=appeals)
            .select_related("appeal__campaign")
            .annotate(
                campaign_raised=Case(
                    When(
                        appeal__show_progress=True,
                        then=Subquery(counted.net_total_subquery()),
                    ),
                    default=None,
                ),
                campaign_donors=Case(
                    When(
                        appeal__show_progress=True,
                        then=Subquery(counted.donor_count_subquery()),
                    ),
                    default=None,
                ),
            )
            .order_by("-appeal__priority", "appeal_id", "pk")
        )


class AppealVariant(models.Model):
    """The copy readers see. An appeal has one variant, or several to compare."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="variants"
    )
    label = models.CharField(
        _("label"),
        max_length=20,
        default="A",
        help_text=_("A, B, …: how the results name this version."),
    )
    heading = models.CharField(_("heading"), max_length=150)
    body = RichTextField(_("body"), blank=True)
    button_label = models.CharField(
        _("button label"),
        max_length=60,
        blank=True,
        help_text=_("Empty: “Donate”."),
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MaxValueValidator(1000)],
        help_text=_(
            "Share of readers who get this version. 0 stops it and keeps its results."
        ),
    )

    objects = AppealVariantQuerySet.as_manager()

    class Meta:
        ordering = ["appeal", "label", "pk"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants (A/B copy)")
        constraints = [
            models.UniqueConstraint(
                fields=["appeal", "label"],
                name="appeal_variant_label_unique",
                violation_error_message=_(
                    "Each variant of an appeal needs its own label."
                ),
            )
        ]

    def __str__(self):
        return f"{self.appeal.name} · {self.label}"

    def campaign_progress(self, now=None):
        """Progress from the totals the page query annotated, or a fresh query."""
        campaign = self.appeal.campaign
        if campaign is None:
            return None
        raised = getattr(self, "campaign_raised", None)
        if raised is None and not hasattr(self, "campaign_raised"):
            return campaign.progress(now)
        totals = {"raised": raised or 0, "donors": self.campaign_donors or 0}
        return campaign.progress(now, totals=totals)


class AppealDailyCount(models.Model):
    """Aggregate counts only: how many, per variant and day. Nothing about who."""

    variant = models.ForeignKey(
        AppealVariant, on_delete=models.CASCADE, related_name="daily_counts"
    )
    day = models.DateField(_("day"))
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)
    dismissals = models.PositiveBigIntegerField(_("dismissals"), default=0)

    class Meta:
        ordering = ["day"]
        verbose_name = _("daily appeal count")
        verbose_name_plural = _("daily appeal counts")
        constraints = [
            models.UniqueConstraint(
                fields=["variant", "day"], name="appeal_count_once_per_variant_day"
            )
        ]

    def __str__(self):
        return f"{self.variant} · {self.day}"

    EVENT_COLUMNS = {
        "impression": "impressions",
        "click": "clicks",
        "dismiss": "dismissals",
    }

    @classmethod
    def increment(cls, variant_id, event, day=None):
        """Count one event, atomically: concurrent beacons for the same row are
        serialised by PostgreSQL's upsert, so none is lost."""
        column = cls.EVENT_COLUMNS[event]
        table = cls._meta.db_table
        day = day or timezone.localdate()
        columns = list(cls.EVENT_COLUMNS.values())
        values = ", ".join("1" if name == column else "0" for name in columns)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (variant_id, day, {', '.join(columns)}) "
                f"VALUES (%s, %s, {values}) "
                f"ON CONFLICT (variant_id, day) DO UPDATE "
                f"SET {column} = {table}.{column} + 1",
                [variant_id, day],
            )
