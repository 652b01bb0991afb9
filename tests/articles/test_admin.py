"""The article admin, which is the newsroom's CMS: forms, workflow, revisions."""

import re
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import reversion
from django import forms
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from PIL import ExifTags
from PIL import Image as PILImage
from pytest_django.asserts import assertContains
from reversion.models import Version

from articles import workflow
from articles.models import Article, Byline, Image, PullQuote, Status, Update
from articles.revisions import stored_rows
from articles.views import preview_link_for
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    DraftFactory,
    PullQuoteFactory,
    QuoteFactory,
    TagFactory,
    UpdateFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


# Helpers


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def changelist_url():
    return reverse("admin:articles_article_changelist")


def history_url(article):
    return reverse("admin:articles_article_history", args=[article.pk])


def compare_url(article):
    return reverse("admin:articles_article_compare", args=[article.pk])


def restore_url(article, version):
    return reverse("admin:articles_article_restore", args=[article.pk, version.pk])


def split_datetime(value):
    """The admin's date box and time box for a datetime (or what was posted)."""
    if isinstance(value, list):
        return ["" if part is None else part for part in value]
    if not value:
        return ["", ""]
    local = timezone.localtime(value)
    return [local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")]


def posted_fields(form):
    """(name, value) for each field of `form`, as a browser would post it."""
    for bound_field in form:
        name, value = bound_field.html_name, bound_field.value()
        widget = bound_field.field.widget
        if isinstance(widget, forms.SplitDateTimeWidget):
            date, time = split_datetime(value)
            yield f"{name}_0", date
            yield f"{name}_1", time
        elif isinstance(widget, forms.CheckboxInput):
            if value:  # An unticked box is not sent at all.
                yield name, "on"
        elif isinstance(value, list | tuple):  # Many-to-many: a list of ids.
            yield name, [str(item) for item in value]
        else:
            yield name, "" if value is None else value


def admin_form_data(response, **overrides):
    """POST data for the admin change (or add) form rendered in `response`: every
    field as the page showed it, the bylines inline with its management form, then
    `overrides` (field names as posted, e.g. `headline` or `bylines-0-author`)."""
    assert response.status_code == 200, response
    data = dict(posted_fields(response.context["adminform"].form))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(posted_fields(formset.management_form))
        for form in formset.forms:
            data.update(posted_fields(form))
    data.update(overrides)
    return data


def save_in_admin(client, article, **overrides):
    """Open the change form and post it back, like an editor pressing a button."""
    form_page = client.get(change_url(article))
    return client.post(change_url(article), admin_form_data(form_page, **overrides))


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are made in almost every test: a slow password hash would dominate."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def editor():
    return UserFactory(role="Editor", first_name="Maya", last_name="Okafor")


@pytest.fixture
def writer():
    return UserFactory(role="Writer", first_name="Tom", last_name="Reyes")


# Stale saves


def with_revision(article_factory, **kwargs):
    """An article as the admin would have left it: with a first revision."""
    with reversion.create_revision():
        return article_factory(**kwargs)


def test_saving_over_a_newer_save_is_refused_and_names_who_saved(client, editor):
    article = with_revision(
        ArticleFactory, headline="Council meets", dek="The old dek."
    )
    client.force_login(editor)
    stale_page = client.get(change_url(article))
    other = UserFactory(role="Editor", first_name="Beatrix", last_name="Lindqvist")
    response = save_in_admin(logged_in(other), article, headline="Council walks out")
    assert response.status_code == 302

    response = client.post(
        change_url(article), admin_form_data(stale_page, dek="A new dek.")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Beatrix Lindqvist saved this article" in page
    assert "They changed: Headline." in page
    assert "Your changes have NOT been saved" in page
    article.refresh_from_db()
    assert (article.headline, article.dek) == ("Council walks out", "The old dek.")


def test_sending_a_refused_stale_form_again_is_refused_again(client, editor):
    article = with_revision(ArticleFactory, dek="The old dek.")
    client.force_login(editor)
    stale_data = admin_form_data(client.get(change_url(article)), dek="A new dek.")
    save_in_admin(logged_in(UserFactory(role="Editor")), article, headline="Changed")

    first = client.post(change_url(article), stale_data)
    second = client.post(change_url(article), stale_data)

    assert (first.status_code, second.status_code) == (200, 200)
    assert "Your changes have NOT been saved" in second.content.decode()
    article.refresh_from_db()
    assert (article.headline, article.dek) == ("Changed", "The old dek.")


def test_a_save_nobody_else_interrupted_succeeds_and_moves_the_version_on(
    client, editor
):
    article = ArticleFactory(dek="The old dek.")
    version = Article.objects.get(pk=article.pk).version
    client.force_login(editor)

    response = save_in_admin(client, article, dek="A new dek.")

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.dek == "A new dek."
    assert article.version == version + 1
    assert article.updated_by == editor


# Writers: what the server refuses them, whatever they post


def test_writer_cannot_publish_their_own_draft_from_the_change_form(client, writer):
    draft = DraftFactory(created_by=writer)
    client.force_login(writer)

    response = save_in_admin(client, draft, _workflow="publish")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.published_at is None
    assert "Only editors can publish, schedule or unpublish articles." in messages_of(
        response
    )


def test_writer_has_no_bulk_publish_action_and_posting_it_changes_nothing(
    client, writer
):
    draft = DraftFactory(created_by=writer)
    client.force_login(writer)

    page = client.get(changelist_url())
    choices = [
        name for name, _label in page.context["action_form"].fields["action"].choices
    ]
    response = client.post(
        changelist_url(),
        {"action": "publish_selected", "_selected_action": [draft.pk]},
    )

    assert "submit_selected" in choices
    assert "publish_selected" not in choices
    assert "unpublish_selected" not in choices
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.published_at is None


def test_writer_cannot_open_or_change_another_writers_draft_and_is_told_why(
    client, writer
):
    others = DraftFactory(created_by=UserFactory(role="Writer"), headline="Theirs")
    # A complete, valid form for that article, as its own writer would send it.
    form_page = logged_in(others.created_by).get(change_url(others))
    client.force_login(writer)

    opened = client.get(change_url(others))
    posted = client.post(
        change_url(others), admin_form_data(form_page, headline="Mine now")
    )
    listed = client.get(changelist_url())

    # Honest words, never Django's "doesn't exist. Perhaps it was deleted?", and
    # nothing of the draft: not even its headline.
    assert opened.status_code == 403
    page = opened.content.decode()
    assert "only its authors and the editors can open it" in page
    assert "Perhaps it was deleted" not in page
    assert "Theirs" not in page
    assert posted.status_code == 403
    others.refresh_from_db()
    assert others.headline == "Theirs"
    assert others not in listed.context["cl"].result_list


def test_writer_submits_a_draft_and_can_then_no_longer_change_it(client, writer):
    draft = DraftFactory(created_by=writer, headline="Before review")
    client.force_login(writer)
    form_page = client.get(change_url(draft))

    response = client.post(
        change_url(draft), admin_form_data(form_page, _workflow="submit")
    )

    draft.refresh_from_db()
    assert response.status_code == 302
    assert draft.status == Status.IN_REVIEW
    assert "Submitted for review." in messages_of(response)

    # The form they had open is now refused on the server, and so is a fresh one.
    stale = client.post(
        change_url(draft), admin_form_data(form_page, headline="Sneaky edit")
    )
    read_only = client.get(change_url(draft))
    assert stale.status_code == 403
    assert read_only.status_code == 200
    assert read_only.context["has_change_permission"] is False
    draft.refresh_from_db()
    assert draft.headline == "Before review"
    assert draft.status == Status.IN_REVIEW


# Editors: the workflow buttons


def test_editor_publishes_a_complete_draft_and_readers_see_it(client, editor):
    draft = DraftFactory(headline="Bridge reopens")
    client.force_login(editor)

    response = save_in_admin(client, draft, _workflow="publish")

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.is_published() is True
    assert "Published." in messages_of(response)
    reader = Client().get(draft.get_absolute_url())
    assert reader.status_code == 200
    assert "Bridge reopens" in reader.content.decode()


def test_editor_schedules_with_a_future_publish_time_and_readers_wait(client, editor):
    draft = DraftFactory()
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(microsecond=0)
    client.force_login(editor)

    response = save_in_admin(
        client,
        draft,
        _workflow="publish",
        published_at_0=when.strftime("%Y-%m-%d"),
        published_at_1=when.strftime("%H:%M:%S"),
    )

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.published_at == when
    assert draft.is_scheduled() is True
    assert any(message.startswith("Scheduled") for message in messages_of(response))
    assert Client().get(draft.get_absolute_url()).status_code == 404


def test_editor_unpublishes_and_readers_get_a_404(client, editor):
    article = ArticleFactory()
    assert Client().get(article.get_absolute_url()).status_code == 200
    client.force_login(editor)

    response = save_in_admin(client, article, _workflow="unpublish")

    article.refresh_from_db()
    assert article.status == Status.UNPUBLISHED
    assert "Unpublished: readers no longer see it." in messages_of(response)
    assert Client().get(article.get_absolute_url()).status_code == 404


def test_editor_sends_an_article_in_review_back_to_draft(client, editor):
    article = DraftFactory(status=Status.IN_REVIEW)
    client.force_login(editor)

    response = save_in_admin(client, article, _workflow="send_back")

    article.refresh_from_db()
    assert article.status == Status.DRAFT
    assert "Sent back to draft." in messages_of(response)


def test_clearing_the_publish_time_of_a_live_article_is_a_form_error(client, editor):
    article = ArticleFactory()
    published_at = article.published_at
    client.force_login(editor)
    client.raise_request_exception = False

    response = save_in_admin(client, article, published_at_0="", published_at_1="")

    # A live article must keep its time (constraint article_published_has_time):
    # the form says so, instead of the database refusing the row with a 500.
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert article.published_at == published_at


# The publish gate


def test_publish_is_refused_and_lists_each_missing_item(client, editor):
    draft = DraftFactory(section=None, dek="")
    draft.bylines.all().delete()
    client.force_login(editor)

    response = save_in_admin(client, draft, _workflow="publish")

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert draft.published_at is None
    [message] = messages_of(response)
    assert message.startswith("This article cannot be published yet.")
    for problem in ("Add at least one byline.", "Choose a section.", "Write a dek."):
        assert problem in message


def test_an_image_without_alt_text_that_is_not_decorative_cannot_be_stored():
    with (
        pytest.raises(IntegrityError, match="image_alt_text_or_decorative"),
        transaction.atomic(),
    ):
        Image.objects.create(file="", alt_text="", decorative=False)
    assert Image.objects.create(file="", alt_text="", decorative=True).pk


def test_an_image_in_the_body_without_alt_text_blocks_publishing(client, editor):
    draft = DraftFactory()
    client.force_login(editor)

    response = save_in_admin(
        client,
        draft,
        body='<p>See the map.</p><figure class="image"><img src="/media/x.jpg">'
        "</figure>",
        _workflow="publish",
    )

    draft.refresh_from_db()
    assert '<img src="/media/x.jpg">' in draft.body
    assert draft.status == Status.DRAFT
    assert "Give every image in the body alt text." in " ".join(messages_of(response))


# Bulk actions


def test_bulk_publish_publishes_complete_drafts_and_names_the_incomplete_one(
    client, editor
):
    complete = DraftFactory.create_batch(3)
    incomplete = DraftFactory(headline="Half-written story", dek="")
    client.force_login(editor)

    response = client.post(
        changelist_url(),
        {
            "action": "publish_selected",
            "_selected_action": [a.pk for a in [*complete, incomplete]],
        },
    )

    assert response.status_code == 302
    statuses = dict(Article.objects.values_list("pk", "status"))
    assert [statuses[a.pk] for a in complete] == [Status.PUBLISHED] * 3
    assert statuses[incomplete.pk] == Status.DRAFT
    messages = messages_of(response)
    assert "3 articles published." in messages
    assert any(
        "“Half-written story”" in message and "Write a dek." in message
        for message in messages
    )


def test_a_live_article_cannot_be_deleted_one_by_one_or_in_bulk(client, editor):
    live = ArticleFactory()
    client.force_login(editor)

    one = client.post(
        reverse("admin:articles_article_delete", args=[live.pk]), {"post": "yes"}
    )
    bulk = client.post(
        changelist_url(),
        {"action": "delete_selected", "_selected_action": [live.pk], "post": "yes"},
    )

    assert one.status_code == 403
    assert bulk.status_code == 403
    assert Article.objects.filter(pk=live.pk).exists()


# Revisions: history, compare, restore


def test_each_admin_save_records_a_revision_with_its_user(client, editor):
    article = ArticleFactory()
    other = UserFactory(role="Editor")
    client.force_login(editor)

    save_in_admin(client, article, headline="First change")
    save_in_admin(logged_in(other), article, headline="Second change")

    versions = Version.objects.get_for_object(article).order_by("pk")
    assert [v.revision.user for v in versions] == [editor, other]
    assert [v.field_dict["headline"] for v in versions] == [
        "First change",
        "Second change",
    ]


def test_history_lists_the_revisions_with_who_saved_them(client, editor):
    article = ArticleFactory()
    other = UserFactory(role="Editor", first_name="Ines", last_name="Carvalho")
    client.force_login(editor)
    save_in_admin(client, article, headline="First change")
    save_in_admin(logged_in(other), article, headline="Second change")

    response = client.get(history_url(article))

    assert response.status_code == 200
    assert len(response.context["versions"]) == 2
    page = response.content.decode()
    assert "Maya Okafor" in page
    assert "Ines Carvalho" in page


def two_revisions(client, article, **changes):
    """Save the article unchanged, then with `changes`: the two revisions, oldest
    first."""
    save_in_admin(client, article)
    save_in_admin(client, article, **changes)
    return list(Version.objects.get_for_object(article).order_by("pk"))


def test_compare_marks_changed_words_and_lists_only_changed_fields(client, editor):
    article = ArticleFactory(headline="Council votes to close the library")
    client.force_login(editor)
    old, new = two_revisions(
        client, article, headline="Council votes to keep the library"
    )

    response = client.get(compare_url(article), {"from": old.pk, "to": new.pk})

    assert response.status_code == 200
    assert [label for label, _diff in response.context["changes"]] == ["Headline"]
    page = response.content.decode()
    assert "<del>close</del><ins>keep</ins>" in page
    assert '<th scope="row">Headline</th>' in page
    assert '<th scope="row">Dek</th>' not in page


def test_compare_shows_a_byline_change(client, editor):
    before = AuthorFactory(name="Ada Lovelace")
    after = AuthorFactory(name="Grace Hopper")
    article = ArticleFactory(authors=[before])
    client.force_login(editor)
    old, new = two_revisions(client, article, **{"bylines-0-author": after.pk})

    # Asked the other way round, the view still shows old -> new.
    response = client.get(compare_url(article), {"from": new.pk, "to": old.pk})

    assert [label for label, _diff in response.context["changes"]] == ["Bylines"]
    page = response.content.decode()
    assert "<del>Ada</del><ins>Grace</ins> <del>Lovelace</del><ins>Hopper</ins>" in page


@pytest.mark.parametrize(
    "junk", ["abc", "", "-1", "1.5", "99999999999999999999", "other article"]
)
def test_compare_with_a_bad_revision_goes_back_to_the_history(client, editor, junk):
    article = ArticleFactory()
    other_article = ArticleFactory()
    client.force_login(editor)
    [_old, new] = two_revisions(client, article, headline="Changed")
    [foreign, _] = two_revisions(client, other_article, headline="Also changed")
    if junk == "other article":
        junk = foreign.pk

    response = client.get(compare_url(article), {"from": junk, "to": new.pk})

    assert response.status_code == 302
    assert response["Location"] == history_url(article)
    assert "Choose two revisions of this article to compare." in messages_of(response)


def test_restore_brings_back_words_and_bylines_and_keeps_the_status(client, editor):
    first_author, second_author = AuthorFactory(), AuthorFactory()
    article = ArticleFactory(
        headline="The first headline",
        body="<p>The first body.</p>",
        authors=[first_author],
    )
    client.force_login(editor)
    first, _second = two_revisions(
        client,
        article,
        headline="The second headline",
        body="<p>The second body.</p>",
        **{"bylines-0-author": second_author.pk},
    )
    article.refresh_from_db()
    assert article.byline_authors == [second_author]

    response = client.post(restore_url(article, first))

    assert response.status_code == 302
    assert response["Location"] == change_url(article)
    article = Article.objects.get(pk=article.pk)
    assert article.headline == "The first headline"
    assert article.body == "<p>The first body.</p>"
    assert article.byline_authors == [first_author]
    assert article.status == Status.PUBLISHED
    assert article.is_published() is True
    versions = Version.objects.get_for_object(article)
    assert versions.count() == 3
    assert versions.order_by("-pk").first().field_dict["headline"] == (
        "The first headline"
    )


def pull_quotes_of(article):
    return [(pq.quote, pq.after_paragraph) for pq in article.pull_quotes.all()]


def test_restore_brings_back_the_pull_quotes_of_the_revision(client, editor):
    article = ArticleFactory(body="<p>One.</p><p>Two.</p><p>Three.</p>")
    kept = QuoteFactory(text="We will rebuild the bridge.")
    replacing = QuoteFactory(text="Not this year.")
    PullQuoteFactory(article=article, quote=kept, after_paragraph=1)
    client.force_login(editor)
    first, second = two_revisions(
        client,
        article,
        **{"pull_quotes-0-quote": replacing.pk, "pull_quotes-0-after_paragraph": 2},
    )
    assert pull_quotes_of(article) == [(replacing, 2)]

    compared = client.get(compare_url(article), {"from": first.pk, "to": second.pk})
    assert [label for label, _diff in compared.context["changes"]] == ["Pull quotes"]
    assert "<del>1:" in compared.content.decode()

    response = client.post(restore_url(article, first))

    assert response.status_code == 302
    assert pull_quotes_of(article) == [(kept, 1)]
    page = client.get(article.get_absolute_url()).content.decode()
    assert "We will rebuild the bridge." in page and "Not this year." not in page
    # The restore's own revision holds what it restored, so it can be restored too.
    restored = Version.objects.get_for_object(article).order_by("-pk").first()
    held = [
        (q["quote_id"], q["after_paragraph"]) for q in stored_rows(restored, PullQuote)
    ]
    assert held == [(kept.pk, 1)]
    assert [b["author_id"] for b in stored_rows(restored, Byline)] == [
        author.pk for author in article.byline_authors
    ]


def saved_then_placed_outside_a_revision(client, editor):
    """An article saved once in the admin, then given a pull quote no revision
    holds (placed before revisions kept them, or by a script): the article, its
    one revision and the pull quote."""
    article = ArticleFactory()
    client.force_login(editor)
    save_in_admin(client, article)
    [first] = Version.objects.get_for_object(article)
    return article, first, PullQuoteFactory(article=article)


def test_a_revision_from_before_pull_quotes_were_kept_leaves_them(client, editor):
    article, first, placed = saved_then_placed_outside_a_revision(client, editor)

    client.post(restore_url(article, first))

    assert pull_quotes_of(article) == [(placed.quote, placed.after_paragraph)]
    restored = Version.objects.get_for_object(article).order_by("-pk").first()
    compared = client.get(compare_url(article), {"from": first.pk, "to": restored.pk})
    assert "Pull quotes" not in [label for label, _ in compared.context["changes"]]


def test_pull_quotes_no_revision_holds_are_kept_in_one_before_a_restore(client, editor):
    # Revisions keep pull quotes from here on (another story's revision holds one).
    with reversion.create_revision():
        reversion.add_to_revision(PullQuoteFactory().article)
    article, first, placed = saved_then_placed_outside_a_revision(client, editor)

    client.post(restore_url(article, first))

    assert pull_quotes_of(article) == []
    versions = list(Version.objects.get_for_object(article).order_by("pk"))
    assert versions[1].revision.comment == "Before the restore"
    client.post(restore_url(article, versions[1]))
    assert pull_quotes_of(article) == [(placed.quote, placed.after_paragraph)]


def test_restoring_another_articles_revision_is_a_404(client, editor):
    article = ArticleFactory(headline="Mine")
    other = ArticleFactory()
    client.force_login(editor)
    foreign, _ = two_revisions(client, other, headline="Theirs")

    response = client.post(restore_url(article, foreign))

    assert response.status_code == 404
    article.refresh_from_db()
    assert article.headline == "Mine"


def test_restore_refuses_a_get(client, editor):
    article = ArticleFactory(headline="Untouched")
    client.force_login(editor)
    first, _second = two_revisions(client, article, headline="Changed")

    response = client.get(restore_url(article, first))

    assert response.status_code == 405
    article.refresh_from_db()
    assert article.headline == "Changed"


# Reading a story one may not edit


def test_writer_reads_a_colleagues_published_story_rendered_and_is_told_why(
    client, writer
):
    story = ArticleFactory(
        created_by=UserFactory(role="Writer"),
        body="<p>The <strong>river</strong> rose.</p><ul><li>Two feet</li></ul>",
    )
    CorrectionFactory(article=story, body="<p>It rose <em>two</em> feet.</p>")
    client.force_login(writer)

    response = client.get(change_url(story))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    page = response.content.decode()
    assert "You can’t edit this story." in page
    assert "It is not one of yours" in page
    assert "&lt;p&gt;" not in page and "&lt;strong&gt;" not in page
    assertContains(
        response,
        '<div class="rendered-text"><p>The <strong>river</strong> rose.</p>'
        "<ul><li>Two feet</li></ul></div>",
        html=True,
    )
    assertContains(
        response,
        '<div class="rendered-text"><p>It rose <em>two</em> feet.</p></div>',
        html=True,
    )
    assert story in client.get(changelist_url()).context["cl"].result_list


def test_writers_submitted_story_shows_its_body_rendered_and_why_it_is_locked(
    client, writer
):
    story = DraftFactory(created_by=writer, status=Status.IN_REVIEW)
    client.force_login(writer)

    response = client.get(change_url(story))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert "It is in review" in response.content.decode()
    assertContains(
        response,
        '<div class="rendered-text"><p>The council met on Tuesday.</p>'
        "<p>It voted 7-2.</p></div>",
        html=True,
    )
    assert 'name="body"' not in response.content.decode()


def test_a_script_in_a_stored_body_is_not_run_in_the_read_only_view(client, writer):
    story = ArticleFactory(created_by=UserFactory(role="Writer"))
    # Written around the model's sanitizer, as a raw SQL import could.
    Article.objects.filter(pk=story.pk).update(
        body='<p>Hi<script>alert(1)</script><img src=x onerror="alert(2)"></p>'
    )
    client.force_login(writer)

    page = client.get(change_url(story)).content.decode()

    assert "<script>alert(1)" not in page
    assert "onerror" not in page


def test_editors_still_edit_the_body_in_the_editor(client, editor):
    story = DraftFactory(created_by=UserFactory(role="Writer"))
    client.force_login(editor)

    response = client.get(change_url(story))

    assert response.context["has_change_permission"] is True
    assert 'name="body"' in response.content.decode()
    assert "You can’t edit this story." not in response.content.decode()


# Forms that show the whole text and warn before losing it


def test_headline_dek_and_search_texts_are_boxes_that_show_all_of_it(client, editor):
    client.force_login(editor)

    form = client.get(reverse("admin:articles_article_add")).context["adminform"].form

    for name, limit in [
        ("headline", 200),
        ("dek", 300),
        ("seo_title", 70),
        ("seo_description", 160),
    ]:
        widget = form.fields[name].widget
        assert isinstance(widget, forms.Textarea), name
        html = str(form[name])
        assert f'maxlength="{limit}"' in html and "data-counter" in html, name


def test_a_headline_typed_over_two_lines_is_saved_as_one(client, editor):
    story = DraftFactory(headline="Before")
    client.force_login(editor)

    save_in_admin(
        client,
        story,
        headline="Flood warning\r\n  issued for the river ",
        dek="Crest  expected\nThursday.",
    )

    story.refresh_from_db()
    assert story.headline == "Flood warning issued for the river"
    assert story.dek == "Crest expected Thursday."


def test_every_admin_page_loads_the_newsroom_stylesheet_and_form_script(client, editor):
    client.force_login(editor)

    for url in [
        changelist_url(),
        reverse("admin:articles_article_add"),
        reverse("admin:articles_quote_changelist"),
    ]:
        page = client.get(url).content.decode()
        assert "css/admin.css" in page, url
        assert "js/admin-forms.js" in page, url


def test_changelist_shows_dates_as_a_date_and_a_time_that_wrap_between(client, editor):
    story = ArticleFactory()
    client.force_login(editor)

    response = client.get(changelist_url())

    local = timezone.localtime(story.published_at)
    assertContains(
        response,
        f'<time class="compact-time" datetime="{local.isoformat()}">'
        f"<span>{date_format(local, 'DATE_FORMAT')}</span> "
        f"<span>{date_format(local, 'TIME_FORMAT')}</span></time>",
        html=True,
    )
    columns = list(response.context["cl"].list_display)
    assert columns[1:] == [
        "headline",
        "status_badge",
        "section",
        "byline_names",
        "publish_time",
        "last_edited",
    ]


# Live updates, posted from the story


def test_the_story_form_offers_posting_an_update_in_its_updates_list(client, editor):
    story = ArticleFactory(developing=True)
    quiet = ArticleFactory()
    client.force_login(editor)

    page = client.get(change_url(story)).content.decode()
    not_developing = client.get(change_url(quiet)).content.decode()

    add = reverse("admin:articles_update_add")
    assert f'<a class="button" href="{add}?article={story.pk}">' in page
    assert "No updates yet." in page
    assert f"{add}?article={quiet.pk}" not in not_developing
    assert "Updates are posted to developing stories" in not_developing


def test_a_long_running_story_lists_its_latest_updates_and_links_to_all(client, editor):
    story = ArticleFactory(developing=True)
    UpdateFactory.create_batch(25, article=story)
    draft = UpdateFactory(article=story, published_at=None, headline="Not yet out")
    client.force_login(editor)

    response = client.get(change_url(story))

    updates = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Update
    )
    listed = [form.instance for form in updates.forms]
    assert len(listed) == 20
    assert listed[0] == draft  # drafts first: they wait for an editor
    all_updates = reverse("admin:articles_update_changelist")
    assertContains(response, "The latest 20 of 26 updates.")
    assertContains(response, f'href="{all_updates}?article__id__exact={story.pk}"')
    # Saving the story with the shortened list keeps every update.
    save_in_admin(client, story, dek="Still rising.")
    assert story.updates.count() == 26


def test_the_update_form_has_the_story_chosen_and_its_byline_as_author(client, editor):
    reporter = AuthorFactory(name="Sam Okafor")
    story = ArticleFactory(developing=True, authors=[reporter, AuthorFactory()])
    client.force_login(editor)  # an editor with no author profile

    form = (
        client.get(reverse("admin:articles_update_add"), {"article": story.pk})
        .context["adminform"]
        .form
    )

    assert form.initial["article"] == str(story.pk)
    assert form.initial["author"] == reporter.pk


def test_the_update_form_prefers_the_author_profile_of_who_posts(client, writer):
    mine = AuthorFactory(user=writer)
    story = ArticleFactory(developing=True)
    client.force_login(writer)

    form = (
        client.get(reverse("admin:articles_update_add"), {"article": story.pk})
        .context["adminform"]
        .form
    )

    assert form.initial["author"] == mine.pk


def test_saving_an_update_goes_back_to_its_story(client, editor):
    story = ArticleFactory(developing=True)
    client.force_login(editor)
    add = reverse("admin:articles_update_add") + f"?article={story.pk}"

    posted = client.post(
        add, {"article": story.pk, "body": "<p>Bridge closed.</p>", "publish_now": "on"}
    )
    update = story.updates.get()
    edited = client.post(
        reverse("admin:articles_update_change", args=[update.pk]),
        {"article": story.pk, "body": "<p>Bridge closed again.</p>"},
    )
    another = client.post(
        add, {"article": story.pk, "body": "<p>Next.</p>", "_addanother": "1"}
    )

    back = change_url(story) + "#updates-group"
    assert posted.status_code == 302 and posted["Location"] == back
    assert "Update posted: Published." in messages_of(posted)
    assert edited.status_code == 302 and edited["Location"] == back
    assert another["Location"] == add
    assert story.updates.count() == 2


def test_a_writers_update_to_a_colleagues_live_story_goes_back_to_it_read_only(
    client, writer
):
    story = ArticleFactory(developing=True, created_by=UserFactory(role="Writer"))
    client.force_login(writer)

    posted = client.post(
        reverse("admin:articles_update_add") + f"?article={story.pk}",
        {"article": story.pk, "body": "<p>Seen from the bridge.</p>"},
    )
    back = client.get(posted["Location"])

    assert posted["Location"] == change_url(story) + "#updates-group"
    assert back.status_code == 200
    assert back.context["has_change_permission"] is False
    assert story.updates.get().published_at is None  # a draft for an editor


def autocomplete(client, model_name, term=""):
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "articles",
            "model_name": model_name,
            "field_name": "article",
            "term": term,
        },
    )
    assert response.status_code == 200
    return {int(row["id"]) for row in response.json()["results"]}


