"""The masthead and footer come from each worker's memo (newsroom.memo): rendered
once, yet a section added here shows on the next page, one renamed elsewhere within
WORKER_MEMO_SECONDS, and each page marks its own navigation link as current."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles.models import Section
from tests.factories import SectionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("memo_clock")]

NAV = re.compile(r'<nav class="site-nav".*?</nav>', re.S)
CURRENT = re.compile(r'<a href="([^"]+)" aria-current="page">')


def nav(response):
    assert response.status_code == 200
    return NAV.search(response.content.decode()).group(0)


def test_the_masthead_is_read_once_per_kind_of_page(client):
    SectionFactory(name="Politics")
    client.get("/about/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/about/")
    assert "Politics" in nav(response)
    assert not [q for q in captured if "articles_section" in q["sql"]]


def test_a_section_added_here_shows_on_the_next_page(client):
    SectionFactory(name="Politics")
    assert "Climate" not in nav(client.get("/about/"))
    SectionFactory(name="Climate")
    assert "Climate" in nav(client.get("/about/"))


def test_a_section_renamed_elsewhere_shows_within_the_memo_seconds(client, memo_clock):
    section = SectionFactory(name="Politics")
    assert "Politics" in nav(client.get("/about/"))
    # Another worker's change: this process gets no signal.
    Section.objects.filter(pk=section.pk).update(name="Power")
    memo_clock[0] += 1.9
    assert "Politics" in nav(client.get("/about/"))
    memo_clock[0] += 0.1
    assert "Power" in nav(client.get("/about/"))


def test_each_page_marks_its_own_link_as_current(client):
    politics, climate = SectionFactory.create_batch(2)
    pages = {
        politics.get_absolute_url(): politics.get_absolute_url(),
        climate.get_absolute_url(): climate.get_absolute_url(),
        "/latest/": "/latest/",
        "/quotes/": "/quotes/",
        "/about/": None,
    }
    for url, current in pages.items():
        marked = CURRENT.findall(nav(client.get(url)))
        assert marked == ([current] if current else []), url


def test_the_footer_is_the_same_everywhere(client):
    SectionFactory()
    footers = {
        re.search(r'<footer class="site-footer">.*?</footer>', page, re.S).group(0)
        for page in (client.get(url).content.decode() for url in ("/", "/about/"))
    }
    assert len(footers) == 1
    assert "No selling of your data." in footers.pop()
