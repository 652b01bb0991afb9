"""Whatever a reader page shows, changed by any path, shows on the next page.

Generated from articles.caching: every concrete field of every model the stored
parts show (the story's row and the rows PARTS_SHOW reaches from it) is changed by
the ORM's save(), by queryset.update() and by raw SQL. Then the story's page and the
lists showing its teaser, rendered as a reader gets them (stored parts, the worker's
memo once its seconds are up, the updates kept by content), must be the pages
rendered with all of those forgotten: what a cold render shows.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.test import Client, override_settings
from django.utils import timezone

from articles import caching, parts
from articles.models import Article, Image, PullQuote, Quote, Speaker
from newsroom import memo
from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    SectionFactory,
    TagFactory,
    UpdateFactory,
    UserFactory,
    jpeg,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("memo_clock")]

# The caches themselves: changing one by hand is not a change to what is shown.
CACHES = {*caching.ARTICLE_CACHES, "parts_generation"}
WAYS = ("save", "update", "sql")
# Fields a reader obviously sees: their change must show, or the test tests nothing.
VISIBLE = {
    "Article.headline",
    "Article.dek",
    "Article.body",
    "Section.name",
    "Author.name",
    "Tag.name",
    "Image.credit",
    "Image.alt_text",
    "Quote.text",
    "Speaker.name",
    "Update.body",
    "Correction.body",
}


def shown_fields():
    for model in caching.shown_models():
        for field in model._meta.concrete_fields:
            if field.primary_key or (model is Article and field.name in CACHES):
                continue
            yield model, field


FIELDS = list(shown_fields())


def field_id(model, field):
    return f"{model.__name__}.{field.name}"


def renditions(name, width):
    return [
        {
            "width": width,
            "webp": f"images/r/{name}-{width}.webp",
            "fallback": f"images/r/{name}-{width}.jpg",
        }
    ]


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """A developing story showing one of everything, and a second one of each
    (another story, section, author...) for its links to point at instead, kept
    for the module (each test's change is rolled back) with their parts stored.
    The story's rows are made first: shown(model) is the first of each. Yields the
    pages as they were, rendered cold."""
    with (
        django_db_blocker.unblock(),
        override_settings(PAGE_CACHE_SECONDS=0, WORKER_MEMO_SECONDS=0),
    ):
        make_world()
        pages(Client())  # parts kept, the updates remembered
        assert parts.fresh(shown(Article).story_parts)
        yield cold_pages(Client())
        for model in [Article, Quote, *reversed(caching.shown_models())]:
            model.objects.all().delete()
        get_user_model().objects.all().delete()


def make_world():
    UserFactory(), UserFactory()
    Image.objects.bulk_create(
        Image(
            file=f"images/{name}.jpg",
            width=1600,
            height=900,
            alt_text=f"The {name} picture",
            caption=f"The {name} caption",
            credit=f"{name} / The Newsroom",
            renditions=renditions(name, 640),
        )
        for name in ("first", "second")
    )
    sections = [SectionFactory(), SectionFactory()]
    authors = [AuthorFactory(), AuthorFactory()]
    tags = [TagFactory(), TagFactory()]
    user = shown(get_user_model())
    story, other = (
        ArticleFactory(
            authors=[author],
            section=section,
            featured_image=image,
            developing=True,
            created_by=user,
            updated_by=user,
        )
        for author, section, image in zip(
            authors, sections, Image.objects.order_by("pk"), strict=True
        )
    )
    speakers = [
        Speaker.objects.create(name=f"Speaker {n}", slug=f"speaker-{n}", title="Mayor")
        for n in (1, 2)
    ]
    for n, (article, tag, author, speaker) in enumerate(
        zip([story, other], tags, authors, speakers, strict=True), start=1
    ):
        article.tags.set([tag])
        quote = Quote.objects.create(
            text=f"Quote {n} said.", speaker=speaker, said_on=date(2026, 3, n)
        )
        PullQuote.objects.create(article=article, quote=quote, after_paragraph=1)
        UpdateFactory(article=article, author=author, created_by=user)
        CorrectionFactory(article=article, created_by=user)


def shown(model):
    return model.objects.order_by("pk").first()


def pages(client):
    """{address: (status, HTML)} of the story's page and the front page, which shows
    its teaser (the section, tag and author pages put the same parts together)."""
    urls = [shown(Article).get_absolute_url(), "/"]
    found = {}
    for url in urls:
        response = client.get(url)
        found[url] = (response.status_code, response.content.decode())
    return found


def cold_pages(client):
    """The pages rendered from the rows: every cache below the page cache emptied."""
    with transaction.atomic():
        Article.objects.update(card_parts=None, story_parts=None)
        memo.memo.forget()
        parts.shown_updates.forget()
        found = pages(client)
        transaction.set_rollback(True)
    return found


def changed(field, old):
    """Another valid value for the field than `old`."""
    if field.is_relation:
        return field.related_model.objects.exclude(pk=old).order_by("pk").first().pk
    if field.choices:
        return next(value for value, _label in field.flatchoices if value != old)
    if isinstance(field, models.BooleanField):
        return not old
    if isinstance(field, models.IntegerField):
        return (old or 0) + 1
    if isinstance(field, models.DateTimeField):
        return (old or timezone.now()) - timedelta(hours=26)
    if isinstance(field, models.DateField):
        return (old or date(2026, 5, 1)) - timedelta(days=1)
    if isinstance(field, models.FileField):
        return field.storage.save("images/changed.jpg", jpeg(800, 450))
    if isinstance(field, models.JSONField):
        return renditions("changed", 320)
    if isinstance(field, models.URLField):
        return f"https://example.org/changed/{field.name}"
    if isinstance(field, models.SlugField):
        return f"changed-{field.name.replace('_', '-')}"
    if field.get_internal_type() in {"CharField", "TextField"}:
        text = f"Changed {field.model.__name__} {field.name}"[: field.max_length]
        return f"<p>{text}</p>" if str(old).startswith("<") else text
    raise TypeError(f"No changed value for {field!r}: teach changed() its type.")


def change(model, field, way):
    instance = shown(model)
    value = changed(field, getattr(instance, field.attname))
    if way == "save":
        setattr(instance, field.attname, value)
        instance.save()
    elif way == "update":
        model.objects.filter(pk=instance.pk).update(**{field.attname: value})
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {model._meta.db_table} SET {field.column} = %s WHERE id = %s",
                [field.get_db_prep_save(value, connection), instance.pk],
            )


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(
    ("model", "field"), FIELDS, ids=[field_id(*item) for item in FIELDS]
)
def test_a_change_shows_on_the_next_page(
    world, client, memo_clock, settings, model, field, way
):
    change(model, field, way)
    memo_clock[0] += settings.WORKER_MEMO_SECONDS
    seen = pages(client)
    assert seen == cold_pages(client), f"{field_id(model, field)} by {way}: stale"
    if field_id(model, field) in VISIBLE:
        assert seen != world, f"{field_id(model, field)} changed no page: no test"


@pytest.mark.parametrize(
    ("table", "field"),
    [("articles_article", "headline"), ("articles_section", "name")],
)
def test_the_test_fails_without_a_trigger(world, client, table, field):
    """With the trigger that forgets parts turned off, the same change is stale."""
    model = next(m for m in caching.shown_models() if m._meta.db_table == table)
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    change(model, model._meta.get_field(field), "sql")
    assert pages(client) != cold_pages(client)