def test_article_choosers_are_autocompletes_that_search_the_archive(client, editor):
    from django.contrib.admin.widgets import AutocompleteSelect

    live = ArticleFactory(headline="River flood live", developing=True)
    archived = ArticleFactory(headline="River flood of 1993")
    ArticleFactory(headline="School board")
    client.force_login(editor)

    update_form = client.get(reverse("admin:articles_update_add"))
    correction_form = client.get(reverse("admin:articles_correction_add"))

    for response in (update_form, correction_form):
        widget = response.context["adminform"].form.fields["article"].widget
        assert isinstance(widget.widget, AutocompleteSelect)
        # No list of every story in the page: the chooser asks as one types.
        assert "School board" not in response.content.decode()
    # Updates go to developing stories only; corrections to any story.
    assert autocomplete(client, "update", "river") == {live.pk}
    assert autocomplete(client, "correction", "river") == {live.pk, archived.pk}


def test_a_writers_chooser_never_offers_a_colleagues_draft(client, writer):
    theirs = DraftFactory(
        headline="Embargoed river", developing=True, created_by=UserFactory()
    )
    mine = DraftFactory(headline="My river", developing=True, created_by=writer)
    public = ArticleFactory(headline="Public river", developing=True)
    client.force_login(writer)

    offered = autocomplete(client, "update", "river")
    posted = client.post(
        reverse("admin:articles_update_add"),
        {"article": theirs.pk, "body": "<p>Sneaked in.</p>"},
    )

    assert offered == {mine.pk, public.pk}
    assert theirs.pk not in offered
    assert posted.status_code == 200  # the form again, with an error
    assert "article" in posted.context["adminform"].form.errors
    assert not theirs.updates.exists()


