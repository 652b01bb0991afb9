"""
A newsroom's backup: its database and its media files in one archive.

``manage.py backup PATH`` writes a tar archive holding

- ``database.dump``: ``pg_dump``'s custom format (compressed; read by ``pg_restore``);
- ``media/<name>``: every file in the default storage (the media folder, or the S3
  bucket), read through Django's storage API;
- ``manifest.json``: the archive's format, when and by which version of Newsroom it
  was made, the PostgreSQL and ``pg_dump`` versions, the migrations applied, and the
  size and SHA-256 of every other member.

``manage.py restore PATH`` checks all of that before it changes anything, then loads
the database in one transaction (``pg_restore`` piped into ``psql
--single-transaction``: a restore that fails leaves the database as it was) and
writes the media files back through the storage API.

The database is dumped before the media files are listed, so every file a row of the
dump refers to was uploaded before the listing: the archive may hold a file no row
needs yet, never a row whose file is missing.

``pg_dump`` must be as new as the server (it refuses an older one): see
``find_tool()`` for where it is looked for, and ``PG_BIN`` to choose.
"""

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import CommandError
from django.db import DatabaseError, connection
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from newsroom import embedded_postgres

FORMAT = 1
MANIFEST = "manifest.json"
DATABASE = "database.dump"
MEDIA = "media/"
CHUNK = 1024 * 1024

_VERSION = re.compile(r"\(PostgreSQL\) (\d+)(?:\.(\d+))?")

try:
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)
except ImportError:  # pragma: no cover (boto3 is a requirement)
    STORAGE_ERRORS = (OSError,)


@contextmanager
def plain_errors(action):
    """A database that cannot be reached, a bucket that refuses, a full disk: said
    in one line (a CommandError), never as a traceback."""
    try:
        yield
    except DatabaseError as error:
        raise CommandError(
            f"{action} failed: the database said: {str(error).strip()}"
        ) from error
    except STORAGE_ERRORS as error:
        raise CommandError(f"{action} failed: {error}") from error


# Where pg_dump, pg_restore and psql come from ----------------------------------


def embedded_bin_dirs():
    return embedded_postgres.bin_dirs()


def candidate_dirs():
    """Folders to look in, best first; None stands for PATH.

    PG_BIN alone when it is set. Otherwise the embedded server's own binaries first
    when it is the database (no DATABASE_URL), then PATH, then the versions Debian and
    Ubuntu install side by side (newest first), then the embedded binaries anyway.
    """
    if settings.PG_BIN:
        return [Path(settings.PG_BIN)]
    embedded = embedded_bin_dirs()
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    first = [] if settings.DATABASE_URL else embedded
    return [*first, None, *debian, *embedded]


def tool_version(path):
    """(major, minor) of a PostgreSQL program, from its --version."""
    try:
        output = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION.search(output)
    return (int(found[1]), int(found[2] or 0)) if found else None


def find_tool(name, at_least):
    """The path and version of the first `name` (pg_dump...) whose major version is
    at least `at_least`; CommandError saying what was found otherwise."""
    seen = {}
    for directory in candidate_dirs():
        path = shutil.which(name, path=None if directory is None else str(directory))
        if path is None or path in seen:
            continue
        seen[path] = version = tool_version(path)
        if version and version[0] >= at_least:
            return path, version
    found = ", ".join(
        f"{path} ({'.'.join(map(str, version)) if version else 'unknown version'})"
        for path, version in seen.items()
    )
    where = f"PG_BIN ({settings.PG_BIN})" if settings.PG_BIN else "PATH"
    raise CommandError(
        f"{name} from PostgreSQL {at_least} or newer is needed, "
        f"but {where} has {found or 'none'}. Install the PostgreSQL client programs "
        f"of that version (Debian/Ubuntu: postgresql-client-{at_least}) and, if they "
        "are not on PATH, set PG_BIN to their folder."
    )


def server_major():
    connection.ensure_connection()
    return connection.pg_version // 10000


def connection_args():
    """Command-line options and environment for a PostgreSQL program to reach the
    default database as Django does (password and SSL options in the environment,
    never on the command line)."""
    params = connection.settings_dict
    _args, env = DatabaseClient.settings_to_cmd_args_env(params, [])
    args = []
    for option, value in (
        ("--host", params.get("HOST")),
        ("--port", params.get("PORT")),
        ("--username", params.get("USER")),
    ):
        if value:
            args.append(f"{option}={value}")
    args.append(f"--dbname={params['NAME']}")
    return args, {**os.environ, **(env or {})}


def _run(command, **kwargs):
    args, env = connection_args()
    result = subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, **kwargs
    )
    if result.returncode:
        raise CommandError(
            f"{Path(command[0]).name} failed: {result.stderr.strip()[-2000:]}"
        )
    return result


