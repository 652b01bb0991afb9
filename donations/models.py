from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, When
from django.db.models.functions import Cast, Coalesce, Lower, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.fields import RichTextField
from articles.models import Section

from .money import Currency, format_money


class CampaignQuerySet(models.QuerySet):
    def running(self, now=None):
        now = now or timezone.now()
        return self.filter(active=True, starts_at__lte=now).filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        )

    def current(self, now=None):
        """The campaign the donate page shows: one that is running (the one ending
        soonest if several are), else the most recent active one, so the page
        still has somewhere to send a gift between campaigns."""
        running = self.running(now).order_by(F("ends_at").asc(nulls_last=True), "pk")
        return (
            running.first() or self.filter(active=True).order_by("-starts_at").first()
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


class Campaign(models.Model):
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
    suggested_amounts = ArrayField(
        models.PositiveIntegerField(validators=[MinValueValidator(1)]),
        size=6,
        blank=True,
        default=list,
        verbose_name=_("suggested amounts"),
        help_text=_("Whole units, separated by commas, e.g. 10,25,50,100."),
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
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="campaign_ends_after_it_starts",
                violation_error_message=_("A campaign must end after it starts."),
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

    def is_running(self, now=None):
        now = now or timezone.now()
        return (
            self.active
            and self.starts_at <= now
            and (self.ends_at is None or self.ends_at > now)
        )

    def expected_by(self, now):
        """Where a steady pace from start to end would have the total by `now`;
        None outside the campaign's dates, where a pace means nothing."""
        if self.ends_at is None or not self.starts_at <= now < self.ends_at:
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


class Placement(models.TextChoices):
    TOP = "top", _("Top bar, above the header")
    INLINE = "inline", _("Inline, after paragraph N of an article")
    END = "end", _("End of article")
    OVERLAY = "overlay", _("Overlay (bottom sheet)")
    HOME = "home", _("Home page slot")


ARTICLE_PLACEMENTS = {Placement.INLINE, Placement.END}


class Readers(models.TextChoices):
    ALL = "all", _("Every reader")
    NEW = "new", _("New readers (first visit)")
    RETURNING = "returning", _("Returning readers")


class Developing(models.TextChoices):
    ANY = "any", _("Any story")
    ONLY = "only", _("Developing stories only")
    NEVER = "never", _("Never on developing stories")


class AppealSettings(models.Model):
    """The site's one switch over every appeal."""

    paused = models.BooleanField(
        _("pause all appeals"),
        default=False,
        help_text=_(
            "Stops every appeal on the site at once, e.g. during a breaking tragedy. "
            "Pages already cached by readers' browsers or a CDN catch up when they "
            "expire."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("appeal settings")
        verbose_name_plural = _("appeal settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="appeal_settings_singleton")
        ]

    def __str__(self):
        return str(_("Appeal settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        return cls.objects.get_or_create(pk=1)[0]


class AppealQuerySet(models.QuerySet):
    def running(self, now=None):
        """Switched on, inside its own schedule and its campaign's, and not paused
        site-wide. Decided in one SQL query, with no query of its own for the
        switch, so a page costs the same with or without appeals."""
        now = now or timezone.now()
        return (
            self.filter(active=True, starts_at__lte=now)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .filter(
                Q(campaign__isnull=True)
                | Q(
                    Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=now),
                    campaign__active=True,
                    campaign__starts_at__lte=now,
                )
            )
            .filter(~Exists(AppealSettings.objects.filter(paused=True)))
        )

    def for_page(self, placements, article=None):
        """Appeals that may show on a page with these slots. Article rules (the
        story's no-appeals flag, sections, developing) are decided here, on the
        server, because they are the same for every reader of the page."""
        placements = set(placements)
        if article is None:
            placements -= ARTICLE_PLACEMENTS
        queryset = self.filter(placement__in=placements)
        targets = Appeal.sections.through.objects.filter(appeal=OuterRef("pk"))
        if article is None:
            return queryset.exclude(developing=Developing.ONLY).filter(~Exists(targets))
        if article.no_appeals:
            return queryset.none()
        queryset = queryset.exclude(
            developing=Developing.NEVER if article.developing else Developing.ONLY
        )
        return queryset.filter(
            ~Exists(targets) | Exists(targets.filter(section=article.section_id))
        )


class Appeal(models.Model):
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appeals",
        verbose_name=_("campaign"),
        help_text=_("Empty: a stand-alone appeal, which needs its own button link."),
    )
    name = models.CharField(
        _("internal name"),
        max_length=150,
        help_text=_("For the admin and the results only; readers never see it."),
    )
    placement = models.CharField(
        _("placement"), max_length=10, choices=Placement.choices
    )
    paragraph = models.PositiveSmallIntegerField(
        _("after paragraph"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Inline appeals only: shown after this paragraph of the story, or at the "
            "end of a shorter one."
        ),
    )
    button_url = models.URLField(
        _("button link"),
        max_length=500,
        blank=True,
        help_text=_(
            "Empty: the donate form, with the campaign's gift preselected and "
            "ready to pay."
        ),
    )
    suggested_amounts = ArrayField(
        models.PositiveIntegerField(validators=[MinValueValidator(1)]),
        size=6,
        blank=True,
        default=list,
        verbose_name=_("suggested amounts"),
        help_text=_(
            "Optional buttons with amounts, in whole units: 10,25,50. Needs a campaign."
        ),
    )
    show_progress = models.BooleanField(
        _("show campaign progress"),
        default=False,
        help_text=_("A progress bar towards the campaign's goal. Needs a campaign."),
    )
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    priority = models.SmallIntegerField(
        _("priority"),
        default=0,
        help_text=_(
            "When several appeals could fill the same slot, the highest priority wins; "
            "equal priorities share readers by weight."
        ),
    )
    weight = models.PositiveSmallIntegerField(
        _("weight"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Share of readers among appeals of equal priority in a slot."),
    )
    sections = models.ManyToManyField(
        Section,
        blank=True,
        related_name="+",
        verbose_name=_("sections"),
        help_text=_(
            "Only on articles in these sections. None: every section, and pages that "
            "are not articles."
        ),
    )
    developing = models.CharField(
        _("developing stories"),
        max_length=5,
        choices=Developing.choices,
        default=Developing.ANY,
    )
    min_articles_read = models.PositiveSmallIntegerField(
        _("minimum articles read"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "Shown only to readers who have opened at least this many articles in "
            "the last 30 days, counting the one in front of them. Counted in their "
            "browser only."
        ),
    )
    readers = models.CharField(
        _("readers"),
        max_length=10,
        choices=Readers.choices,
        default=Readers.ALL,
        help_text=_(
            "A returning reader has visited before, with a break of at least 30 "
            "minutes."
        ),
    )
    cap_views = models.PositiveSmallIntegerField(
        _("at most"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Frequency cap: at most this many views per reader… Empty: no cap."
        ),
    )
    cap_days = models.PositiveSmallIntegerField(
        _("views per days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("…in this many days."),
    )
    dismiss_days = models.PositiveSmallIntegerField(
        _("dismissal lasts (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "A reader who closes the appeal does not see it again for this long."
        ),
    )
    hide_from_donors = models.BooleanField(
        _("hide from donors"),
        default=True,
        help_text=_(
            "Readers who returned from the thank-you page, or said they already give, "
            "are not asked for a year."
        ),
    )
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to pause this appeal.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="appeal_ends_after_it_starts",
                violation_error_message=_("An appeal must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | ~Q(button_url=""),
                name="appeal_has_somewhere_to_send_readers",
                violation_error_message=_(
                    "A stand-alone appeal needs a button link: choose a campaign or "
                    "give the link."
                ),
            ),
            models.CheckConstraint(
                condition=Q(weight__gte=1), name="appeal_weight_positive"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.campaign_id is None:
            if self.suggested_amounts:
                errors["suggested_amounts"] = _(
                    "Suggested amounts need a campaign to send the gift to."
                )
            if self.show_progress:
                errors["show_progress"] = _("Only a campaign's appeal has progress.")
        if self.cap_views is not None and not self.cap_days:
            errors["cap_days"] = _("Say over how many days the cap counts.")
        if errors:
            raise ValidationError(errors)

    @property
    def window(self):
        """When the appeal may run, inside its campaign's dates: (start, end)."""
        start, end = self.starts_at, self.ends_at
        if self.campaign_id:
            start = max(start, self.campaign.starts_at)
            if self.campaign.ends_at and (end is None or self.campaign.ends_at < end):
                end = self.campaign.ends_at
        return start, end

    def get_state(self, site_paused=None, now=None):
        """Scheduled, running, ended or paused: what an admin needs to see. Pass
        `site_paused` when listing many appeals, to ask for the switch once."""
        now = now or timezone.now()
        start, end = self.window
        if end is not None and end <= now:
            return AppealState.ENDED
        if site_paused is None:
            site_paused = AppealSettings.objects.filter(paused=True).exists()
        if site_paused or not self.active:
            return AppealState.PAUSED
        if self.campaign_id and not self.campaign.active:
            return AppealState.PAUSED
        if start > now:
            return AppealState.SCHEDULED
        return AppealState.RUNNING

    def reasons_not_shown_on(self, article):
        """Why the server leaves this appeal off an article page, in an admin's
        words; empty when it is rendered there (the reader's browser still applies
        the reader rules)."""
        reasons = []
        state = self.get_state()
        if state != AppealState.RUNNING:
            reasons.append(_("The appeal is %(state)s.") % {"state": state.label})
        if article.no_appeals:
            reasons.append(_("The story is marked “no donation appeals”."))
        if self.developing == Developing.ONLY and not article.developing:
            reasons.append(_("The appeal is for developing stories only."))
        if self.developing == Developing.NEVER and article.developing:
            reasons.append(_("The appeal stays off developing stories."))
        sections = list(self.sections.all())
        if sections and article.section_id not in {s.pk for s in sections}:
            reasons.append(_("The story is not in one of the appeal's sections."))
        return reasons

    def link(self, amount=None, variant=None):
        """Where the appeal's button goes: its own link, else the donate form with
        the campaign's gift preselected (or `amount`), ready to pay. The form sends
        the appeal and variant on to the processor (donations:give)."""
        if self.button_url and amount is None:
            return self.button_url
        query = {"campaign": self.campaign.slug}
        if amount is not None:
            query["amount"] = amount
        query["appeal"] = self.pk
        if variant is not None:
            query["variant"] = variant.pk
        return f"{reverse('donations:donate')}?{urlencode(query)}"

    def rules(self, variants):
        """The reader rules of the appeal, as data for the browser's decision (see
        donations/appeal_engine.js for what each means)."""
        start, end = self.window
        return {
            "id": self.pk,
            "placement": self.placement,
            "priority": self.priority,
            "weight": self.weight,
            "starts": epoch_ms(start),
            "ends": epoch_ms(end) if end else None,
            "cap": [self.cap_views, self.cap_days] if self.cap_views else None,
            "dismissDays": self.dismiss_days,
            "hideFromDonors": self.hide_from_donors,
            "minReads": self.min_articles_read,
            "readers": self.readers,
            "variants": [
                {"id": variant.pk, "weight": variant.weight, "n": variant.n}
                for variant in variants
            ],
        }


def epoch_ms(moment):
    return int(moment.timestamp() * 1000)


class AppealState(models.TextChoices):
    SCHEDULED = "scheduled", _("scheduled")
    RUNNING = "running", _("running")
    ENDED = "ended", _("ended")
    PAUSED = "paused", _("paused")


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
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name=_("campaign"),
    )
    appeal = models.ForeignKey(
        Appeal,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="donations",
        verbose_name=_("appeal"),
        help_text=_("The appeal that led to the gift, when known."),
    )
    variant = models.ForeignKey(
        AppealVariant,
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
    # (donations.webhooks.Ledger): the status and refunded amount follow from it.
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
            self.campaign_id = (
                Appeal.objects.filter(pk=self.appeal_id)
                .values_list("campaign_id", flat=True)
                .first()
            )
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
        Campaign,
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
