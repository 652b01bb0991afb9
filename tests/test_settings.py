"""Settings as production sees them: each case starts a fresh Python process."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "news.example.org",
    "SITE_URL": "https://news.example.org",
    # check --deploy never connects; a placeholder keeps the embedded server asleep.
    "DATABASE_URL": "postgres://newsroom@127.0.0.1:1/newsroom",
}


def run_django(args, **env):
    # The browser tests allow sync database access from Playwright's event loop in
    # this process; a production process never has that.
    dropped = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_with_the_development_secret_key():
    env = {**PRODUCTION_ENV}
    del env["SECRET_KEY"]
    result = run_django(["check"], **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "refuses to start with the development secret key" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_django(
        ["check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_a_non_postgresql_database_url_is_refused():
    env = {**PRODUCTION_ENV, "DATABASE_URL": "sqlite:///db.sqlite3"}
    result = run_django(["check"], **env)
    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr
