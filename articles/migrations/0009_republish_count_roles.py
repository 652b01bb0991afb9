"""Everyone in the newsroom may see where its stories are republished."""

from django.db import migrations

from articles.migrations import _roles

GRANTS = {
    role: {"articles.republishcount": ["view"]}
    for role in ("Writer", "Editor", "Site admin")
}


def grant(apps, schema_editor):
    _roles.grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_quote_text_length")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