def test_corrections_log_lists_corrections_with_their_stories(client, editor, writer):
    public = CorrectionFactory(article=ArticleFactory(headline="Budget passes"))
    private = CorrectionFactory(
        article=DraftFactory(headline="Secret draft", created_by=UserFactory())
    )
    client.force_login(editor)
    for_editor = client.get(reverse("admin:articles_correction_changelist"))
    client.force_login(writer)
    for_writer = client.get(reverse("admin:articles_correction_changelist"))
    opened = client.get(reverse("admin:articles_correction_change", args=[public.pk]))

    assert set(for_editor.context["cl"].result_list) == {public, private}
    assert list(for_writer.context["cl"].result_list) == [public]
    assert opened.context["has_change_permission"] is False
    assertContains(
        opened,
        '<div class="rendered-text"><p>An earlier version of this story misspelled '
        "a name.</p></div>",
        html=True,
    )


# Query counts


# Session, user, the user's two permission queries, the section filter, two counts
# (filtered and total), the page of articles, their bylines with authors (one
# prefetch), and the date hierarchy's two queries.
CHANGELIST_QUERIES = 11


@pytest.mark.parametrize("count", [10, 30])
def test_changelist_query_count_does_not_grow_with_articles(
    client, editor, django_assert_num_queries, count
):
    tags = TagFactory.create_batch(4)
    authors = AuthorFactory.create_batch(3)
    for article in ArticleFactory.create_batch(count, authors=authors):
        article.tags.set(tags)
    client.force_login(editor)
    client.get(changelist_url())  # Fills the process-wide content type cache.

    with django_assert_num_queries(CHANGELIST_QUERIES):
        response = client.get(changelist_url())

    assert response.status_code == 200
    assert response.context["cl"].result_count == count
    assert Byline.objects.count() == 3 * count
    page = response.content.decode()
    assert page.count('class="status-badge status-badge--published"') == count
    assert page.count(", ".join(author.name for author in authors)) == count


