"""Backups (newsroom.backups): `manage.py backup` and `manage.py restore`, run for real
with PostgreSQL's own pg_dump, pg_restore and psql. The round trip restores into a new
database and a new media folder and serves the restored site from another process."""

import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

import psycopg2
import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from articles import share_images
from newsroom import backups
from tests.factories import (
    ArticleFactory,
    CampaignFactory,
    DonationFactory,
    ImageFactory,
    PullQuoteFactory,
    UserFactory,
    jpeg,
)

# pg_dump sees only what is committed. serialized_rollback keeps the rows made by
# data migrations (the newsroom roles) for the tests that run after.
committed = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NONCE = re.compile(r'\snonce="[^"]*"')
MAIN = re.compile(r"<main\b.*?</main>", re.DOTALL)
MEDIA_LINK = re.compile(r'(?:src|srcset|href)="([^"]*)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(name):
    """DATABASE_URL for another database on the server the tests use (a TCP host or
    the embedded server's socket folder)."""
    params = connection.settings_dict
    host = params["HOST"] or ""
    host = urlquote(host, safe="") if host.startswith("/") else host
    port = f":{params['PORT']}" if params.get("PORT") else ""
    password = f":{urlquote(params['PASSWORD'], safe='')}" if params["PASSWORD"] else ""
    return f"postgres://{urlquote(params['USER'])}{password}@{host}{port}/{name}"


def server_connection():
    params = connection.settings_dict
    conn = psycopg2.connect(
        dbname="postgres",
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    conn.autocommit = True
    return conn


@pytest.fixture
def fresh_database():
    """A new, empty database beside the test database; its name."""
    name = f"{connection.settings_dict['NAME']}_restored"
    conn = server_connection()
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def run_manage(args, **env):
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


class Site:
    """The restored site, served by its own process."""

    def __init__(self, env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--skip-checks",
                f"127.0.0.1:{self.port}",
            ],
            cwd=settings.BASE_DIR,
            env={**base, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("/healthz")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    output = self.process.communicate()[0].decode()
                    pytest.fail(f"The restored site did not start:\n{output}")
                time.sleep(0.1)

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as response:
            assert response.status == 200, path
            return response.read()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main_content(html):
    """What a reader reads: the page's <main>, without the per-response nonces."""
    return NONCE.sub("", MAIN.search(html)[0])


def media_links(html):
    """Paths of the media files a page links to, from src, srcset and href."""
    links = set()
    for value in MEDIA_LINK.findall(html):
        for candidate in value.split(","):
            url = candidate.split()[0] if candidate.strip() else ""
            if urlsplit(url).path.startswith(settings.MEDIA_URL):
                links.add(urlsplit(url).path)
    return links


@pytest.fixture
def newsroom():
    """A story with a photo (and its renditions) and a photo in its body, a quote
    placed in it with its share image drawn, and a campaign with gifts and a refund."""
    editor = UserFactory(role="Editor")
    client = Client()
    client.force_login(editor)
    upload = client.post(
        reverse("articles:editor-image-upload"), {"upload": jpeg(900, 500)}
    )
    body_image = upload.json()["urls"]["default"]
    article = ArticleFactory(
        featured_image=ImageFactory(),
        body=f'<p>The river rose.</p><figure class="image"><img src="{body_image}" '
        'alt="The flooded bridge"></figure><p>Volunteers came.</p>',
    )
    article.body_image = body_image
    pull_quote = PullQuoteFactory(article=article)
    share_images.get_or_create(pull_quote.quote)
    campaign = CampaignFactory()
    DonationFactory(campaign=campaign, amount=50_00)
    DonationFactory(campaign=campaign, amount=120_00)
    DonationFactory(campaign=campaign, amount=30_00, status="refunded")
    return article, pull_quote.quote, campaign


@committed
def test_a_restored_backup_serves_the_same_pages_images_and_totals(
    newsroom, tmp_path, fresh_database
):
    article, quote, campaign = newsroom
    archive = tmp_path / "newsroom.tar"

    call_command("backup", str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
        dump = tar.extractfile("database.dump").read()
    assert manifest["format"] == backups.FORMAT
    assert manifest["newsroom_version"] == backups.newsroom_version() != "unknown"
    assert manifest["database"]["server_version"] == connection.pg_version
    assert "0001_initial" in manifest["migrations"]["articles"]
    assert dump.startswith(b"PGDMP")  # pg_dump's custom format
    assert manifest["files"]["database.dump"]["sha256"] == (
        hashlib.sha256(dump).hexdigest()
    )
    media = {name for name in names if name.startswith("media/")}
    assert media == {f"media/{name}" for name in backups.media_names()}
    assert any(name.startswith("media/quotes/") for name in media)
    assert names == media | {"manifest.json", "database.dump"}

    restored_media = tmp_path / "restored-media"
    env = {
        "DATABASE_URL": database_url(fresh_database),
        "MEDIA_ROOT": str(restored_media),
        "DJANGO_DEBUG": "1",  # runserver serves /media/ (nginx does in production)
    }
    result = run_manage(["restore", str(archive)], **env)
    assert result.returncode == 0, result.stderr
    assert "Restored the database and" in result.stdout

    # The original site renders its pages only now: nothing either side shows was
    # rendered before the backup, so the restored site renders from restored rows.
    original = Client()
    pages = [
        article.get_absolute_url(),
        quote.get_absolute_url(),
        reverse("donations:donate"),
        "/",
    ]
    site = Site(env)
    try:
        linked = set()
        for path in pages:
            mine = original.get(path)
            assert mine.status_code == 200, path
            theirs = site.get(path).decode()
            assert main_content(theirs) == main_content(mine.content.decode()), path
            linked |= media_links(theirs)
        # Every picture the story shows, in every width, byte for byte.
        featured = article.featured_image
        assert {
            default_storage.url(r[kind])
            for r in featured.renditions
            for kind in ("webp", "fallback")
        } <= linked
        assert urlsplit(article.body_image).path in linked
        for link in linked:
            name = link.removeprefix(settings.MEDIA_URL)
            with default_storage.open(name) as f:
                assert site.get(link) == f.read(), link
        # The quote's share image, drawn before the backup, is served from the
        # restored media, not drawn again.
        share_image = site.get(quote.get_share_image_url())
        with default_storage.open(share_images.storage_name(quote)) as f:
            assert share_image == f.read()
        # The campaign's totals.
        progress_url = f"/donate/progress/{campaign.slug}.json"
        mine = original.get(progress_url).json()
        theirs = json.loads(site.get(progress_url))
        for key in ("raised", "donors", "goal", "percent", "raised_text"):
            assert theirs.get(key) == mine.get(key), key
        assert theirs["raised"] == 170_00
    finally:
        site.stop()
    stored = sorted(
        str(p.relative_to(restored_media)) for p in restored_media.rglob("*")
    )
    originals = sorted(
        str(p.relative_to(settings.MEDIA_ROOT))
        for p in Path(settings.MEDIA_ROOT).rglob("*")
    )
    assert stored == originals


def test_backup_into_a_folder_names_the_archive_by_its_time(plain_archive):
    assert re.fullmatch(r"newsroom-\d{8}-\d{6}\.tar", plain_archive.name)


@pytest.fixture(scope="module")
def plain_archive(tmp_path_factory, django_db_setup, django_db_blocker):
    """A backup of the migrated test database and a media folder of two photos,
    made once: the tests that refuse an archive never get as far as the database."""
    folder = tmp_path_factory.mktemp("backups")
    storage = FileSystemStorage(location=folder / "media")
    storage.save("images/one.jpg", jpeg())
    storage.save("images/two.jpg", jpeg(colour="teal"))
    with django_db_blocker.unblock():
        path, _manifest = backups.create_backup(folder, storage=storage)
        connection.close()
    return path


@pytest.fixture
def archive(plain_archive, tmp_path):
    path = tmp_path / "backup.tar"
    path.write_bytes(plain_archive.read_bytes())
    return path


@pytest.mark.django_db
def test_backup_never_overwrites_an_archive(archive):
    before = archive.read_bytes()

    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(archive), stdout=io.StringIO())

    assert archive.read_bytes() == before


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(archive):
    with pytest.raises(CommandError, match="already holds .* tables.*--force"):
        call_command("restore", str(archive), stdout=io.StringIO())


def test_restore_refuses_a_missing_archive(tmp_path):
    with pytest.raises(CommandError, match="There is no backup at"):
        call_command("restore", str(tmp_path / "nothing.tar"), stdout=io.StringIO())


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    path = tmp_path / "notes.tar"
    path.write_text("Not an archive at all.")
    with pytest.raises(CommandError, match="not a Newsroom backup"):
        call_command("restore", str(path), stdout=io.StringIO())

    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"notes"))
    with pytest.raises(CommandError, match="has no manifest.json"):
        call_command("restore", str(path), stdout=io.StringIO())


def test_restore_refuses_a_truncated_archive(archive, tmp_path):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])

    with pytest.raises(CommandError, match="damaged"):
        call_command("restore", str(cut), "--force", stdout=io.StringIO())


