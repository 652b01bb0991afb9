"""
Reader pages in a real browser: axe-core finds no serious or critical
accessibility problem, nothing overflows a 320-pixel screen (or a 1280-pixel one at
200% zoom), and nothing is requested from another site.

axe-core comes from npm (package.json; `make test` installs it) and is injected
into Debian's Chromium by Playwright.
"""

from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import (
    ArticleFactory,
    AuthorFactory,
    ImageFactory,
    SectionFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = {"serious", "critical"}
AXE_RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")),
  }));
}"""
WIDER_THAN_THE_SCREEN = """() =>
  document.documentElement.scrollWidth - document.documentElement.clientWidth"""


@pytest.fixture
def site():
    """A small newsroom: sections, a story with several authors, tags, a picture,
    related stories and a developing one."""
    politics = SectionFactory(name="Politics", slug="politics")
    SectionFactory(name="Education", slug="education")
    tags = [TagFactory(name="Budget"), TagFactory(name="City council")]
    authors = [AuthorFactory(name="Ana Ruiz"), AuthorFactory(name="Ben Cole")]
    story = ArticleFactory(
        headline="Council passes the budget",
        dek="Libraries open on Sundays, and two crossing guards are hired.",
        body=(
            "<p>The council voted 7-2 after three hours of comment.</p>"
            "<h2>What changes</h2><ul><li>Sunday hours</li><li>Guards</li></ul>"
            "<blockquote><p>We heard you.</p></blockquote>"
        ),
        section=politics,
        featured_image=ImageFactory(),
        authors=authors,
    )
    story.tags.set(tags)
    for n in range(4):
        other = ArticleFactory(
            headline=f"Council story number {n}",
            section=politics,
            featured_image=ImageFactory() if n % 2 else None,
        )
        other.tags.set(tags[: n % 2 + 1])
    ArticleFactory(headline="River crests tonight", developing=True)
    return story


def reader_pages(story):
    return {
        "home": "/",
        "article": story.get_absolute_url(),
        "section": story.section.get_absolute_url(),
        "search": "/search/?q=council",
    }


@pytest.fixture
def reader(browser):
    # axe-core is injected as a script of its own, which the site's CSP would
    # (rightly) refuse: this browser context alone ignores the CSP.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    yield context.new_page()
    context.close()


def test_reader_pages_have_no_serious_accessibility_problems(live_server, reader, site):
    if not AXE.exists():
        pytest.skip("axe-core is missing: run `npm ci` (make test does)")
    problems = {}
    for name, path in reader_pages(site).items():
        reader.goto(live_server.url + path)
        reader.add_script_tag(path=str(AXE))
        violations = reader.evaluate(AXE_RUN)
        serious = [v for v in violations if v["impact"] in SERIOUS]
        if serious:
            problems[name] = serious
    assert problems == {}


@pytest.mark.parametrize("width", [320, 640])
def test_reader_pages_fit_a_narrow_screen(live_server, browser, site, width):
    """320 CSS pixels is a small phone; 640 is a 1280-pixel window at 200% zoom."""
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    for name, path in reader_pages(site).items():
        page.goto(live_server.url + path)
        overflow = page.evaluate(WIDER_THAN_THE_SCREEN)
        assert overflow <= 0, f"{name} is {overflow}px too wide at {width}px"
    context.close()


def test_reader_pages_request_nothing_from_other_sites(live_server, browser, site):
    context = browser.new_context()
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    for path in reader_pages(site).values():
        page.goto(live_server.url + path, wait_until="networkidle")
    context.close()
    assert requested
    assert [url for url in requested if not url.startswith(live_server.url)] == []


def test_keyboard_users_can_skip_to_the_content(live_server, reader, site):
    reader.goto(live_server.url + site.get_absolute_url())
    reader.keyboard.press("Tab")
    skip = reader.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # visible once focused
    reader.keyboard.press("Enter")
    assert reader.evaluate("document.activeElement.id") == "main"
