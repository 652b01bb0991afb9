"""Each worker keeps the appeals a kind of page may show for a moment
(donations.slots.Candidates): a page then reads them from memory, yet a change made
here shows at once, one made elsewhere within WORKER_MEMO_SECONDS, and no page gets
another kind's appeals."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from donations import slots
from donations.models import AppealVariant
from newsroom.memo import memo
from tests.factories import (
    AppealFactory,
    AppealVariantFactory,
    ArticleFactory,
    SectionFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("memo_clock")]


HEADING = re.compile(r'class="appeal__heading" id="[^"]+">([^<]*)<')


def headings(response):
    """The appeal headings a page carries, each once, sorted."""
    return sorted(set(HEADING.findall(response.content.decode())))


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(captured)


def test_pages_of_a_kind_read_their_appeals_once(client):
    section = SectionFactory()
    first, second = ArticleFactory.create_batch(2, section=section)
    AppealVariantFactory(heading="Chip in")
    client.get(first.get_absolute_url())  # chooses related stories
    client.get(second.get_absolute_url())
    memo.forget()
    response, cold = queries(client, first.get_absolute_url())
    assert headings(response) == ["Chip in"]
    response, warm = queries(client, second.get_absolute_url())
    assert headings(response) == ["Chip in"]
    assert warm == cold - 2  # the appeals, and the masthead's sections


def test_a_change_made_here_shows_on_the_next_page(client):
    article = ArticleFactory()
    variant = AppealVariantFactory(heading="Chip in")
    assert headings(client.get(article.get_absolute_url())) == ["Chip in"]
    variant.heading = "Give today"
    variant.save()
    assert headings(client.get(article.get_absolute_url())) == ["Give today"]


def test_a_change_made_elsewhere_shows_within_the_memo_seconds(client, memo_clock):
    article = ArticleFactory()
    variant = AppealVariantFactory(heading="Chip in")
    url = article.get_absolute_url()
    assert headings(client.get(url)) == ["Chip in"]
    # Another worker's change: this process gets no signal.
    AppealVariant.objects.filter(pk=variant.pk).update(heading="Give today")
    memo_clock[0] += 1.9
    assert headings(client.get(url)) == ["Chip in"]
    memo_clock[0] += 0.1
    assert headings(client.get(url)) == ["Give today"]


def test_each_kind_of_page_keeps_its_own_appeals(client):
    politics, sports = SectionFactory.create_batch(2)
    in_politics = ArticleFactory(section=politics)
    in_sports = ArticleFactory(section=sports)
    developing = ArticleFactory(section=politics, developing=True)
    quiet = ArticleFactory(section=politics, no_appeals=True)
    targeted = AppealFactory(variants=[])
    targeted.sections.set([politics])
    AppealVariantFactory(appeal=targeted, heading="For politics readers")
    AppealVariantFactory(
        appeal=AppealFactory(variants=[], developing="never"), heading="Not live"
    )
    AppealVariantFactory(appeal=AppealFactory(variants=[], placement="top"))
    pages = {
        article: headings(client.get(article.get_absolute_url()))
        for article in (in_politics, in_sports, developing, quiet)
    }
    assert "For politics readers" in pages[in_politics]
    assert "For politics readers" not in pages[in_sports]
    assert "Not live" in pages[in_politics]
    assert "Not live" not in pages[developing]
    assert pages[quiet] == []
    # The front page has no inline slot and shows no section's appeals.
    front = headings(client.get("/"))
    assert "For politics readers" not in front
    assert len(front) == 1


def test_each_page_numbers_its_own_copies(client):
    article = ArticleFactory()
    AppealVariantFactory()
    AppealVariantFactory(appeal=AppealFactory(variants=[], placement="top"))
    first = slots.PageAppeals.for_page(["inline", "end"], article)
    both = slots.PageAppeals.for_page(["top", "inline", "end"], article)
    again = slots.PageAppeals.for_page(["inline", "end"], article)
    assert [v.n for v in first.variants] == [1]
    assert [v.n for v in both.variants] == [1, 2]
    assert [v.n for v in again.variants] == [1]
    assert first.variants[0] is not again.variants[0]
