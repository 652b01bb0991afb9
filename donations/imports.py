"""
Importing a payment processor's export: Stripe's payments CSV.

Reading a file never writes anything: `read_stripe_csv` returns every row with what
would happen to it (added, a refund recorded for a gift already in the ledger, skipped
as a duplicate or as unpaid) or why it cannot be imported, with its line number in the
file. `import_rows` then saves the added rows and refunds in one transaction, and only
when no row has an error: a file is imported whole or not at all, so a fix-and-retry
never leaves half a file behind.

Both take seconds on a big file, so the admin runs them as background tasks
(donations.tasks), which report how far they have read through `progress`.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import connection, transaction
from django.utils.translation import gettext as _

from newsroom import cache as page_cache

from . import ledger
from .models import Appeal, AppealVariant, Campaign, Donation
from .money import Currency, format_money, parse_amount

# Stripe has named these columns differently over the years; the first is current.
COLUMNS = {
    "id": ["id"],
    "payment_intent": ["PaymentIntent ID", "Payment Intent ID"],
    "created": ["Created date (UTC)", "Created (UTC)", "Created"],
    "amount": ["Amount"],
    "amount_refunded": ["Amount Refunded"],
    "currency": ["Currency"],
    "status": ["Status"],
    "email": ["Customer Email"],
    "name": ["Customer Name", "Card Name", "Billing Name"],
    "invoice": ["Invoice ID"],
    "campaign": ["newsroom_campaign (metadata)", "campaign (metadata)"],
    "appeal": ["newsroom_appeal (metadata)", "appeal (metadata)"],
    "variant": ["newsroom_variant (metadata)", "variant (metadata)"],
}
REQUIRED = ["id", "created", "amount", "currency", "status"]

STATUSES = {
    "paid": Donation.Status.SUCCEEDED,
    "succeeded": Donation.Status.SUCCEEDED,
    "partially refunded": Donation.Status.SUCCEEDED,
    "partially_refunded": Donation.Status.SUCCEEDED,
    "refunded": Donation.Status.REFUNDED,
    "pending": Donation.Status.PENDING,
    "uncaptured": Donation.Status.PENDING,
    "disputed": Donation.Status.DISPUTED,
}
UNPAID = {
    "failed",
    "canceled",
    "cancelled",
    "blocked",
    "incomplete",
    "requires_payment_method",
}
DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%SZ"]
MAX_ROWS = 20_000
IMPORT_LOCK = 8_271_100  # any number of our own, for pg_advisory_xact_lock
CURRENCIES = frozenset(Currency.values)
PROGRESS_EVERY = 500  # rows


class Action:
    ADD = "add"
    REFUND = "refund"  # a gift already recorded, with more refunded in the file
    DUPLICATE = "duplicate"
    SKIP = "skip"
    ERROR = "error"


@dataclass
class Row:
    line: int
    reference: str = ""
    donation: Donation | None = None
    action: str = Action.ADD
    messages: list = field(default_factory=list)
    candidates: set = field(default_factory=set)  # every id the payment goes by
    recorded: int | None = None  # REFUND: the donation already in the ledger


@dataclass
class ImportResult:
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # about the whole file

    def count(self, action):
        return sum(1 for row in self.rows if row.action == action)

    @property
    def added(self):
        return self.count(Action.ADD)

    @property
    def refunds(self):
        return self.count(Action.REFUND)

    @property
    def duplicates(self):
        return self.count(Action.DUPLICATE)

    @property
    def skipped(self):
        return self.count(Action.SKIP)

    @property
    def row_errors(self):
        return [row for row in self.rows if row.action == Action.ERROR]

    @property
    def ok(self):
        return not self.errors and not self.row_errors


def parse_created(text):
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise ValueError(text)


class Reader:
    def __init__(self, campaign=None):
        self.campaign = campaign
        campaigns = list(Campaign.objects.all())
        self.campaigns = {c.slug: c for c in campaigns}
        self.campaigns_by_pk = {c.pk: c for c in campaigns}
        self.running = [c for c in campaigns if c.active]
        self.appeals = {a.pk: a for a in Appeal.objects.all()}
        self.variants = {v.pk: v for v in AppealVariant.objects.all()}

    def campaign_for(self, values, received_at, currency, appeal):
        if self.campaign:
            return self.campaign
        named = self.campaigns.get(values.get("campaign", ""))
        if named:
            return named
        if appeal and appeal.campaign_id:
            return self.campaigns_by_pk[appeal.campaign_id]
        running = [
            c
            for c in self.running
            if c.is_running(received_at) and c.currency == currency
        ]
        return min(running, key=Campaign.ending_key, default=None)

    def attribution(self, values):
        variant = self.variants.get(_int(values.get("variant")))
        appeal = self.appeals.get(_int(values.get("appeal")))
        if variant and appeal is None:
            appeal = self.appeals.get(variant.appeal_id)
        if variant and appeal and variant.appeal_id != appeal.pk:
            variant = None
        return appeal, variant

    def row(self, line, values):
        row = Row(line=line)
        errors = row.messages
        charge = values.get("id", "").strip()
        row.reference = values.get("payment_intent", "").strip() or charge
        if not charge:
            errors.append(_("The id column is empty."))
        status_text = values.get("status", "").strip().lower()
        if status_text in UNPAID:
            row.action = Action.SKIP
            row.messages.append(
                _("Not paid (%(status)s): not recorded.") % {"status": status_text}
            )
            return row
        status = STATUSES.get(status_text)
        if status is None:
            errors.append(
                _("Unknown status “%(status)s”.") % {"status": values.get("status", "")}
            )
        try:
            amount = parse_amount(values.get("amount", ""))
            if amount <= 0:
                raise ValueError
        except ValueError:
            amount = None
            errors.append(
                _("Amount “%(amount)s” is not an amount like 25.00.")
                % {"amount": values.get("amount", "")}
            )
        refunded = 0
        if values.get("amount_refunded", "").strip():
            try:
                refunded = parse_amount(values["amount_refunded"])
            except ValueError:
                errors.append(
                    _("Amount Refunded “%(amount)s” is not an amount like 25.00.")
                    % {"amount": values["amount_refunded"]}
                )
        if status == Donation.Status.REFUNDED and not refunded and amount:
            refunded = amount
        if amount is not None and refunded > amount:
            errors.append(_("More is refunded than was paid."))
        currency = values.get("currency", "").strip().upper()
        if currency not in CURRENCIES:
            errors.append(
                _("Currency “%(currency)s” is not one this site takes (%(known)s).")
                % {"currency": currency, "known": ", ".join(Currency.values)}
            )
        try:
            received_at = parse_created(values.get("created", ""))
        except ValueError:
            received_at = None
            errors.append(
                _("Date “%(date)s” is not a date like 2026-03-05 14:22:01.")
                % {"date": values.get("created", "")}
            )
        if errors:
            row.action = Action.ERROR
            return row
        if amount and refunded >= amount:
            status = Donation.Status.REFUNDED
        appeal, variant = self.attribution(values)
        row.donation = Donation(
            amount=amount,
            amount_refunded=refunded,
            currency=currency,
            received_at=received_at,
            status=status,
            frequency=(
                Donation.Frequency.MONTHLY
                if values.get("invoice", "").strip()
                else Donation.Frequency.ONCE
            ),
            campaign=self.campaign_for(values, received_at, currency, appeal),
            appeal=appeal,
            variant=variant,
            source=Donation.Source.IMPORT,
            processor=Donation.Processor.STRIPE,
            reference=row.reference,
            donor_name=values.get("name", "").strip()[:200],
            donor_email=values.get("email", "").strip()[:254],
        )
        row.candidates = {
            value
            for value in (row.reference, charge, values.get("invoice", "").strip())
            if value
        }
        row.donation.aliases = sorted(row.candidates - {row.reference})
        return row


def _int(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def read_stripe_csv(text, campaign=None, progress=None):
    """Every row of a Stripe payments export and what importing it would do."""
    result = parse_stripe_csv(text, campaign, progress)
    if not result.errors:
        mark_recorded(result.rows)
    return result


def parse_stripe_csv(text, campaign=None, progress=None):
    """Every row, checked on its own and against the file's other rows."""
    result = ImportResult()
    stream = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(stream)
    except StopIteration:
        result.errors.append(_("The file is empty."))
        return result
    except csv.Error as error:
        result.errors.append(_("The file is not CSV: %(error)s") % {"error": error})
        return result
    index = {name.strip().lower(): i for i, name in enumerate(header)}
    positions = {}
    for key, names in COLUMNS.items():
        for name in names:
            if name.lower() in index:
                positions[key] = index[name.lower()]
                break
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in positions]
    if missing:
        result.errors.append(
            _(
                "Line 1 lacks the column(s) %(missing)s. Is this Stripe's payments "
                "export?"
            )
            % {"missing": ", ".join(f"“{name}”" for name in missing)}
        )
        return result
    reader = Reader(campaign)
    seen = {}
    last_line = stream.line_num
    try:
        for record in stream:
            line = last_line + 1
            last_line = stream.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(result.rows) >= MAX_ROWS:
                result.errors.append(
                    _("The file has more than %(max)s rows: split it.")
                    % {"max": MAX_ROWS}
                )
                return result
            values = {
                key: record[position] if position < len(record) else ""
                for key, position in positions.items()
            }
            row = reader.row(line, values)
            if row.action == Action.ADD:
                earlier = next((seen[c] for c in row.candidates if c in seen), None)
                if earlier:
                    row.action = Action.DUPLICATE
                    row.messages.append(
                        _("Same payment as line %(line)s: skipped.") % {"line": earlier}
                    )
                for candidate in row.candidates:
                    seen.setdefault(candidate, line)
            result.rows.append(row)
            if progress and len(result.rows) % PROGRESS_EVERY == 0:
                progress(len(result.rows))
    except csv.Error as error:
        result.errors.append(
            _("Line %(line)s cannot be read as CSV: %(error)s")
            % {"line": last_line + 1, "error": error}
        )
        return result
    if progress:
        progress(len(result.rows))
    return result


