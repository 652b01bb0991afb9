"""Campaigns: a goal, dates, and the processor pages gifts go to."""

from dataclasses import dataclass

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from richtext.fields import RichTextField

from ..money import Currency, format_money
from .gifts import Donation
from .schedule import Scheduled, ScheduledQuerySet, ends_after_it_starts


def suggested_amounts_field(help_text):
    """Up to six gifts in whole units, offered as buttons: a campaign's and an
    appeal's."""
    return ArrayField(
        models.PositiveIntegerField(validators=[MinValueValidator(1)]),
        size=6,
        blank=True,
        default=list,
        verbose_name=_("suggested amounts"),
        help_text=help_text,
    )


class CampaignQuerySet(ScheduledQuerySet):
    def ending_first(self):
        """Soonest end first, open-ended last (as Campaign.ending_key sorts)."""
        return self.order_by(F("ends_at").asc(nulls_last=True), "pk")

    def current(self, now=None):
        """The campaign the donate page shows: one that is running (the one ending
        soonest if several are), else the most recent active one, so the page
        still has somewhere to send a gift between campaigns."""
        return (
            self.running(now).ending_first().first()
            or self.filter(active=True).order_by("-starts_at").first()
        )

    def for_gift(self, received_at, currency):
        """The campaign a gift that names none counts towards: the one running
        when it was made, in its currency, ending soonest."""
        return (
            self.running(received_at).filter(currency=currency).ending_first().first()
        )


@dataclass(frozen=True)
class Progress:
    """A campaign's totals as readers see them. Amounts in minor units."""

    goal: int
    raised: int
    donors: int
    currency: str
    expected: int | None  # what we should have raised by now to be on track

    @property
    def percent(self):
        return min(100.0, 100.0 * self.raised / self.goal) if self.goal else 0.0

    @property
    def expected_percent(self):
        if self.expected is None or not self.goal:
            return None
        return min(100.0, 100.0 * self.expected / self.goal)

    @property
    def on_track(self):
        return self.expected is None or self.raised >= self.expected

    def money(self, minor):
        """Totals in whole units: readers need “$22,222”, not the cents."""
        return format_money(round(minor / 100) * 100, self.currency, cents=False)


class Campaign(Scheduled, models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("Used in the address of the campaign's progress feed."),
    )
    goal = models.PositiveBigIntegerField(
        _("goal"),
        validators=[MinValueValidator(1)],
        help_text=_("How much the campaign means to raise."),
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.USD
    )
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    ends_at = models.DateTimeField(
        _("ends"),
        null=True,
        blank=True,
        help_text=_("Empty: open-ended. With an end, progress shows a pace line."),
    )
    donate_url = models.URLField(
        _("donate link (one-time gifts)"),
        max_length=500,
        help_text=_(
            "The page at your payment processor where readers give once. If it takes "
            "an amount in its address, write {amount} where it goes (whole units); "
            "{reference} is replaced by which campaign, appeal and variant the gift "
            "came from. Stripe Payment Links get that as client_reference_id."
        ),
    )
    monthly_donate_url = models.URLField(
        _("donate link (monthly gifts)"),
        max_length=500,
        blank=True,
        help_text=_(
            "Optional. Offers a monthly gift on the donate page. Takes {amount} and "
            "{reference} like the one-time link."
        ),
    )
    suggested_amounts = suggested_amounts_field(
        _("Whole units, separated by commas, e.g. 10,25,50,100.")
    )
    default_frequency = models.CharField(
        _("preselected frequency"),
        max_length=10,
        choices=[("once", _("One-time")), ("monthly", _("Monthly"))],
        default="once",
        help_text=_(
            "What the donate form offers first, including for readers who arrive "
            "from an appeal's button. Monthly needs the monthly donate link."
        ),
    )
    default_amount = models.PositiveIntegerField(
        _("preselected amount"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Whole units. Empty: the second suggested amount (or the only one). "
            "Used when the donate link takes {amount}."
        ),
    )
    thank_you_text = RichTextField(
        _("thank-you page text"),
        blank=True,
        help_text=_(
            "Shown on the page readers return to after giving. Set your processor's "
            "return address to this site's /donate/thank-you/."
        ),
    )
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Untick to stop the campaign and all its appeals at once."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            ends_after_it_starts(
                "campaign_ends_after_it_starts",
                _("A campaign must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(goal__gt=0), name="campaign_goal_positive"
            ),
            models.CheckConstraint(
                condition=Q(default_frequency="once") | ~Q(monthly_donate_url=""),
                name="campaign_monthly_preselected_only_with_a_link",
                violation_error_message=_(
                    "Monthly gifts can only be preselected with a monthly donate link."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("donations:donate")

    def ending_key(self):
        """Sorts campaigns as CampaignQuerySet.ending_first() does, in memory."""
        return (self.ends_at is None, self.ends_at, self.pk)

    def expected_by(self, now):
        """Where a steady pace from start to end would have the total by `now`;
        None outside the campaign's dates, where a pace means nothing."""
        if self.ends_at is None or not self.window.contains(now):
            return None
        span = (self.ends_at - self.starts_at).total_seconds()
        elapsed = (now - self.starts_at).total_seconds()
        return round(self.goal * elapsed / span)

    def progress(self, now=None, totals=None):
        totals = totals or Donation.objects.for_campaign(self).totals()
        return Progress(
            goal=self.goal,
            raised=totals["raised"],
            donors=totals["donors"],
            currency=self.currency,
            expected=self.expected_by(now or timezone.now()),
        )

    def clean(self):
        errors = {}
        if self.default_frequency == "monthly" and not self.monthly_donate_url:
            # The constraint says the same, without pointing at the field.
            errors["default_frequency"] = _(
                "Monthly gifts can only be preselected with a monthly donate link."
            )
        if self.takes_amount and not self.suggested_amounts and not self.default_amount:
            errors["default_amount"] = _(
                "The donate link takes an amount: give suggested amounts or a "
                "preselected amount, so readers arrive with a gift ready to pay."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def takes_amount(self):
        """The processor's page can be told the amount (see donate_url)."""
        return "{amount}" in self.donate_url

    def preselected_amount(self):
        """The amount the donate form offers first, in whole units, or None."""
        if self.default_amount:
            return self.default_amount
        amounts = self.suggested_amounts
        return amounts[min(1, len(amounts) - 1)] if amounts else None

    def preselected_frequency(self):
        if self.default_frequency == "monthly" and self.monthly_donate_url:
            return "monthly"
        return "once"

    def link(self, frequency="once", amount=None, reference=""):
        """The processor's page for a gift, with the amount filled in if it can be,
        and our reference (which campaign, appeal and variant) if it takes one."""
        url = self.monthly_donate_url if frequency == "monthly" else self.donate_url
        if "{amount}" in url:
            url = url.replace("{amount}", str(amount) if amount else "")
        if "{reference}" in url:
            url = url.replace("{reference}", reference)
        return url
