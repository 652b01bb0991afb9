"""The ledger: donations, the recurring gifts they belong to, processor events."""

from datetime import UTC, datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Cast, Coalesce, Lower, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..money import Currency, format_money


class DonationQuerySet(models.QuerySet):
    def counted(self):
        """Gifts that count towards totals: paid (or back after a dispute closed in
        the newsroom's favour), and not fully refunded or under dispute. Partial
        refunds are subtracted by net_total()."""
        return self.filter(status__in=Donation.COUNTED)

    def known_by(self, processor, references):
        """Donations a payment at `processor` goes by any of `references`."""
        return self.filter(
            Q(reference__in=references) | Q(aliases__overlap=list(references)),
            processor=processor,
        )

    def for_campaign(self, campaign):
        return self.counted().filter(campaign=campaign, currency=campaign.currency)

    @staticmethod
    def _donor_key():
        # One donor per e-mail address; a gift without one counts as its own donor.
        return Coalesce(
            NullIf(Lower("donor_email"), models.Value("")),
            Cast("pk", models.CharField()),
        )

    def totals(self):
        result = self.aggregate(
            raised=Coalesce(Sum(F("amount") - F("amount_refunded")), 0),
            donors=Count(self._donor_key(), distinct=True),
            gifts=Count("pk"),
        )
        return result

    def net_total_subquery(self):
        return (
            self.order_by()
            .values("campaign")
            .annotate(total=Sum(F("amount") - F("amount_refunded")))
            .values("total")
        )

    def donor_count_subquery(self):
        return (
            self.order_by()
            .values("campaign")
            .annotate(donors=Count(self._donor_key(), distinct=True))
            .values("donors")
        )


class Subscription(models.Model):
    """A recurring gift at the processor (Stripe: sub_…). Each payment it makes is a
    Donation; ending it (a cancellation) keeps every payment it made."""

    processor = models.CharField(
        _("processor"), max_length=10, default="stripe", editable=False
    )
    reference = models.CharField(_("processor reference"), max_length=255)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("recurring gift")
        verbose_name_plural = _("recurring gifts")
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "reference"],
                name="subscription_reference_unique_per_processor",
            )
        ]

    def __str__(self):
        return self.reference


class Donation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")
        DISPUTED = "disputed", _("Disputed")
        # The bank closed a dispute in the newsroom's favour: the gift counts again.
        REINSTATED = "reinstated", _("Reinstated after a dispute")

    class Frequency(models.TextChoices):
        ONCE = "once", _("One-time")
        MONTHLY = "monthly", _("Monthly")
        YEARLY = "yearly", _("Yearly")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered by hand")
        IMPORT = "import", _("CSV import")
        WEBHOOK = "webhook", _("Processor webhook")

    class Processor(models.TextChoices):
        STRIPE = "stripe", _("Stripe")
        PAYPAL = "paypal", _("PayPal")
        CHECK = "check", _("Check or bank transfer")
        CASH = "cash", _("Cash")
        OTHER = "other", _("Other")

    # What counts towards totals (DonationQuerySet.counted).
    COUNTED = (Status.SUCCEEDED, Status.REINSTATED)

    amount = models.PositiveBigIntegerField(
        _("amount"), help_text=_("The full gift, before any refund.")
    )
    amount_refunded = models.PositiveBigIntegerField(_("amount refunded"), default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.ONCE
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.SUCCEEDED,
        help_text=_(
            "Only succeeded and reinstated gifts count towards campaign totals, less "
            "any partial refund. Pending payments (e.g. bank debits) count once they "
            "settle."
        ),
    )
    campaign = models.ForeignKey(
        "donations.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name=_("campaign"),
    )
    appeal = models.ForeignKey(
        "donations.Appeal",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name=_("appeal"),
        help_text=_("The appeal that led to the gift, when known."),
    )
    variant = models.ForeignKey(
        "donations.AppealVariant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name=_("appeal variant"),
    )
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )
    processor = models.CharField(
        _("processor"),
        max_length=10,
        choices=Processor.choices,
        default=Processor.STRIPE,
    )
    reference = models.CharField(
        _("processor reference"),
        max_length=255,
        blank=True,
        help_text=_(
            "The payment's id at the processor (Stripe: pi_… or ch_…). Unique per "
            "processor, so the same gift is never recorded twice."
        ),
    )
    # A payment goes by several ids (a subscription's invoice, its payment intent,
    # its charge) and an event may name any of them: a dispute names no invoice.
    aliases = ArrayField(
        models.CharField(max_length=255),
        verbose_name=_("other processor references"),
        default=list,
        blank=True,
        editable=False,
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="donations",
        verbose_name=_("recurring gift"),
    )
    # What the processor's events said, each fact kept whatever order they came in
    # (donations.ledger): the status and refunded amount follow from it.
    processor_facts = models.JSONField(
        _("processor facts"), default=dict, blank=True, editable=False
    )
    # Personal data: the least the newsroom needs to send a receipt.
    donor_name = models.CharField(_("donor name"), max_length=200, blank=True)
    donor_email = models.EmailField(_("donor e-mail"), blank=True)
    note = models.TextField(_("internal note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DonationQuerySet.as_manager()

    PERSONAL_FIELDS = ("donor_name", "donor_email")

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        indexes = [
            models.Index(fields=["campaign", "status"]),
            GinIndex(fields=["aliases"], name="donation_aliases"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["processor", "reference"],
                condition=~Q(reference=""),
                name="donation_reference_unique_per_processor",
                violation_error_message=_(
                    "A donation with this processor reference is already recorded."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="donation_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__lte=F("amount")),
                name="donation_refund_at_most_the_gift",
                violation_error_message=_("More cannot be refunded than was given."),
            ),
        ]

    def __str__(self):
        return (
            f"{format_money(self.amount, self.currency)} · {self.received_at:%Y-%m-%d}"
        )

    def save(self, *args, **kwargs):
        if self.variant_id and not self.appeal_id:
            self.appeal_id = self.variant.appeal_id
        if self.appeal_id and not self.campaign_id:
            self.campaign_id = self.appeal.campaign_id
        super().save(*args, **kwargs)

    @property
    def net(self):
        return self.amount - self.amount_refunded

    def amount_text(self):
        """“$50”, or “$50 ($20 refunded)”."""
        text = format_money(self.amount, self.currency)
        if self.amount_refunded:
            text += " " + _("(%(refunded)s refunded)") % {
                "refunded": format_money(self.amount_refunded, self.currency)
            }
        return text

    def clean(self):
        errors = {}
        if (
            self.variant_id
            and self.appeal_id
            and self.variant.appeal_id != self.appeal_id
        ):
            errors["variant"] = _("This variant belongs to another appeal.")
        if self.campaign_id and self.campaign.currency != self.currency:
            errors["currency"] = _(
                "The campaign counts gifts in %(currency)s; this one would not count."
            ) % {"currency": self.campaign.currency}
        if errors:
            raise ValidationError(errors)


class StripeEvent(models.Model):
    """Each webhook event Stripe delivered, once: retries and replays of the same
    event id are acknowledged without being applied again."""

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    created = models.DateTimeField(_("created at Stripe"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    donation = models.ForeignKey(
        Donation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stripe_events",
        verbose_name=_("donation"),
    )
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")

    def __str__(self):
        return f"{self.type} {self.event_id}"


def aware(timestamp):
    """A Unix timestamp from a processor as an aware datetime."""
    return datetime.fromtimestamp(int(timestamp), tz=UTC)
