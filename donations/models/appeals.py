"""Appeals: the asks readers see, where, when and to whom; the site-wide pause."""

from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Section

from .campaigns import Campaign, suggested_amounts_field
from .schedule import (
    Scheduled,
    ScheduledQuerySet,
    Window,
    ends_after_it_starts,
    running_q,
)


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

    @classmethod
    def site_paused(cls):
        """Whether every appeal is paused, as an SQL expression to filter or
        annotate with, so that asking costs no query of its own."""
        return Exists(cls.objects.filter(paused=True))


class AppealQuerySet(ScheduledQuerySet):
    def running(self, now=None):
        """Switched on, inside its own schedule and its campaign's, and not paused
        site-wide. Decided in one SQL query, with no query of its own for the
        switch, so a page costs the same with or without appeals."""
        now = now or timezone.now()
        return (
            super()
            .running(now)
            .filter(Q(campaign__isnull=True) | running_q(now, "campaign__"))
            .filter(~AppealSettings.site_paused())
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


class Appeal(Scheduled, models.Model):
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
    suggested_amounts = suggested_amounts_field(
        _("Optional buttons with amounts, in whole units: 10,25,50. Needs a campaign.")
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
            ends_after_it_starts(
                "appeal_ends_after_it_starts", _("An appeal must end after it starts.")
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
        """When the appeal may run, inside its campaign's dates."""
        window = Window(self.starts_at, self.ends_at)
        return window & self.campaign.window if self.campaign_id else window

    def is_running(self, now=None, site_paused=None):
        """In memory, what AppealQuerySet.running() decides in SQL."""
        return self.get_state(site_paused, now) == AppealState.RUNNING

    def get_state(self, site_paused=None, now=None):
        """Scheduled, running, ended or paused: what an admin needs to see. Pass
        `site_paused` when listing many appeals, to ask for the switch once."""
        now = now or timezone.now()
        window = self.window
        if window.has_ended(now):
            return AppealState.ENDED
        if site_paused is None:
            site_paused = AppealSettings.objects.filter(paused=True).exists()
        if site_paused or not self.active:
            return AppealState.PAUSED
        if self.campaign_id and not self.campaign.active:
            return AppealState.PAUSED
        if not window.has_started(now):
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