@pytest.mark.django_db
def test_restore_refuses_a_damaged_file_before_changing_anything(archive, tmp_path):
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if m.name.startswith("media/"))
        offset = member.offset_data
    data = bytearray(archive.read_bytes())
    data[offset + 100] ^= 0xFF  # one flipped byte inside a photo
    damaged = tmp_path / "damaged.tar"
    damaged.write_bytes(bytes(data))
    tables = backups.database_tables()

    with pytest.raises(CommandError, match=f"{member.name} is not the file"):
        call_command("restore", str(damaged), "--force", stdout=io.StringIO())

    assert backups.database_tables() == tables


def test_restore_refuses_a_backup_from_a_newer_version(archive, tmp_path):
    with tarfile.open(archive) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    newer = tmp_path / "newer.tar"
    with tarfile.open(newer, "w") as tar:
        for member, data in members:
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"]["articles"].append("9999_from_the_future")
                data = json.dumps(manifest).encode()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))

    with pytest.raises(CommandError, match="newer version of Newsroom"):
        call_command("restore", str(newer), "--force", stdout=io.StringIO())


def test_restore_from_the_command_line_says_why_without_a_traceback(tmp_path):
    result = run_manage(["restore", str(tmp_path / "missing.tar")])

    assert result.returncode == 1
    assert "CommandError: There is no backup at" in result.stderr
    assert "Traceback" not in result.stderr


