"""The page cache is never stale: with pages stored by the subjects they show
(newsroom.cache), every kind of change made by the ORM leaves every warmed reader
page serving exactly what a cold render serves, while pages that do not show what
changed stay cached.

The URLs are generated from the URLconf: every named articles pattern is warmed or
named in NOT_READER_PAGES, so a new page cannot be left out unnoticed.

Changes made with queryset.update() or raw SQL send no signal and bump nothing:
the page cache does not see them before PAGE_CACHE_SECONDS (as before scoped
generations); bump() by hand after one. Not tested here on purpose.
"""

import re
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import resolve, reverse
from django.utils import timezone

from articles import urls as articles_urls
from articles.models import Article, Correction, Update
from newsroom import cache as page_cache
from tests.factories import (
    AppealFactory,
    ArticleFactory,
    AuthorFactory,
    CorrectionFactory,
    DraftFactory,
    ImageFactory,
    PullQuoteFactory,
    SectionFactory,
    TagFactory,
    UpdateFactory,
)
from tests.test_cache import REDIS_CACHE, needs_redis

# Not pages a reader's GET is cached for: forms, uploads, per-request images.
NOT_READER_PAGES = {
    "preview",
    "editor-image-upload",
    "republish-pixel",
    "quote-image",
    "republish",
}
SINCE = "?since=2000-01-01T00:00:00%2B00:00"


@pytest.fixture
def site(settings):
    settings.CACHES = REDIS_CACHE
    settings.PAGE_CACHE_SECONDS = 600
    cache.clear()
    page_cache.local_pages.clear()
    page_cache.local_pages.forget()
    section, other_section = SectionFactory(), SectionFactory()
    tag, other_tag = TagFactory(), TagFactory()
    author, other_author = AuthorFactory(), AuthorFactory()
    image = ImageFactory()
    now = timezone.now()
    # The developing story, and one another story shows as related.
    story = ArticleFactory(
        section=section,
        authors=[author],
        developing=True,
        featured_image=image,
        published_at=now - timedelta(hours=1),
    )
    story.tags.set([tag])
    related = ArticleFactory(
        section=section, authors=[author], published_at=now - timedelta(hours=2)
    )
    related.tags.set([tag])
    # Stories that show nothing of it: the pages that must stay cached. Published
    # before them, so that they are in no other's related list by recency either.
    others = [
        ArticleFactory(
            section=other_section,
            authors=[other_author],
            published_at=now - timedelta(days=400 + n),
        )
        for n in range(2)
    ]
    for other in others:
        other.tags.set([other_tag])
    UpdateFactory(article=story, headline="First update")
    CorrectionFactory(article=story)
    PullQuoteFactory(article=story)
    AppealFactory()
    draft = DraftFactory(section=section, authors=[author])
    yield {
        "story": story,
        "related": related,
        "others": others,
        "section": section,
        "other_section": other_section,
        "tag": tag,
        "other_tag": other_tag,
        "author": author,
        "other_author": other_author,
        "image": image,
        "draft": draft,
    }
    cache.clear()
    page_cache.local_pages.clear()
    page_cache.local_pages.forget()


def urls_of(site):
    """Every reader page of the articles URLconf, for the stories of `site`."""
    stories = [site["story"], site["related"], *site["others"]]
    urls = set()
    for pattern in articles_urls.urlpatterns:
        if pattern.name in NOT_READER_PAGES:
            continue
        for kwargs in kwargs_for(pattern.name, site, stories):
            url = reverse(f"articles:{pattern.name}", kwargs=kwargs)
            urls.add(url + SINCE if pattern.name == "updates" else url)
    return sorted(urls)


def kwargs_for(name, site, stories):
    """The URL keyword arguments of the pages named `name` for these stories."""
    if name == "detail":
        return [resolve(story.get_absolute_url()).kwargs for story in stories]
    if name.startswith("updates"):
        return [{"slug": story.slug} for story in stories]
    if name == "sitemap":
        return [{"section": s.slug} for s in (site["section"], site["other_section"])]
    for kind in ("section", "tag", "author"):
        if name.startswith(kind):
            return [{"slug": one.slug} for one in (site[kind], site[f"other_{kind}"])]
    if name.startswith("archive-"):
        day = timezone.localtime(site["others"][0].published_at)
        numbers = {"year": day.year, "month": day.month, "day": day.day}
        count = {"archive-year": 1, "archive-month": 2, "archive-day": 3}[name]
        return [dict(list(numbers.items())[:count])]
    pull_quote = site["story"].pull_quotes.select_related("quote__speaker").get()
    if name == "quote":
        return [{"pk": pull_quote.quote.pk}]
    if name == "speaker":
        return [{"slug": pull_quote.quote.speaker.slug}]
    return [{}]


