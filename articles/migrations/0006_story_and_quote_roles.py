"""Permissions for live updates, corrections and quotes, for the newsroom's roles."""

from django.db import migrations

from articles.migrations import _roles

GRANTS = {
    # Writers post updates to developing stories (drafts until an editor publishes
    # them) and add quotes and speakers they reported; editors do everything.
    "Writer": {
        "articles.update": ["view", "add", "change"],
        "articles.correction": ["view"],
        "articles.quote": ["view", "add"],
        "articles.speaker": ["view", "add"],
        "articles.pullquote": ["view", "add", "change", "delete"],
    },
    "Editor": {
        "articles.update": ["view", "add", "change", "delete"],
        "articles.correction": ["view", "add", "change", "delete"],
        "articles.quote": ["view", "add", "change", "delete"],
        "articles.speaker": ["view", "add", "change", "delete"],
        "articles.pullquote": ["view", "add", "change", "delete"],
        "articles.oldslug": ["view", "delete"],
    },
    "Site admin": {
        "articles.update": ["view", "add", "change", "delete"],
        "articles.correction": ["view", "add", "change", "delete"],
        "articles.quote": ["view", "add", "change", "delete"],
        "articles.speaker": ["view", "add", "change", "delete"],
        "articles.pullquote": ["view", "add", "change", "delete"],
        "articles.oldslug": ["view", "delete"],
    },
}


def grant(apps, schema_editor):
    _roles.grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_updates_corrections_quotes")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
