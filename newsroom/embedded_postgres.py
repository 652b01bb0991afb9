"""
The embedded PostgreSQL used when DATABASE_URL is unset (development and tests).

pgserver ships PostgreSQL binaries in a wheel. Its server is shared by every process
that asks for the same data directory (the dev server and its reloader, a test run, a
management command) and stops when the last of them exits.
"""

import warnings
from urllib.parse import parse_qs, urlsplit

DATABASE_NAME = "newsroom"

_server = None


def database_settings(data_dir):
    global _server
    if _server is None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset, as in CI and containers.
            warnings.simplefilter("ignore")
            import pgserver

            data_dir.mkdir(exist_ok=True)
            _server = pgserver.get_server(data_dir, cleanup_mode="stop")
        exists = _server.psql(
            f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';"
        )
        if "1 row" not in exists:
            _server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    # pgserver listens on a Unix socket: in the data directory, or in a runtime
    # directory when that path is too long for a socket name.
    uri = urlsplit(_server.get_uri())
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": uri.username or "postgres",
        "PASSWORD": "",
        "HOST": parse_qs(uri.query)["host"][0],
        "PORT": str(uri.port or ""),
        "CONN_MAX_AGE": 0,
    }
