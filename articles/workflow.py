"""
What editors do to a story: submit it for review, send it back, publish or
schedule it, unpublish it, restore an earlier revision, revoke its preview links;
and what stands between a story and readers (publish_problems) or what they would
get in an unexpected place (placements_past_the_end).

Every step checks on the server who asks; the admin's buttons only call these
functions. Each step is saved as a revision and recorded as a WorkflowNote, which
notifies the people it concerns (articles.notifications).
"""

import re
from itertools import chain

import reversion
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from richtext.paragraphs import paragraph_ends
from richtext.sanitize import sanitize

from . import hooks
from .links import format_local
from .models import (
    EDITORIAL_FIELDS,
    NOTE_LENGTH,
    Article,
    Author,
    Byline,
    PullQuote,
    Quote,
    Status,
    WorkflowError,
    WorkflowNote,
    WorkflowStep,
)
from .notifications import notify_on_commit
from .related import choose_related
from .revisions import keeps_pull_quotes, latest_version, stored_rows

IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
ALT_ATTR = re.compile(r"""\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def body_image_alts(html):
    """The alt text of each image in sanitized body HTML ("" where it has none)."""
    alts = []
    for tag in IMG_TAG.findall(html):
        match = ALT_ATTR.search(tag)
        alts.append((match.group(1) or match.group(2) or "") if match else "")
    return alts


def publish_problems(article):
    """What stands between the article and readers, in an editor's words."""
    problems = []
    if article.unpublish_at and article.unpublish_at <= timezone.now():
        problems.append(
            _("The unpublish time has passed: clear it or set a later one.")
        )
    if not article.bylines.exists():
        problems.append(_("Add at least one byline."))
    if article.section_id is None:
        problems.append(_("Choose a section."))
    if not article.dek.strip():
        problems.append(_("Write a dek."))
    if not article.body.strip():
        problems.append(_("Write the body."))
    image = article.featured_image
    if image and not (image.alt_text.strip() or image.decorative):
        problems.append(_("Give the featured image alt text."))
    if any(not alt.strip() for alt in body_image_alts(article.body)):
        problems.append(_("Give every image in the body alt text."))
    return problems


def placements_past_the_end(article):
    """Warnings for the editor: pull quotes, and what other apps place in the
    body (articles.hooks: inline appeals), placed after a paragraph this body
    doesn't have, which readers get at the end of the story instead. Paragraphs
    are counted as placement counts them (top-level <p>s, not those inside
    lists, tables or quotes)."""
    count = len(paragraph_ends(sanitize(article.body)))
    pull_quotes = (
        (
            _("pull quote"),
            Truncator(item.quote.text).chars(60),
            item.after_paragraph,
        )
        for item in article.pull_quotes.select_related("quote").filter(
            after_paragraph__gt=count
        )
    )
    return [
        _(
            "The %(kind)s “%(name)s” is placed after paragraph %(n)d, but the "
            "body has %(count)d: readers see it at the end."
        )
        % {"kind": kind, "name": name, "n": paragraph, "count": count}
        for kind, name, paragraph in chain(pull_quotes, hooks.body_placements(article))
        if paragraph > count
    ]


def require_publisher(by):
    if not by.has_perm("articles.publish_article"):
        raise PermissionDenied(
            _("Only editors can publish, schedule or unpublish articles.")
        )


def _transition(article, by, status, comment, step, note="", **fields):
    """Move to `status`, as a revision, and record the step with its note."""
    note = note.strip()
    if len(note) > NOTE_LENGTH:
        raise WorkflowError(
            _("Keep the note under %(count)d characters.") % {"count": NOTE_LENGTH}
        )
    with transaction.atomic(), reversion.create_revision():
        article.status = status
        for name, value in fields.items():
            setattr(article, name, value)
        article.updated_by = by
        article.save()
        reversion.set_user(by)
        reversion.set_comment(comment)
        recorded = WorkflowNote.objects.create(
            article=article, author=by, action=step, text=note
        )
        notify_on_commit(recorded)


def submit_for_review(article, by, note=""):
    if article.status not in (Status.DRAFT, Status.UNPUBLISHED):
        raise WorkflowError(_("Only a draft can be submitted for review."))
    if not article.can_edit(by):
        raise PermissionDenied(_("You can only submit your own articles."))
    _transition(
        article,
        by,
        Status.IN_REVIEW,
        _("Submitted for review"),
        WorkflowStep.SUBMITTED,
        note,
    )


def send_back(article, by, note=""):
    """An editor returns an article in review to its writer."""
    require_publisher(by)
    if article.status != Status.IN_REVIEW:
        raise WorkflowError(_("Only an article in review can be sent back."))
    _transition(
        article,
        by,
        Status.DRAFT,
        _("Sent back to draft"),
        WorkflowStep.SENT_BACK,
        note,
    )


def publish(article, by, at=None, note=""):
    """Publish at `at`, else at the article's own publish time, else now. The
    time is kept as the editor set it: a future one schedules the article (it
    appears by itself), a past one backdates it."""
    require_publisher(by)
    problems = publish_problems(article)
    if problems:
        raise WorkflowError(_("This article cannot be published yet."), problems)
    now = timezone.now()
    when = at or article.published_at or now
    step = WorkflowStep.SCHEDULED if when > now else WorkflowStep.PUBLISHED
    comment = _("Scheduled") if when > now else _("Published")
    _transition(article, by, Status.PUBLISHED, comment, step, note, published_at=when)
    if when <= now:
        # Chosen now rather than by the first reader; and the stories closest to
        # this one choose again, so they link to it.
        chosen = choose_related(article)
        Article.objects.filter(pk__in=chosen).update(related_ids=None)


def unpublish(article, by, note=""):
    require_publisher(by)
    if article.status != Status.PUBLISHED:
        raise WorkflowError(
            _("Only a published or scheduled article can be unpublished.")
        )
    # A scheduled story taken back before its time was never seen by readers.
    # Its publish time stays, as the editor set it; its first publication is
    # still to come.
    never_seen = (
        article.first_published_at and article.first_published_at > timezone.now()
    )
    _transition(
        article,
        by,
        Status.UNPUBLISHED,
        _("Unpublished"),
        WorkflowStep.UNPUBLISHED,
        note,
        **({"first_published_at": None} if never_seen else {}),
    )


def revoke_preview_links(article, by):
    """Every preview link made so far stops working; new ones work. Only the
    people who may make preview links (editors) may revoke them."""
    require_publisher(by)
    Article.objects.filter(pk=article.pk).update(
        preview_generation=models.F("preview_generation") + 1
    )
    article.refresh_from_db(fields=["preview_generation"])


def restore(article, version, by):
    """Bring back the words, placement, bylines and pull quotes of an earlier
    revision, as a new revision. Status and publish time stay as they are now.

    Revisions saved before they kept pull quotes leave the pull quotes as they
    are (revisions.keeps_pull_quotes). Pull quotes no revision holds yet are
    first kept in a revision of their own, so a restore can be undone."""
    if not article.can_edit(by):
        raise PermissionDenied(_("You cannot edit this article."))
    data = version.field_dict
    old_bylines = stored_rows(version, Byline)
    restores_pull_quotes = keeps_pull_quotes(version)
    old_pull_quotes = stored_rows(version, PullQuote)
    current = sorted(article.pull_quotes.values_list("quote_id", "after_paragraph"))
    latest = latest_version(article)
    kept = latest and sorted(
        (q["quote_id"], q["after_paragraph"]) for q in stored_rows(latest, PullQuote)
    )
    if restores_pull_quotes and current and current != kept:
        with transaction.atomic(), reversion.create_revision():
            reversion.add_to_revision(article)
            reversion.set_user(by)
            reversion.set_comment(_("Before the restore"))
    with transaction.atomic(), reversion.create_revision():
        for field in map(Article._meta.get_field, EDITORIAL_FIELDS):
            if not field.many_to_many:
                setattr(article, field.attname, data[field.attname])
        article.updated_by = by
        article.save()
        article.tags.set(data.get("tags", []))
        article.bylines.all().delete()
        Byline.objects.bulk_create(
            Byline(article=article, author_id=b["author_id"], position=b["position"])
            for b in old_bylines
            if Author.objects.filter(pk=b["author_id"]).exists()
        )
        if restores_pull_quotes:
            article.pull_quotes.all().delete()
            PullQuote.objects.bulk_create(
                PullQuote(
                    article=article,
                    quote_id=q["quote_id"],
                    after_paragraph=q["after_paragraph"],
                )
                for q in old_pull_quotes
                if Quote.objects.filter(pk=q["quote_id"]).exists()
            )
        # save() added the article with the rows it had then; bulk_create sends
        # no signal: added again, the revision holds the rows restored.
        reversion.add_to_revision(article)
        reversion.set_user(by)
        reversion.set_comment(
            _("Restored the revision of %(when)s")
            % {"when": format_local(version.revision.date_created)}
        )