# The editor's image upload (CKEditor 5)


def jpeg_with_gps():
    exif = PILImage.Exif()
    exif[ExifTags.Base.Make] = "Phone maker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    buffer = BytesIO()
    PILImage.new("RGB", (60, 40), "teal").save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    assert PILImage.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def upload_url():
    return reverse("articles:editor-image-upload")


def stored_files(settings):
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_anonymous_upload_goes_to_the_login_page_and_stores_nothing(client, settings):
    response = client.post(
        upload_url(), {"upload": SimpleUploadedFile("photo.jpg", jpeg_with_gps())}
    )

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == reverse("admin:login")
    assert stored_files(settings) == []


def test_staff_without_image_permission_cannot_upload(client, settings):
    client.force_login(UserFactory(role="Fundraising"))

    response = client.post(
        upload_url(), {"upload": SimpleUploadedFile("photo.jpg", jpeg_with_gps())}
    )

    assert response.status_code == 403
    assert response.json() == {"error": {"message": "You may not upload images."}}
    assert stored_files(settings) == []


def test_a_text_file_named_like_a_photo_is_refused(client, editor, settings):
    client.force_login(editor)

    response = client.post(
        upload_url(),
        {"upload": SimpleUploadedFile("photo.jpg", b"Just some notes, not a photo.")},
    )

    assert response.status_code == 400
    assert "This file is not an image." in response.json()["error"]["message"]
    assert stored_files(settings) == []


