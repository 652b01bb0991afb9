"""Appeals rendered into their slots: hidden, with their rules as data, the same for
every reader."""

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from donations.models import AppealSettings
from donations.slots import MAX_CANDIDATES
from tests.donations.conftest import appeal_data
from tests.factories import (
    AppealFactory,
    AppealVariantFactory,
    ArticleFactory,
    CampaignFactory,
    DonationFactory,
    SectionFactory,
)

pytestmark = pytest.mark.django_db

BODY = "<p>First.</p><p>Second.</p><p>Third.</p><p>Fourth.</p>"
APPEAL = re.compile(r'<aside class="appeal appeal--(\w+)" data-appeal-n="(\d+)"')


def slots(response):
    """(placement, n) of every appeal element on the page, in page order."""
    return APPEAL.findall(response.content.decode())


def test_an_inline_appeal_is_rendered_hidden_after_its_paragraph(client):
    article = ArticleFactory(body=BODY)
    appeal = AppealFactory(paragraph=2)
    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    variant = appeal.variants.get()
    assert slots(response) == [("inline", "1")]
    second, aside, third = (
        page.index("<p>Second.</p>"),
        page.index('class="appeal appeal--inline"'),
        page.index("<p>Third.</p>"),
    )
    assert second < aside < third
    assert f'data-appeal="{appeal.pk}" data-variant="{variant.pk}"' in page
    # Nothing on the element itself makes it visible: only the <head> script's choice.
    assert "hidden" not in page[aside - 60 : aside + 200]


def test_the_page_carries_every_candidate_with_its_rules(client):
    article = ArticleFactory(body=BODY)
    inline = AppealFactory(paragraph=1, variants=["A", "B"], priority=5)
    end = AppealFactory(placement="end", cap_views=3, cap_days=7, min_articles_read=2)
    top = AppealFactory(placement="top", readers="returning", dismiss_days=14)
    response = client.get(article.get_absolute_url())
    data = appeal_data(response)
    assert data["article"] == article.pk
    assert data["beacon"] == reverse("donations:event")
    rules = {rule["id"]: rule for rule in data["appeals"]}
    assert set(rules) == {inline.pk, end.pk, top.pk}
    assert [v["id"] for v in rules[inline.pk]["variants"]] == sorted(
        inline.variants.values_list("pk", flat=True)
    )
    assert rules[inline.pk]["priority"] == 5
    assert rules[end.pk]["cap"] == [3, 7]
    assert rules[end.pk]["minReads"] == 2
    assert rules[top.pk]["readers"] == "returning"
    assert rules[top.pk]["dismissDays"] == 14
    # Page numbers in the JSON are the numbers on the elements, top to bottom.
    numbers = {
        str(v["n"]): rule["placement"]
        for rule in data["appeals"]
        for v in rule["variants"]
    }
    assert {n: placement for placement, n in slots(response)} == numbers
    assert [placement for placement, _n in slots(response)] == [
        "top",
        "inline",
        "inline",
        "end",
    ]


def test_the_end_slot_follows_the_body(client):
    article = ArticleFactory(body=BODY)
    AppealFactory(placement="end")
    page = client.get(article.get_absolute_url()).content.decode()
    assert page.index("<p>Fourth.</p>") < page.index('class="appeal appeal--end"')


def test_a_page_is_identical_for_every_reader(client, django_user_model):
    """No per-reader decision on the server: the page can be cached for everyone."""
    from django.test import Client

    article = ArticleFactory(body=BODY)
    AppealFactory(paragraph=1, variants=["A", "B"])
    AppealFactory(placement="top")
    first = Client().get(article.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
    other = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    other.cookies["newsroom"] = "something a reader's browser sent"
    second = other.get(article.get_absolute_url(), HTTP_USER_AGENT="Another/1.0")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert "Set-Cookie" not in first and "Set-Cookie" not in second


def test_an_article_marked_no_appeals_renders_no_candidates(client):
    article = ArticleFactory(body=BODY, no_appeals=True)
    AppealFactory()
    AppealFactory(placement="top")
    response = client.get(article.get_absolute_url())
    assert slots(response) == []
    assert appeal_data(response)["appeals"] == []


def test_the_pause_switch_empties_every_slot(client):
    article = ArticleFactory(body=BODY)
    AppealFactory()
    AppealSettings.objects.create(paused=True)
    response = client.get(article.get_absolute_url())
    assert slots(response) == []


def test_section_targeted_appeals_render_only_on_their_sections(client):
    politics = SectionFactory()
    appeal = AppealFactory(placement="end")
    appeal.sections.set([politics])
    on = client.get(ArticleFactory(section=politics).get_absolute_url())
    off = client.get(ArticleFactory().get_absolute_url())
    assert slots(on) == [("end", "1")]
    assert slots(off) == []


def test_home_has_the_top_home_and_overlay_slots(client):
    ArticleFactory()
    for placement in ("top", "home", "overlay", "inline", "end"):
        AppealFactory(placement=placement)
    response = client.get(reverse("articles:home"))
    assert sorted(p for p, _n in slots(response)) == ["home", "overlay", "top"]


def test_appeal_copy_is_sanitized(client):
    article = ArticleFactory(body=BODY)
    appeal = AppealFactory(variants=[])
    AppealVariantFactory(
        appeal=appeal,
        heading="<b>Bold</b> claim",
        body='<p onclick="x()">Give<script>alert(1)</script></p>',
    )
    page = client.get(article.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; claim" in page
    assert "alert(1)" not in page
    assert "onclick" not in page


def test_suggested_amounts_and_progress_render_on_the_appeal(client):
    campaign = CampaignFactory(goal=1_000_00)
    DonationFactory(campaign=campaign, amount=250_00)
    appeal = AppealFactory(
        campaign=campaign,
        placement="end",
        suggested_amounts=[10, 25],
        show_progress=True,
    )
    variant = appeal.variants.get()
    page = client.get(ArticleFactory().get_absolute_url()).content.decode()
    assert (
        f"/donate/?campaign={campaign.slug}&amp;amount=25&amp;appeal={appeal.pk}"
        f"&amp;variant={variant.pk}"
    ) in page
    assert 'class="progress__fill" width="25.00"' in page
    assert "$250" in page
    assert reverse("donations:progress", args=[campaign.slug]) in page
    # The button opens the donate form, which tells the processor the appeal.
    assert (
        f'class="appeal__button" href="/donate/?campaign={campaign.slug}'
        f'&amp;appeal={appeal.pk}&amp;variant={variant.pk}"'
    ) in page
    assert "/donate/give/" not in page


def test_query_count_is_the_same_with_no_and_with_ten_eligible_appeals(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    article = ArticleFactory(body=BODY)
    url = article.get_absolute_url()
    client.get(url)  # the first reader chooses the related stories, once
    with CaptureQueriesContext(connection) as none:
        assert client.get(url).status_code == 200
    politics = SectionFactory()
    campaign = CampaignFactory()
    DonationFactory.create_batch(3, campaign=campaign)
    placements = ["top", "inline", "end", "overlay", "inline"] * 2
    for index, placement in enumerate(placements):
        appeal = AppealFactory(
            campaign=campaign,
            placement=placement,
            variants=["A", "B"],
            show_progress=index % 2 == 0,
            suggested_amounts=[5, 10],
            paragraph=index % 4 + 1,
        )
        if index % 3 == 0:
            appeal.sections.set([politics, article.section])
    with CaptureQueriesContext(connection) as ten:
        response = client.get(url)
    assert len(appeal_data(response)["appeals"]) == 10
    assert len(slots(response)) == 20
    assert len(ten.captured_queries) == len(none.captured_queries)
    # Appeals cost the page one query, with or without any to show.
    for captured in (none, ten):
        appeal_queries = [
            q["sql"] for q in captured.captured_queries if "donations_" in q["sql"]
        ]
        assert len(appeal_queries) == 1


def test_the_inline_script_is_allowed_by_its_hash_not_a_nonce(client):
    article = ArticleFactory()
    AppealFactory()
    response = client.get(article.get_absolute_url())
    page = response.content.decode()
    inline = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    assert inline == [settings.APPEAL_ENGINE]
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    policy = response["Content-Security-Policy"]
    script_src = next(
        d for d in policy.split(";") if d.strip().startswith("script-src")
    )
    assert f"'sha256-{digest}'" in script_src.split()
    assert "'unsafe-inline'" not in script_src
    assert "nonce-" not in page


def test_the_stylesheet_shows_every_position_a_page_can_use():
    css = (settings.BASE_DIR / "static" / "css" / "donations.css").read_text()
    shown = {
        int(a)
        for a, b in re.findall(
            r'html\[data-appeals~="(\d+)"\] \.appeal\[data-appeal-n="(\d+)"\]', css
        )
        if a == b
    }
    assert shown == set(range(1, MAX_CANDIDATES + 1))


def test_a_page_renders_at_most_the_candidates_the_stylesheet_can_show(client):
    article = ArticleFactory()
    low = AppealFactory(placement="end", priority=-1)
    for _ in range(MAX_CANDIDATES):
        AppealFactory(placement="end", priority=5)
    response = client.get(article.get_absolute_url())
    data = appeal_data(response)
    assert len(slots(response)) == MAX_CANDIDATES
    assert low.pk not in {rule["id"] for rule in data["appeals"]}


def test_an_appeal_that_ended_stays_in_cached_pages_only_until_its_end(client):
    """The engine compares the end time with the reader's clock, so a cached page
    stops showing an ended appeal even before the cache expires."""
    ends = timezone.now() + timedelta(minutes=5)
    appeal = AppealFactory(ends_at=ends)
    data = appeal_data(client.get(ArticleFactory().get_absolute_url()))
    assert data["appeals"][0]["ends"] == int(ends.timestamp() * 1000)
    assert data["appeals"][0]["id"] == appeal.pk


def test_the_not_found_page_still_renders(client):
    AppealFactory(placement="top")
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert slots(response) == [("top", "1")]


def test_previews_show_appeals_but_count_nothing(client):
    """A draft shown to staff and a signed preview link tell the page script not to
    count or remember; the page readers get (cached for all) says nothing."""
    from articles.views import preview_link_for
    from tests.factories import DraftFactory, UserFactory

    AppealFactory(placement="end")
    draft = DraftFactory()
    published = ArticleFactory()
    reader_page = client.get(published.get_absolute_url())
    assert "counting" not in appeal_data(reader_page)
    assert len(appeal_data(reader_page)["appeals"]) == 1
    link = client.get(preview_link_for(draft))
    assert link.status_code == 200
    assert appeal_data(link)["counting"] is False
    assert len(appeal_data(link)["appeals"]) == 1
    assert appeal_data(client.get(preview_link_for(published)))["counting"] is False
    client.force_login(UserFactory(role="Editor"))
    staff_draft = client.get(draft.get_absolute_url())
    assert staff_draft.status_code == 200
    assert appeal_data(staff_draft)["counting"] is False
    # Staff on a public page get the readers' page; the server ignores their beacons.
    assert "counting" not in appeal_data(client.get(published.get_absolute_url()))
