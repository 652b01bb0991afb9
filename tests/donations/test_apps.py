"""Cached reader pages follow appeals, campaigns and gifts (newsroom.cache)."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from donations.imports import import_rows
from donations.models import AppealSettings
from tests.factories import (
    AppealFactory,
    ArticleFactory,
    CampaignFactory,
    DonationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 600


def test_editing_an_appeal_replaces_cached_pages(client):
    ArticleFactory()
    appeal = AppealFactory(placement="home")
    url = reverse("articles:home")
    assert client.get(url)["X-Cache"] == "miss"
    assert client.get(url)["X-Cache"] == "hit"
    variant = appeal.variants.get()
    variant.heading = "New words for the ask"
    variant.save()
    response = client.get(url)
    assert response["X-Cache"] == "miss"
    assert "New words for the ask" in response.content.decode()


def test_the_pause_switch_replaces_cached_pages(client):
    ArticleFactory()
    AppealFactory(placement="top")
    client.get(reverse("articles:home"))
    AppealSettings.objects.create(paused=True)
    response = client.get(reverse("articles:home"))
    assert response["X-Cache"] == "miss"
    assert 'class="appeal ' not in response.content.decode()


def test_an_appeal_starts_on_cached_pages_at_its_time_without_a_job(client):
    ArticleFactory()
    AppealFactory(
        placement="top", starts_at=timezone.now() + timedelta(seconds=1.5)
    ).variants.update(heading="Starting soon")
    url = reverse("articles:home")
    assert "Starting soon" not in client.get(url).content.decode()
    assert client.get(url)["X-Cache"] == "hit"
    time.sleep(1.6)
    assert "Starting soon" in client.get(url).content.decode()


def test_a_gift_refreshes_the_cached_progress(client):
    campaign = CampaignFactory()
    url = reverse("donations:progress", args=[campaign.slug])
    assert client.get(url).json()["raised"] == 0
    assert client.get(url)["X-Cache"] == "hit"
    DonationFactory(campaign=campaign, amount=40_00)
    assert client.get(url).json()["raised"] == 40_00


def test_a_csv_import_refreshes_the_cached_progress(
    client, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory()
    url = reverse("donations:progress", args=[campaign.slug])
    client.get(url)
    text = (
        "id,Created date (UTC),Amount,Currency,Status\n"
        "ch_1,2026-03-05 14:22:01,25.00,usd,Paid\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_rows(text, campaign)
    assert client.get(url).json()["raised"] == 25_00