def test_an_uploaded_photo_is_stored_without_its_exif(client, editor, settings):
    client.force_login(editor)

    response = client.post(
        upload_url(), {"upload": SimpleUploadedFile("photo.jpg", jpeg_with_gps())}
    )

    assert response.status_code == 200
    url = response.json()["urls"]["default"]
    assert url.startswith(settings.MEDIA_URL)
    served = url.removeprefix(settings.MEDIA_URL)
    assert default_storage.exists(served)
    files = stored_files(settings)
    assert any(path.parent.name == "editor" for path in files)
    for path in files:
        image = PILImage.open(path)
        assert dict(image.getexif()) == {}, path
        assert "exif" not in image.info, path
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}, path


def test_an_uploaded_photo_answers_its_stored_file_and_reaches_readers_responsive(
    client, editor, settings
):
    client.force_login(editor)
    buffer = BytesIO()
    PILImage.new("RGB", (1700, 1000), "teal").save(buffer, "JPEG")

    response = client.post(
        upload_url(), {"upload": SimpleUploadedFile("wide.jpg", buffer.getvalue())}
    )

    # The renditions are the worker's (tests/articles/test_renditions.py runs it;
    # here tasks run at once): the answer is the stored file.
    urls = response.json()["urls"]
    assert sorted(urls) == ["default"]
    stored = PILImage.open(
        default_storage.open(urls["default"].removeprefix(settings.MEDIA_URL))
    )
    assert stored.size == (1700, 1000)
    # What CKEditor writes from it survives sanitizing and reaches readers, with
    # the srcset of its renditions.
    article = ArticleFactory(
        body=f'<p>Text.</p><figure class="image"><img src="{urls["default"]}" '
        'width="1700" height="1000" alt="Teal"></figure>'
    )
    page = client.get(article.get_absolute_url()).content.decode()
    [tag] = re.findall(r'<img [^>]*alt="Teal"[^>]*>', page)
    assert f'src="{urls["default"]}"' in tag
    for width in ("480", "800", "1200", "1600"):
        assert re.search(rf"/renditions/[0-9a-f]{{32}}/{width}\.jpg {width}w", tag)


