from django.core.management.base import BaseCommand, CommandError

from newsroom import backups, cache


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: the database and the media "
        "files. The archive is checked whole first. The database and the media "
        "storage must be empty (a new database and media folder or bucket) unless "
        "--force is given, which replaces the database and the media files the "
        "backup holds."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace what the database holds, and overwrite media files.",
        )

    def handle(self, *args, path, force, **options):
        with backups.plain_errors("The restore"), backups.Archive(path) as archive:
            archive.verify()
            missing_migrations = backups.check_migrations(archive)
            tables = backups.database_tables()
            if tables and not force:
                raise CommandError(
                    f"The database already holds {len(tables)} tables. Restore into "
                    "an empty database (createdb a new one and point DATABASE_URL at "
                    "it), or pass --force to replace everything in this one."
                )
            if not force and backups.media_names():
                raise CommandError(
                    "The media storage already holds files. Restore into an empty "
                    "media folder or bucket, or pass --force to overwrite the files "
                    "the backup holds."
                )
            backups.restore_database(archive, replace=bool(tables))
            restored = backups.restore_media(archive)
        # Pages cached before the restore show what the database no longer holds.
        cache.bump()
        manifest = archive.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the database and {restored} media files from {path} "
                f"(made {manifest.get('created_at')} by Newsroom "
                f"{manifest.get('newsroom_version')})."
            )
        )
        if missing_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup predates {missing_migrations} migrations of this "
                    "version: run `manage.py migrate` next."
                )
            )
