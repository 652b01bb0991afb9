"""Media in S3-compatible object storage (django-storages), against a real S3 server
started here: moto in server mode, spoken to over HTTP by boto3, as a bucket would
be. Uploads, renditions, photos inserted in the editor and share images land in the
bucket, pages link to them there, and the addresses answer."""

import io
import json
import os
import re
import runpy
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import boto3
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from storages.backends.s3 import S3Storage

from articles import share_images
from newsroom import backups
from tests.factories import (
    ArticleFactory,
    ImageFactory,
    PullQuoteFactory,
    UserFactory,
    jpeg,
)

SETTINGS_FILE = settings.BASE_DIR / "newsroom" / "settings.py"
ACCESS = {
    "AWS_ACCESS_KEY_ID": "newsroom-test",
    "AWS_SECRET_ACCESS_KEY": "newsroom-test-secret",
}
IMG = re.compile(r"<(?:img|source)\b[^>]*>")
URLS = re.compile(r'(?:src|srcset)="([^"]*)"')


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """A moto S3 server on a free local port; its endpoint URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto did not start:\n{process.communicate()[0]}")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def site_settings(monkeypatch, **env):
    """newsroom/settings.py run with this environment: its module globals."""
    for name in (
        "AWS_STORAGE_BUCKET_NAME",
        "AWS_S3_ENDPOINT_URL",
        "AWS_S3_REGION_NAME",
        "AWS_DEFAULT_ACL",
        "MEDIA_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DJANGO_DEBUG", "1")
    monkeypatch.setenv("SITE_URL", "https://news.example.org")
    return runpy.run_path(str(SETTINGS_FILE))


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    """A new bucket, and the site's media in it as settings.py sets it up from the
    environment; yields the boto3 Bucket."""
    name = f"newsroom-{uuid.uuid4().hex[:12]}"
    for key, value in ACCESS.items():
        monkeypatch.setenv(key, value)
    site = site_settings(
        monkeypatch,
        AWS_STORAGE_BUCKET_NAME=name,
        AWS_S3_ENDPOINT_URL=s3_server,
        AWS_S3_REGION_NAME="us-east-1",
    )
    s3 = boto3.resource("s3", endpoint_url=s3_server, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    # As README.md says to set a bucket up: anyone may read its files, nothing more.
    s3.meta.client.put_bucket_policy(Bucket=name, Policy=public_read(name))
    settings.STORAGES = site["STORAGES"]
    settings.MEDIA_URL = site["MEDIA_URL"]
    settings.CONTENT_SECURITY_POLICY = site["CONTENT_SECURITY_POLICY"]
    yield s3.Bucket(name)


def public_read(name):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                }
            ],
        }
    )


def keys(bucket):
    return {item.key for item in bucket.objects.all()}


def fetch(url):
    """What anyone gets at `url`: no credentials, no session."""
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200, url
        return response.read(), response.headers


def image_urls(html):
    urls = []
    for tag in IMG.findall(html):
        for value in URLS.findall(tag):
            urls += [c.split()[0] for c in value.split(",") if c.strip()]
    return urls


def test_settings_keep_media_on_local_disk_by_default(monkeypatch):
    site = site_settings(monkeypatch)

    assert site["STORAGES"]["default"]["BACKEND"] == (
        "django.core.files.storage.FileSystemStorage"
    )
    assert site["MEDIA_URL"] == "/media/"
    assert site["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == [
        "'self'",
        "data:",
    ]


def test_settings_put_media_in_a_bucket_behind_its_own_address(monkeypatch):
    site = site_settings(
        monkeypatch,
        AWS_STORAGE_BUCKET_NAME="newsroom-media",
        AWS_S3_REGION_NAME="eu-west-3",
        MEDIA_URL="https://media.example.org/newsroom",
    )

    storage = site["STORAGES"]["default"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "newsroom-media"
    assert storage["OPTIONS"]["region_name"] == "eu-west-3"
    assert storage["OPTIONS"]["querystring_auth"] is False
    assert site["MEDIA_URL"] == "https://media.example.org/newsroom/"
    img_src = site["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert "https://media.example.org" in img_src


def test_settings_without_media_url_use_the_bucket_address(monkeypatch):
    site = site_settings(
        monkeypatch, AWS_STORAGE_BUCKET_NAME="nr", AWS_S3_REGION_NAME="us-west-2"
    )

    assert site["MEDIA_URL"] == "https://nr.s3.us-west-2.amazonaws.com/"
    img_src = site["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"]
    assert "https://nr.s3.us-west-2.amazonaws.com" in img_src


def test_settings_refuse_a_bucket_with_a_media_url_on_the_site(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="MEDIA_URL must be a full address"):
        site_settings(monkeypatch, AWS_STORAGE_BUCKET_NAME="nr", MEDIA_URL="/media/")


def test_media_on_the_sites_own_host_needs_no_csp_exception(monkeypatch):
    site = site_settings(monkeypatch, MEDIA_URL="https://news.example.org/media/")

    assert site["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]["img-src"] == [
        "'self'",
        "data:",
    ]


@pytest.mark.django_db
def test_photos_renditions_and_share_images_live_in_the_bucket(bucket, client):
    media_url = settings.MEDIA_URL
    assert media_url == f"{bucket.meta.client.meta.endpoint_url}/{bucket.name}/"
    # A photo inserted in the editor: the upload endpoint's pipeline.
    editor = UserFactory(role="Editor")
    client.force_login(editor)
    upload = client.post(
        reverse("articles:editor-image-upload"), {"upload": jpeg(1300, 700)}
    )
    assert upload.status_code == 200
    body_urls = upload.json()["urls"]
    client.logout()
    # A featured photo: the model's file field and its renditions.
    photo = ImageFactory(file=jpeg(1700, 900))
    article = ArticleFactory(
        featured_image=photo,
        body=f'<p>The river rose.</p><figure class="image"><img src="'
        f'{body_urls["default"]}" alt="The bridge"></figure><p>And fell.</p>',
    )
    quote = PullQuoteFactory(article=article).quote

    stored = keys(bucket)
    assert photo.file.name in stored
    for rendition in photo.renditions:
        assert {rendition["webp"], rendition["fallback"]} <= stored
    assert len(photo.renditions) == 4  # 480, 800, 1200, 1600
    assert any(key.startswith("images/editor/") for key in stored)
    for url in body_urls.values():
        assert url.startswith(media_url)
        assert url.removeprefix(media_url) in stored
    assert not os.path.exists(settings.MEDIA_ROOT)  # nothing on local disk

    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    urls = image_urls(page)
    expected = {
        media_url + r[k] for r in photo.renditions for k in ("webp", "fallback")
    }
    assert expected <= set(urls)
    assert body_urls["default"] in urls
    # Every picture on the page comes from the bucket, and answers there.
    for url in urls:
        assert url.startswith(media_url), url
        data, headers = fetch(url)
        assert data == bucket.Object(url.removeprefix(media_url)).get()["Body"].read()
        assert headers["Content-Type"].startswith("image/")
        assert "immutable" in headers["Cache-Control"]
    # The page allows images from there, and only there besides itself.
    csp = response["Content-Security-Policy"]
    img_src = re.search(r"img-src ([^;]*)", csp)[1].split()
    assert img_src == ["'self'", "data:", media_url.removesuffix(f"/{bucket.name}/")]

    # The quote's share image is drawn into the bucket the first time it is asked
    # for; its page links to the address that serves it.
    quote_page = client.get(quote.get_absolute_url()).content.decode()
    share_url = quote.get_share_image_url()
    assert f'src="{share_url}"' in quote_page.replace("&amp;", "&")
    response = client.get(share_url)
    assert response.status_code == 200
    png = b"".join(response.streaming_content)
    name = share_images.storage_name(quote)
    assert name in keys(bucket)
    assert bucket.Object(name).get()["Body"].read() == png
    assert png.startswith(b"\x89PNG")


@pytest.mark.django_db
def test_an_edited_quote_leaves_no_stale_share_image_in_the_bucket(
    bucket, django_capture_on_commit_callbacks
):
    quote = PullQuoteFactory().quote
    old = share_images.get_or_create(quote)
    assert old in keys(bucket)

    with django_capture_on_commit_callbacks(execute=True):
        quote.text = "We will fix the roads before spring."
        quote.save()
    new = share_images.get_or_create(quote)

    assert keys(bucket) == {new} != {old}


@pytest.mark.django_db
def test_a_backup_reads_the_bucket_and_restores_into_another(
    bucket, tmp_path, s3_server
):
    photo = ImageFactory(file=jpeg(900, 500))
    originals = {key: bucket.Object(key).get()["Body"].read() for key in keys(bucket)}
    assert photo.file.name in originals

    path, manifest = backups.create_backup(tmp_path)

    assert manifest["media"]["files"] == len(originals)
    assert manifest["media"]["storage"] == "storages.backends.s3.S3Storage"
    other = boto3.resource("s3", endpoint_url=s3_server, region_name="us-east-1")
    target = other.create_bucket(Bucket=f"{bucket.name}-restored")
    options = {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": target.name}
    with backups.Archive(path) as archive:
        archive.verify()
        assert backups.restore_media(archive, S3Storage(**options)) == len(originals)
    restored = {key: target.Object(key).get()["Body"].read() for key in keys(target)}
    assert restored == originals


@pytest.mark.django_db
def test_a_backup_says_so_when_the_bucket_is_gone(bucket, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            **settings.STORAGES["default"],
            "OPTIONS": {
                **settings.STORAGES["default"]["OPTIONS"],
                "bucket_name": f"{bucket.name}-deleted",
            },
        },
    }

    with pytest.raises(CommandError, match="The backup failed: .*NoSuchBucket"):
        call_command("backup", str(tmp_path), stdout=io.StringIO())

    assert list(tmp_path.iterdir()) == []  # no archive, not even a partial one