def test_upload_refuses_a_get(client, editor):
    client.force_login(editor)

    assert client.get(upload_url()).status_code == 405


# Preview links and staff previews


NEVER_CACHE = ("max-age=0", "no-cache", "no-store", "must-revalidate", "private")


def assert_never_cached(response):
    cache_control = response["Cache-Control"]
    for directive in NEVER_CACHE:
        assert directive in cache_control, cache_control


def preview_link(client, article):
    response = save_in_admin(client, article, _preview_link="1")
    assert response.status_code == 302
    [message] = messages_of(response)
    match = re.search(r'href="([^"]+)"', message)
    assert match, message
    return match.group(1)


def test_preview_link_shows_the_draft_to_anyone_who_has_it(client, editor):
    draft = DraftFactory(headline="Secret budget plans")
    client.force_login(editor)

    link = preview_link(client, draft)
    response = Client().get(urlsplit(link).path)

    assert "/preview/" in link
    assert response.status_code == 200
    page = response.content.decode()
    assert "Secret budget plans" in page
    assert '<div class="preview-banner" role="status">' in page
    assert_never_cached(response)
    assert response["X-Robots-Tag"] == "noindex"


def test_writer_gets_no_preview_link(client, writer):
    draft = DraftFactory(created_by=writer)
    client.force_login(writer)

    response = save_in_admin(client, draft, _preview_link="1")

    assert response.status_code == 302
    assert not any("/preview/" in message for message in messages_of(response))


