import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from articles import caching

TEMPLATE = '''"""
The triggers that forget stories' stored parts, as articles.caching declares them
(written by `manage.py forget_parts_migration`: a frozen copy, so this migration
installs the same triggers whatever the declaration says later).
"""

from django.db import migrations

FORWARD = """{forward}"""

BACKWARD = """{backward}"""


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "{previous}"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
'''


class Command(BaseCommand):
    help = (
        "Write the migration that installs the triggers forgetting stored parts as "
        "articles.caching now declares them (run it on a migrated database: the "
        "triggers installed there become the migration's way back)."
    )

    def handle(self, *args, **options):
        executor = MigrationExecutor(connection)
        targets = executor.loader.graph.leaf_nodes()
        if executor.migration_plan(targets):
            raise CommandError("Migrate the database first: `manage.py migrate`.")
        generated, installed = caching.triggers(), caching.installed()
        if generated == installed:
            self.stdout.write("The installed triggers are the declared ones already.")
            return
        (previous,) = [name for app, name in targets if app == "articles"]
        number = int(previous.split("_")[0]) + 1
        module = executor.loader.get_migration("articles", previous).__module__
        folder = Path(sys.modules[module].__file__).parent
        filename = folder / f"{number:04d}_forget_parts.py"
        with open(filename, "x") as file:
            file.write(
                TEMPLATE.format(
                    forward=caching.create_sql(generated),
                    backward=caching.create_sql(installed),
                    previous=previous,
                )
            )
        self.stdout.write(self.style.SUCCESS(f"Wrote {filename}: run `migrate`."))