# What the archive holds ---------------------------------------------------------


def newsroom_version():
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as f:
            return tomllib.load(f)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def media_names(storage=None):
    """Every file in the storage, through its API (a folder or a bucket alike)."""
    storage = storage or default_storage
    pending, names = [""], []
    while pending:
        folder = pending.pop()
        try:
            dirs, files = storage.listdir(folder)
        except FileNotFoundError:  # no media folder yet
            continue
        pending.extend(f"{folder}{name}/" for name in dirs)
        names.extend(f"{folder}{name}" for name in files)
    return sorted(names)


def applied_migrations():
    applied = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def _digest(fileobj):
    sha256, size = hashlib.sha256(), 0
    while chunk := fileobj.read(CHUNK):
        sha256.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": sha256.hexdigest()}


def _anonymous(info):
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _add_bytes(tar, name, data, mtime):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), mtime, 0o644
    tar.addfile(info, io.BytesIO(data))


# Backup -------------------------------------------------------------------------


def archive_path(path, now):
    """`path` itself, or a dated file in it when it is a folder."""
    path = Path(path)
    if path.is_dir():
        path = path / f"newsroom-{now:%Y%m%d-%H%M%S}.tar"
    if path.exists():
        raise CommandError(f"{path} already exists: give the backup a new name.")
    if not path.parent.is_dir():
        raise CommandError(f"The folder {path.parent} does not exist.")
    return path