ISO_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00")


def as_rendered(body, since):
    """The body with the times after `since` written NOW: a feed with no entries
    says it was updated when it was rendered."""

    def now(match):
        moment = datetime.fromisoformat(match.group().decode())
        return b"NOW" if moment >= since else match.group()

    return ISO_TIME.sub(now, body)


def served(client, urls, since):
    """{url: (status, body, X-Cache)} as the page cache serves them."""
    found = {}
    for url in urls:
        response = client.get(url)
        body = as_rendered(response.content, since)
        found[url] = (response.status_code, body, response.get("X-Cache"))
    return found


def cold(client, urls, settings, since):
    settings.PAGE_CACHE_SECONDS = 0
    try:
        return {url: found[:2] for url, found in served(client, urls, since).items()}
    finally:
        settings.PAGE_CACHE_SECONDS = 600


def publish(article):
    article.status = "published"
    article.published_at = timezone.now() - timedelta(minutes=30)
    article.save()


def unpublish(article):
    article.status = "draft"
    article.save()


def rename(row, field="name"):
    setattr(row, field, f"{getattr(row, field)} (renamed)")
    row.save()


def edit_update(site):
    update = Update.objects.get(article=site["story"], headline="First update")
    update.headline = "First update, edited"
    update.save()


def edit_appeal_variant(site):
    from donations.models import AppealVariant

    variant = AppealVariant.objects.first()
    variant.heading = "Chip in, edited"
    variant.save()


# What a change may change: the story's subject only (the pages that must stay
# cached are those of `others`), or anything.
ITS_STORY, ANYTHING = "its story", "anything"
CHANGES = {
    "new update": (
        ITS_STORY,
        lambda site: UpdateFactory(article=site["story"], headline="Breaking"),
    ),
    "edited update": (ITS_STORY, edit_update),
    "deleted update": (
        ITS_STORY,
        lambda site: Update.objects.filter(article=site["story"]).delete(),
    ),
    "new correction": (
        ITS_STORY,
        lambda site: CorrectionFactory(article=site["story"], body="<p>Fixed.</p>"),
    ),
    "deleted correction": (
        ITS_STORY,
        lambda site: [c.delete() for c in Correction.objects.all()],
    ),
    "headline edit": (ANYTHING, lambda site: rename(site["story"], "headline")),
    "unpublished": (ANYTHING, lambda site: unpublish(site["story"])),
    "draft published": (ANYTHING, lambda site: publish(site["draft"])),
    "section renamed": (ANYTHING, lambda site: rename(site["section"])),
    "tag renamed": (ANYTHING, lambda site: rename(site["tag"])),
    "author renamed": (ANYTHING, lambda site: rename(site["author"])),
    "image credit": (ANYTHING, lambda site: rename(site["image"], "credit")),
    "appeal edited": (ANYTHING, edit_appeal_variant),
    "story deleted": (
        ANYTHING,
        lambda site: Article.objects.get(pk=site["story"].pk).delete(),
    ),
}


@needs_redis
@pytest.mark.django_db
@pytest.mark.parametrize("change", CHANGES)
def test_every_warmed_page_serves_what_a_cold_render_serves_after_a_change(
    change, site, client, settings, django_capture_on_commit_callbacks
):
    since = timezone.now()
    urls = urls_of(site)
    assert len(urls) > 30
    warm = served(client, urls, since)
    assert served(client, urls, since) == {
        url: (status, body, "hit") for url, (status, body, _) in warm.items()
    }, "every reader page is cached once warmed"
    scope, make = CHANGES[change]
    with django_capture_on_commit_callbacks(execute=True):
        make(site)
    now = served(client, urls, since)
    assert {url: found[:2] for url, found in now.items()} == cold(
        client, urls, settings, since
    )
    if scope == ITS_STORY:
        # Pages of the scoped views (newsroom.cache.scoped_views) that show nothing
        # of the story; feeds and sitemaps depend on every story.
        untouched = [
            url
            for url in urls
            if page_cache.is_scoped(resolve(url.split("?")[0]).view_name)
            and (
                any(other.slug in url for other in site["others"])
                or site["other_section"].slug in url
                or site["other_tag"].slug in url
                or site["other_author"].slug in url
            )
        ]
        assert len(untouched) >= 8, untouched
        assert {url: now[url][2] for url in untouched} == dict.fromkeys(
            untouched, "hit"
        ), "pages that do not show the story stay cached"
