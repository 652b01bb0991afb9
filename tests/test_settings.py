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


def run_python(code, **env):
    dropped = {*PRODUCTION_ENV, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


WITHOUT_KEY = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
REFUSED = "refuses to start with the development secret key"


def test_production_refuses_to_serve_with_the_development_secret_key():
    # gunicorn and runserver load the WSGI application; uvicorn and daphne the ASGI.
    for module in ("newsroom.wsgi", "newsroom.asgi"):
        result = run_python(f"import {module}", **WITHOUT_KEY)
        assert result.returncode != 0
        assert "SECRET_KEY is not set" in result.stderr
        assert REFUSED in result.stderr
    # Set to the development key by hand counts as not set.
    result = run_python(
        "import newsroom.wsgi",
        **WITHOUT_KEY,
        SECRET_KEY="django-insecure-newsroom-development-key",
    )
    assert REFUSED in result.stderr
    result = run_python("import newsroom.wsgi", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr


def test_check_deploy_reports_the_missing_secret_key():
    result = run_django(["check", "--deploy"], **WITHOUT_KEY)
    assert result.returncode != 0
    assert "(newsroom.E001) SECRET_KEY is not set" in result.stderr


def test_nothing_is_signed_without_the_secret_key():
    result = run_python(
        "import django; django.setup(); "
        "from django.core import signing; signing.dumps('preview')",
        **WITHOUT_KEY,
    )
    assert result.returncode != 0
    assert "SECRET_KEY setting must not be empty" in result.stderr


def test_commands_that_sign_nothing_run_without_the_secret_key():
    """A shell on a production host (or CI) without the site's secrets can still
    check the migrations, and gets no confusing "Models aren't loaded yet"."""
    result = run_django(["makemigrations", "--check", "--dry-run"], **WITHOUT_KEY)
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout
    # With nothing set at all: no DJANGO_DEBUG, no DATABASE_URL.
    bare = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=settings.BASE_DIR,
        env=bare,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


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