def create_backup(path, storage=None):
    """Write the archive; returns its path and manifest."""
    storage = storage or default_storage
    now = datetime.now(UTC).replace(microsecond=0)
    path = archive_path(path, now)
    major = server_major()
    pg_dump, dump_version = find_tool("pg_dump", major)
    manifest = {
        "format": FORMAT,
        "newsroom_version": newsroom_version(),
        "created_at": now.isoformat(),
        "database": {
            "name": connection.settings_dict["NAME"],
            "server_version": connection.pg_version,
            "pg_dump_version": ".".join(map(str, dump_version)),
        },
        "migrations": applied_migrations(),
        # __class__, not type(): default_storage is a lazy object around the backend.
        "media": {
            "storage": f"{storage.__class__.__module__}.{storage.__class__.__name__}"
        },
        "files": {},
    }
    mtime = int(now.timestamp())
    partial = path.with_name(f".{path.name}.partial")
    try:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=".backup-") as tmp:
            dump = Path(tmp) / DATABASE
            _run([pg_dump, "--format=custom", f"--file={dump}"], timeout=None)
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                with open(dump, "rb") as f:
                    manifest["files"][DATABASE] = _digest(f)
                tar.add(dump, arcname=DATABASE, filter=_anonymous)
                total = 0
                for name in media_names(storage):
                    with storage.open(name, "rb") as f:
                        data = f.read()
                    manifest["files"][MEDIA + name] = {
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                    total += len(data)
                    _add_bytes(tar, MEDIA + name, data, mtime)
                manifest["media"].update(files=len(manifest["files"]) - 1, bytes=total)
                body = json.dumps(manifest, indent=2, sort_keys=True).encode()
                _add_bytes(tar, MANIFEST, body, mtime)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path, manifest


# Restore ------------------------------------------------------------------------


class Archive:
    """A backup opened for restoring: checked whole before anything is changed."""

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_file():
            raise CommandError(f"There is no backup at {self.path}.")
        try:
            # Closed by close(), once the restore is done with it.
            self.tar = tarfile.open(self.path, "r:")  # noqa: SIM115
        except (tarfile.TarError, OSError) as error:
            raise CommandError(
                f"{self.path} is not a Newsroom backup, or it is damaged ({error})."
            ) from error
        try:
            self.manifest = self._read_manifest()
        except CommandError:
            self.tar.close()
            raise

    def _read_manifest(self):
        try:
            self.members = {m.name: m for m in self.tar.getmembers() if m.isfile()}
            manifest = json.loads(self.read(MANIFEST))
        except KeyError as error:
            raise CommandError(
                f"{self.path} is not a Newsroom backup: it has no {MANIFEST}."
            ) from error
        except (tarfile.TarError, OSError, EOFError, ValueError) as error:
            raise CommandError(
                f"{self.path} is not a Newsroom backup, or it is damaged ({error})."
            ) from error
        if not isinstance(manifest, dict):
            raise CommandError(
                f"{self.path} is not a Newsroom backup: its manifest is invalid."
            )
        if manifest.get("format") != FORMAT:
            raise CommandError(
                f"{self.path} is not a backup this version of Newsroom can read "
                f"(format {manifest.get('format')!r}, expected {FORMAT})."
            )
        return manifest

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        self.tar.close()

    def read(self, name):
        return self.tar.extractfile(self.members[name]).read()

    @property
    def files(self):
        return self.manifest.get("files") or {}

    def media(self):
        return [name.removeprefix(MEDIA) for name in self.files if name != DATABASE]

    def verify(self):
        """Every member the manifest lists is here, whole; nothing else is."""
        files = self.files
        if DATABASE not in files:
            raise CommandError(f"{self.path} is damaged: it lists no database dump.")
        extra = set(self.members) - set(files) - {MANIFEST}
        if extra:
            raise CommandError(
                f"{self.path} is damaged: it holds files its manifest does not list "
                f"({', '.join(sorted(extra)[:5])})."
            )
        for name, expected in files.items():
            media_name = name.removeprefix(MEDIA)
            if name != DATABASE and (
                not name.startswith(MEDIA) or not safe_media_name(media_name)
            ):
                raise CommandError(f"{self.path} is damaged: {name!r} is not allowed.")
            if name not in self.members:
                raise CommandError(f"{self.path} is damaged: {name} is missing.")
            try:
                found = _digest(self.tar.extractfile(self.members[name]))
            except (tarfile.TarError, OSError, EOFError) as error:
                raise CommandError(
                    f"{self.path} is damaged: {name} cannot be read ({error})."
                ) from error
            if found != {
                "size": expected.get("size"),
                "sha256": expected.get("sha256"),
            }:
                raise CommandError(
                    f"{self.path} is damaged: {name} is not the file that was backed "
                    "up (its size or checksum differs)."
                )


def safe_media_name(name):
    path = PurePosixPath(name)
    return (
        bool(name)
        and not path.is_absolute()
        and ".." not in path.parts
        and "\\" not in name
        and "\x00" not in name
    )


def migrations_on_disk():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return set(loader.disk_migrations)


def check_migrations(archive):
    """Refuse a backup made by newer code; return how many migrations this code has
    that the backup predates."""
    recorded = {
        (app, name)
        for app, names in (archive.manifest.get("migrations") or {}).items()
        for name in names
    }
    on_disk = migrations_on_disk()
    ours = {app for app, _name in on_disk}
    unknown = sorted(f"{app}.{name}" for app, name in recorded - on_disk if app in ours)
    if unknown:
        raise CommandError(
            "This backup was made by a newer version of Newsroom (its database has "
            f"migrations this code does not: {', '.join(unknown[:5])}). Install "
            f"{archive.manifest.get('newsroom_version', 'that version')} or newer, "
            "then restore."
        )
    return len(on_disk - recorded)


def database_tables():
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def restore_database(archive, replace):
    """Load the dump in one transaction; with `replace`, whatever the public schema
    held is dropped in that same transaction."""
    dumped = archive.manifest["database"].get("pg_dump_version", "0")
    needed = max(server_major(), int(str(dumped).split(".")[0] or 0))
    pg_restore, _version = find_tool("pg_restore", needed)
    psql, _version = find_tool("psql", 0)
    prelude = (
        ["-c", "DROP SCHEMA public CASCADE", "-c", "CREATE SCHEMA public"]
        if replace
        else []
    )
    args, env = connection_args()
    with tempfile.TemporaryDirectory(prefix="newsroom-restore-") as tmp:
        dump = Path(tmp) / DATABASE
        with open(dump, "wb") as f:
            shutil.copyfileobj(archive.tar.extractfile(archive.members[DATABASE]), f)
        # --no-owner/--no-privileges: the database may belong to another role here
        # than where the backup was made (a compose database restored on a laptop).
        reader = subprocess.Popen(
            [pg_restore, "--no-owner", "--no-privileges", "--file=-", str(dump)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        loader = subprocess.run(
            [
                psql,
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                *prelude,
                "--file=-",
                *args,
            ],
            stdin=reader.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        reader.stdout.close()
        reader_errors = reader.stderr.read().decode(errors="replace")
        reader.wait()
    if reader.returncode:
        raise CommandError(
            f"pg_restore could not read the dump: {reader_errors.strip()[-2000:]}"
        )
    if loader.returncode:
        raise CommandError(
            "The database could not be restored, and was left as it was: "
            f"{loader.stderr.strip()[-2000:]}"
        )
    # Django's connection may have cached what was there before.
    connection.close()
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def restore_media(archive, storage=None):
    storage = storage or default_storage
    restored = 0
    for name in archive.media():
        try:
            if storage.exists(name):
                storage.delete(name)
            saved = storage.save(name, ContentFile(archive.read(MEDIA + name)))
        except STORAGE_ERRORS as error:
            raise CommandError(
                f"The database was restored, but the media file {name} could not "
                f"be written ({error}). Once the media storage works, run the "
                "restore again with --force to finish it."
            ) from error
        if saved != name:
            raise CommandError(f"The media file {name} was stored as {saved}.")
        restored += 1
    return restored
