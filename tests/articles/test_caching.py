"""The triggers forgetting stored parts are the ones articles.caching declares: a
change to the declaration without its migration fails here, saying what to do."""

import pytest
from django.apps import apps
from django.core.management import call_command

from articles import caching
from articles.models import Article, Tag
from tests.factories import ArticleFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_the_installed_triggers_are_the_declared_ones():
    generated, installed = caching.triggers(), caching.installed()
    missing = sorted(generated.keys() - installed.keys())
    extra = sorted(installed.keys() - generated.keys())
    different = sorted(
        name
        for name in generated.keys() & installed.keys()
        if generated[name] != installed[name]
    )
    assert not (missing or extra or different), (
        "The triggers forgetting stored parts are not the ones articles.caching "
        f"declares (missing {missing}, not declared {extra}, different {different}). "
        "Run `python manage.py forget_parts_migration` to write the migration that "
        "installs them, then `migrate`."
    )


def test_every_table_a_story_shows_is_watched():
    assert set(caching.dependencies()) >= {
        "articles_section",
        "articles_image",
        "articles_byline",
        "articles_author",
        "articles_article_tags",
        "articles_tag",
        "articles_pullquote",
        "articles_quote",
        "articles_speaker",
        "articles_update",
        "articles_correction",
    }


def test_a_tag_renamed_forgets_the_parts_of_its_stories_only():
    tag = TagFactory()
    tagged, other = ArticleFactory(), ArticleFactory()
    tagged.tags.set([tag])
    Article.objects.update(card_parts={"v": "x"}, story_parts={"v": "x"})
    Tag.objects.filter(pk=tag.pk).update(name="Renamed")
    kept = dict(Article.objects.values_list("pk", "card_parts"))
    assert kept == {tagged.pk: None, other.pk: {"v": "x"}}


def test_the_command_writes_nothing_when_the_triggers_are_in_step(capsys):
    call_command("forget_parts_migration")
    assert "already" in capsys.readouterr().out


def test_every_model_of_the_app_is_shown_or_said_not_to_be():
    shown = {model.__name__ for model in caching.shown_models()}
    models = {model.__name__ for model in apps.get_app_config("articles").get_models()}
    assert models - shown == set(caching.NOT_SHOWN), (
        "A model of the articles app is neither shown by the stored parts "
        "(articles.caching.PARTS_SHOW) nor listed in caching.NOT_SHOWN: say which."
    )
