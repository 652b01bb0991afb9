from django.core.management.base import BaseCommand

from newsroom import backups


class Command(BaseCommand):
    help = (
        "Back up the newsroom: the database (pg_dump) and every media file, in one "
        "tar archive with a manifest. PATH is the archive to write, or a folder to "
        "write newsroom-<date>-<time>.tar into. Restore it with `manage.py restore`. "
        "With -v 0 it prints nothing unless it fails (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to write, or a folder.")

    def handle(self, *args, path, **options):
        with backups.plain_errors("The backup"):
            path, manifest = backups.create_backup(path)
        media = manifest["media"]
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Backed up the database and {media['files']} media files "
                    f"({media['bytes']:,} bytes) to {path}"
                )
            )