def mark_recorded(rows):
    """Rows whose payment the ledger already holds (from the webhook or an earlier
    import) are skipped, whichever of its ids the ledger knows it by; unless the
    file shows more refunded than the ledger has, which is then recorded."""
    candidates = set()
    for row in rows:
        if row.action == Action.ADD:
            candidates |= row.candidates
    known = {}
    for pk, reference, aliases, amount_refunded in Donation.objects.known_by(
        Donation.Processor.STRIPE, candidates
    ).values_list("pk", "reference", "aliases", "amount_refunded"):
        for name in (reference, *aliases):
            known[name] = (pk, amount_refunded)
    for row in rows:
        hits = sorted(c for c in row.candidates if c in known)
        if row.action != Action.ADD or not hits:
            continue
        pk, amount_refunded = known[hits[0]]
        if row.donation.amount_refunded > amount_refunded:
            row.action = Action.REFUND
            row.recorded = pk
            row.messages.append(
                _("Already recorded; the refund of %(refunded)s is recorded.")
                % {
                    "refunded": format_money(
                        row.donation.amount_refunded, row.donation.currency
                    )
                }
            )
        else:
            row.action = Action.DUPLICATE
            row.messages.append(_("Already recorded: skipped."))


def record_refunds(rows):
    """A payments export shows each charge's refunded total, as a charge.refunded
    event does: the same fact for the ledger (donations.ledger)."""
    for row in rows:
        donation = Donation.objects.select_for_update().get(pk=row.recorded)
        facts = ledger.facts_of(donation)
        ledger.add_charge_refunded(facts, row.donation.amount_refunded)
        ledger.settle(donation, facts)
        donation.save(
            update_fields=[
                "processor_facts",
                "amount",
                "amount_refunded",
                "status",
                "updated_at",
            ]
        )


def import_rows(text, campaign=None, by=None, progress=None):
    """Read the file again and save it whole, or nothing if any row is wrong."""
    result = parse_stripe_csv(text, campaign, progress)
    if not result.ok:
        return result
    with transaction.atomic():
        # Two imports at once (a double-clicked button) are taken one after the
        # other, so the second finds the first one's rows already recorded; what
        # the ledger holds is looked up under the lock, just before saving.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
        mark_recorded(result.rows)
        donations = [row.donation for row in result.rows if row.action == Action.ADD]
        for donation in donations:
            donation.recorded_by = by
        Donation.objects.bulk_create(donations, batch_size=1000)
        record_refunds([row for row in result.rows if row.action == Action.REFUND])
        # bulk_create sends no post_save: tell the page cache the totals moved.
        transaction.on_commit(page_cache.bump)
    return result