def test_a_tampered_preview_link_is_a_404_that_says_so(client, editor):
    client.force_login(editor)
    path = urlsplit(preview_link(client, DraftFactory())).path
    token = path.rstrip("/").rsplit("/", 1)[-1]
    tampered = path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))

    assert Client().get(path).status_code == 200
    response = Client().get(tampered)
    assert response.status_code == 404
    page = response.content.decode()
    assert "This preview link is not valid" in page
    assert "ask the newsroom for a new link" in page
    assert_never_cached(response)


def test_an_expired_preview_link_is_gone_and_says_so(client, editor, settings):
    client.force_login(editor)
    path = urlsplit(preview_link(client, DraftFactory(headline="Secret plans"))).path
    assert Client().get(path).status_code == 200
    settings.PREVIEW_LINK_MAX_AGE = -1

    response = Client().get(path)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This preview link has expired" in page
    assert "Ask the newsroom for a new one." in page
    assert "Secret plans" not in page
    assert "We couldn&#x27;t find that page" not in page
    assert_never_cached(response)
    assert response["X-Robots-Tag"] == "noindex"


def test_an_editor_revokes_preview_links_and_a_new_one_works(client, editor):
    draft = DraftFactory(headline="Secret plans")
    client.force_login(editor)
    old = urlsplit(preview_link(client, draft)).path
    assert Client().get(old).status_code == 200
    page = client.get(reverse("admin:articles_article_change", args=[draft.pk]))
    assert 'name="_revoke_preview_links"' in page.content.decode()

    response = save_in_admin(client, draft, _revoke_preview_links="1")
    assert response.status_code == 302
    assert any("no longer work" in message for message in messages_of(response))

    response = Client().get(old)
    assert response.status_code == 410
    page = response.content.decode()
    assert "This preview link has been withdrawn" in page
    assert "Ask the newsroom for a new one." in page
    assert "Secret plans" not in page

    new = urlsplit(preview_link(client, draft)).path
    assert new != old
    assert "Secret plans" in Client().get(new).content.decode()
    assert Client().get(old).status_code == 410


def test_a_restore_does_not_bring_revoked_preview_links_back(client, editor):
    draft = DraftFactory()
    client.force_login(editor)
    save_in_admin(client, draft, headline="First")
    old = urlsplit(preview_link(client, draft)).path
    workflow.revoke_preview_links(draft, by=editor)
    version = Version.objects.get_for_object(draft).last()
    draft.refresh_from_db()
    workflow.restore(draft, version, by=editor)
    assert Client().get(old).status_code == 410