def test_restore_into_a_database_that_does_not_exist_says_so(plain_archive):
    result = run_manage(
        ["restore", str(plain_archive)],
        DATABASE_URL=database_url("newsroom_no_such_database"),
    )

    assert result.returncode == 1
    assert "CommandError: The restore failed: the database said:" in result.stderr
    assert "newsroom_no_such_database" in result.stderr
    assert "Traceback" not in result.stderr


@committed
def test_restore_with_force_replaces_the_database(newsroom, tmp_path):
    article, _quote, campaign = newsroom
    archive = tmp_path / "backup.tar"
    call_command("backup", str(archive), stdout=io.StringIO())
    ArticleFactory(headline="Written after the backup")
    DonationFactory(campaign=campaign, amount=999_00)

    call_command("restore", str(archive), "--force", stdout=io.StringIO())

    from articles.models import Article
    from donations.models import Donation

    assert not Article.objects.filter(headline="Written after the backup").exists()
    assert Article.objects.get(pk=article.pk).headline == article.headline
    assert not Donation.objects.filter(amount=999_00).exists()


def test_pg_bin_chooses_the_programs(settings, tmp_path):
    settings.PG_BIN = str(tmp_path)  # an empty folder

    with pytest.raises(CommandError, match=r"pg_dump from PostgreSQL \d+ or newer"):
        backups.find_tool("pg_dump", 15)
