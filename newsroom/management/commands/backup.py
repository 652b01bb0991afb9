from django.core.management.base import BaseCommand

from newsroom import backups


class Command(BaseCommand):
    help = (
        "Back up the newsroom: the database (pg_dump) and every media file, in one "
        "tar archive with a manifest. PATH is the archive to write, or a folder to "
        "write newsroom-<date>-<time>.tar into. Restore it with `manage.py restore`."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to write, or a folder.")

    def handle(self, *args, path, **options):
        path, manifest = backups.create_backup(path)
        media = manifest["media"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up the database and {media['files']} media files "
                f"({media['bytes']:,} bytes) to {path}"
            )
        )