def test_a_writer_cannot_revoke_preview_links(client, writer, editor):
    draft = DraftFactory(created_by=writer)
    link = preview_link_for(draft)
    client.force_login(writer)
    page = client.get(reverse("admin:articles_article_change", args=[draft.pk]))
    assert 'name="_revoke_preview_links"' not in page.content.decode()

    save_in_admin(client, draft, _revoke_preview_links="1")
    assert Client().get(link).status_code == 200
    with pytest.raises(PermissionDenied):
        workflow.revoke_preview_links(draft, by=writer)


def test_a_preview_link_to_a_deleted_story_says_so(client, editor):
    draft = DraftFactory()
    link = preview_link_for(draft)
    draft.delete()
    response = Client().get(link)
    assert response.status_code == 410
    assert "This story is no longer available" in response.content.decode()


def test_editor_previews_a_draft_at_its_own_address(client, editor):
    draft = DraftFactory(headline="Not out yet")
    client.force_login(editor)

    response = client.get(draft.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Not out yet" in page
    assert '<div class="preview-banner" role="status">' in page
    assert_never_cached(response)
    assert response["X-Robots-Tag"] == "noindex"


def test_readers_get_a_404_at_a_drafts_address(client):
    draft = DraftFactory()

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_readers_see_a_published_article_without_a_preview_banner(client):
    article = ArticleFactory()

    response = client.get(article.get_absolute_url())

    assert response.status_code == 200
    assert "preview-banner" not in response.content.decode()
    assert "X-Robots-Tag" not in response


# What the editor is told at save: markup the sanitizer removed, placements past
# the end of the body


def test_saving_tells_the_editor_what_the_sanitizer_removed(client, editor):
    article = ArticleFactory(body="<p>Before.</p>")
    client.force_login(editor)
    response = save_in_admin(
        client,
        article,
        body=(
            "<p>Watch:</p><iframe src='https://video.example/1'></iframe>"
            "<script>steal()</script>"
            '<p onclick="x()">Read <a href="javascript:alert(1)">this</a>.</p>'
        ),
    )
    assert response.status_code == 302
    (warning,) = [m for m in messages_of(response) if m.startswith("Removed")]
    assert warning.startswith("Removed from the body: a script; an embedded frame")
    assert "embeds are not supported, link to the video or post instead" in warning
    assert "an event handler attribute (onclick)" in warning
    assert "an unsafe link or image address" in warning
    assert Article.objects.get(pk=article.pk).body == (
        "<p>Watch:</p><p>Read <a>this</a>.</p>"
    )


def test_a_clean_save_says_nothing_about_removed_markup(client, editor):
    article = ArticleFactory(
        body='<h2 id="user-content-a">A</h2><p>The vote was <del>7-2</del> '
        "<ins>6-3</ins>.</p>"
        '<figure class="image"><img src="/media/x.jpg" alt="x" '
        'style="aspect-ratio:4/3;" width="800" height="600"></figure>'
    )
    client.force_login(editor)
    response = save_in_admin(client, article, headline="A new headline")
    assert response.status_code == 302
    assert not [m for m in messages_of(response) if m.startswith("Removed")]


def test_a_correction_inline_reports_what_was_removed_from_it(client, editor):
    article = ArticleFactory()
    client.force_login(editor)
    form_page = client.get(change_url(article))
    data = admin_form_data(form_page)
    day, time = split_datetime(timezone.now())
    data.update(
        {
            "corrections-TOTAL_FORMS": "1",
            "corrections-0-kind": "correction",
            "corrections-0-body": "<p>Fixed.</p><style>p{}</style>",
            "corrections-0-published_at_0": day,
            "corrections-0-published_at_1": time,
        }
    )
    response = client.post(change_url(article), data)
    assert response.status_code == 302, response.context["errors"]
    warnings = [m for m in messages_of(response) if m.startswith("Removed")]
    assert warnings == [
        "Removed from the correction text: a stylesheet (<style>): the site's own "
        "styles apply."
    ]


def test_a_pull_quote_past_the_last_paragraph_is_named_at_save(client, editor):
    article = ArticleFactory(body="<p>One.</p><p>Two.</p>")
    PullQuoteFactory(
        article=article,
        quote=QuoteFactory(text="Roads first."),
        after_paragraph=5,
    )
    PullQuoteFactory(article=article, after_paragraph=2)
    client.force_login(editor)
    response = save_in_admin(client, article)
    assert response.status_code == 302
    assert (
        "The pull quote “Roads first.” is placed after paragraph 5, but the body "
        "has 2: readers see it at the end."
    ) in messages_of(response)
    assert len([m for m in messages_of(response) if "placed after" in m]) == 1


def test_an_inline_appeal_past_the_last_paragraph_is_named_at_save(client, editor):
    from tests.factories import AppealFactory

    article = ArticleFactory(body="<p>One.</p><ul><li><p>Not counted</p></li></ul>")
    AppealFactory(name="Spring match", paragraph=3)
    AppealFactory(name="Fits", paragraph=1)
    AppealFactory(name="Ended", paragraph=9, ends_at=timezone.now())
    client.force_login(editor)
    response = save_in_admin(client, article)
    placed = [m for m in messages_of(response) if "placed after" in m]
    assert placed == [
        "The inline appeal “Spring match” is placed after paragraph 3, but the body "
        "has 1: readers see it at the end."
    ]


def test_the_preview_warns_staff_of_a_pull_quote_past_the_end(client, editor):
    article = DraftFactory(body="<p>Only one.</p>")
    PullQuoteFactory(
        article=article, quote=QuoteFactory(text="Later."), after_paragraph=4
    )
    client.force_login(editor)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert (
        "The pull quote “Later.” is placed after paragraph 4, but the body has 1: "
        "readers see it at the end."
    ) in response.content.decode()
