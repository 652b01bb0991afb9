from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from newsroom.admin import https_urls

from .models import Appeal, Campaign, Donation
from .money import MINOR_PER_MAJOR, format_money, parse_amount, to_major

# The most a reader may send to the processor through our own form, in whole units:
# a typo guard, not a policy. Larger gifts are welcome by other means.
MAX_GIFT = 100_000


class MoneyField(forms.Field):
    """An amount typed in major units (“25”, “1,250.50”) for a model field that keeps
    integer minor units."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 12})
    default_error_messages = {
        "invalid": _("Enter an amount like 25 or 1,250.50."),
    }

    def __init__(self, *, min_value=None, **kwargs):
        self.min_value = min_value
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            major = to_major(value)
            return f"{major:.0f}" if value % MINOR_PER_MAJOR == 0 else f"{major:.2f}"
        return value

    def to_python(self, value):
        value = (value or "").strip() if isinstance(value, str) else value
        if value in self.empty_values:
            return None
        if isinstance(value, int):
            return value
        if len(value) > 20:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            minor = parse_amount(value)
        except ValueError as error:
            raise ValidationError(
                self.error_messages["invalid"], code="invalid"
            ) from error
        if self.min_value is not None and minor < self.min_value:
            raise ValidationError(_("Enter an amount above zero."), code="min_value")
        return minor


def whole_number(value):
    """A positive whole number written in ASCII digits (str.isdigit() also takes
    “²” and “١”, which int() refuses or reads), or None."""
    value = (value or "").strip() if isinstance(value, str) else ""
    if not (value.isascii() and value.isdigit() and len(value) < 10):
        return None
    return int(value) or None


def attribution_id(value):
    """Attribution arrives in links readers can edit: anything but a plain id is
    dropped, never an error that stops a gift."""
    return whole_number(value)


class GiveForm(forms.Form):
    """The donate page's choice of gift, sent to the processor by donations:give.

    Unbound, it offers the campaign's preselected frequency and amount, so a reader
    who arrives from an appeal's button can pay at once (see `arriving`)."""

    frequency = forms.ChoiceField(
        label=_("How often"),
        widget=forms.RadioSelect,
        initial=Donation.Frequency.ONCE,
        error_messages={
            "required": _("Choose how often you want to give."),
            "invalid_choice": _("Choose how often you want to give."),
        },
    )
    amount = forms.ChoiceField(
        label=_("Amount"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an amount."),
            "invalid_choice": _("Choose one of the amounts, or Other."),
        },
    )
    other_amount = forms.IntegerField(
        label=_("Other amount"),
        required=False,
        min_value=1,
        max_value=MAX_GIFT,
        error_messages={"invalid": _("Enter the amount in whole units, like 30.")},
    )
    campaign = forms.CharField(widget=forms.HiddenInput, max_length=100)
    appeal = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    variant = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    OTHER = "other"

    def __init__(self, campaign, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["campaign"].initial = campaign.slug
        frequencies = [(Donation.Frequency.ONCE, _("One time"))]
        if campaign.monthly_donate_url:
            frequencies.append((Donation.Frequency.MONTHLY, _("Monthly")))
        self.fields["frequency"].choices = frequencies
        self.fields["frequency"].initial = campaign.preselected_frequency()
        if self.takes_amount:
            amounts = [
                (str(amount), format_money(amount * MINOR_PER_MAJOR, campaign.currency))
                for amount in campaign.suggested_amounts
            ]
            self.fields["amount"].choices = [*amounts, (self.OTHER, _("Other"))]
            self.fields["amount"].initial, self.fields["other_amount"].initial = (
                self.amount_choice(campaign.preselected_amount())
            )
        else:
            del self.fields["amount"]
            del self.fields["other_amount"]

    @classmethod
    def arriving(cls, campaign, query):
        """The form for a reader who arrives from a link (an appeal's button or
        amount, a bookmark, an old page): what the link carries that can be used,
        the campaign's preselection for the rest, and notes for the reader about
        what could not be used. Never an error: nothing has been submitted yet."""
        form = cls(campaign)
        notes = []
        frequency = query.get("frequency", "")
        if frequency:
            if frequency in dict(form.fields["frequency"].choices):
                form.initial["frequency"] = frequency
            else:
                notes.append(
                    _(
                        "The link asked for a way of giving we don't offer: "
                        "choose how often you want to give."
                    )
                )
        amount = query.get("amount", "")
        if amount and form.takes_amount:
            if amount == cls.OTHER:
                amount = query.get("other_amount", "")
            whole = whole_number(amount)
            if whole and whole <= MAX_GIFT:
                form.initial["amount"], form.initial["other_amount"] = (
                    form.amount_choice(whole)
                )
            else:
                notes.append(
                    _(
                        "We could not use the amount in the link: choose an amount, "
                        "or type one under Other."
                    )
                )
        for key in ("appeal", "variant"):
            value = attribution_id(query.get(key))
            if value is not None:
                form.initial[key] = value
        return form, notes

    def amount_choice(self, amount):
        """(amount, other_amount) that select `amount`, in whole units."""
        if amount is None:
            return self.OTHER, None
        choices = {value for value, _label in self.fields["amount"].choices}
        if str(amount) in choices:
            return str(amount), None
        return self.OTHER, amount

    def lacks_a_choice(self):
        """A link rather than a submitted form: the gift is not chosen yet."""
        needed = ["frequency", "amount"] if self.takes_amount else ["frequency"]
        return any(not self.data.get(name) for name in needed)

    @property
    def takes_amount(self):
        return self.campaign.takes_amount

    def clean_appeal(self):
        return attribution_id(self.cleaned_data.get("appeal"))

    def clean_variant(self):
        return attribution_id(self.cleaned_data.get("variant"))

    def clean(self):
        cleaned = super().clean()
        if self.takes_amount and cleaned.get("amount") == self.OTHER:
            if not cleaned.get("other_amount") and "other_amount" not in self.errors:
                self.add_error("other_amount", _("Enter the amount you want to give."))
            cleaned["gift"] = cleaned.get("other_amount")
        elif self.takes_amount and cleaned.get("amount"):
            cleaned["gift"] = int(cleaned["amount"])
        else:
            cleaned["gift"] = None
        return cleaned

    def reference(self):
        """Which campaign, appeal and variant the gift came from, for the
        processor to hand back: nr_c<campaign>[_a<appeal>[_v<variant>]]."""
        data = self.cleaned_data
        reference = f"nr_c{self.campaign.pk}"
        if data.get("appeal"):
            reference += f"_a{data['appeal']}"
            if data.get("variant"):
                reference += f"_v{data['variant']}"
        return reference


class CampaignForm(forms.ModelForm):
    goal = MoneyField(
        label=_("goal"),
        min_value=1,
        help_text=_("In the campaign's currency, e.g. 50,000."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "slug",
            "active",
            "goal",
            "currency",
            "starts_at",
            "ends_at",
            "donate_url",
            "monthly_donate_url",
            "suggested_amounts",
            "default_frequency",
            "default_amount",
            "thank_you_text",
        ]
        formfield_callback = https_urls


class AppealForm(forms.ModelForm):
    class Meta:
        model = Appeal
        fields = [
            "name",
            "campaign",
            "placement",
            "paragraph",
            "active",
            "starts_at",
            "ends_at",
            "priority",
            "weight",
            "button_url",
            "suggested_amounts",
            "show_progress",
            "sections",
            "developing",
            "min_articles_read",
            "readers",
            "cap_views",
            "cap_days",
            "dismiss_days",
            "hide_from_donors",
        ]
        formfield_callback = https_urls


class DonationForm(forms.ModelForm):
    amount = MoneyField(label=_("amount"), min_value=1)
    amount_refunded = MoneyField(
        label=_("amount refunded"),
        required=False,
        help_text=_("Part or all of the gift given back. Subtracted from totals."),
    )

    class Meta:
        model = Donation
        fields = [
            "amount",
            "amount_refunded",
            "currency",
            "received_at",
            "frequency",
            "status",
            "campaign",
            "appeal",
            "variant",
            "source",
            "processor",
            "reference",
            "donor_name",
            "donor_email",
            "note",
        ]

    def clean_amount_refunded(self):
        return self.cleaned_data.get("amount_refunded") or 0

    def clean(self):
        cleaned = super().clean()
        amount, refunded = cleaned.get("amount"), cleaned.get("amount_refunded") or 0
        if amount and refunded > amount:
            self.add_error(
                "amount_refunded", _("More cannot be refunded than was given.")
            )
        return cleaned


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Stripe: Payments → Export, with the default columns. UTF-8, at most "
            "20 MB and 20,000 rows."
        ),
    )
    campaign = forms.ModelChoiceField(
        Campaign.objects.all(),
        label=_("Campaign"),
        required=False,
        help_text=_(
            "Every gift in the file counts towards this campaign. Empty: the campaign "
            "named in a row's metadata, else the one running when the gift was made."
        ),
    )

    MAX_BYTES = 20 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(
                _("The file is larger than 20 MB. Export fewer days.")
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                _("The file is not UTF-8 text. Export it again as CSV.")
            ) from error
