"""
schema.org structured data (JSON-LD) for search engines and link previews.

- ``publisher()``: the newsroom, a NewsMediaOrganization with its logo;
- ``news_article(article)``: a story, as NewsArticle;
- ``website()``: the site, with a SearchAction pointing at our search page.

Every builder returns a plain dict with absolute URLs (from SITE_URL, so the data is
the same whichever host name a request used); templates render it with the
``json_ld`` tag, which makes it safe inside a <script> element. A developing story
is described by its own builder on top of ``news_article()`` (LiveBlogPosting).
"""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language

from richtext.plain import plain_text

from .images import shown_rendition
from .links import absolute_url

# Google shows at most this many characters of a headline.
HEADLINE_LENGTH = 110
# The logo file and its size in pixels (static/img/logo.png).
LOGO = ("img/logo.png", 600, 600)
# The picture of a story without one, for link previews and search engines (Google
# asks for an image at least 1200 pixels wide): the file in static/ and its size.
DEFAULT_IMAGE = ("img/share-default.png", 1200, 630)


def static_image(path, width, height):
    """A picture in static/ as ImageObject."""
    return {
        "@type": "ImageObject",
        "url": absolute_url(static(path)),
        "width": width,
        "height": height,
    }


def publisher():
    return {
        "@type": "NewsMediaOrganization",
        "@id": absolute_url("/#publisher"),
        "name": settings.SITE_NAME,
        "url": absolute_url("/"),
        "logo": static_image(*LOGO),
        "publishingPrinciples": absolute_url(reverse("articles:about")),
    }


def person(someone, job_title=None):
    """An author or a speaker as a Person, named by their page. `job_title` when it
    is not their title now (a quote keeps the one the speaker had then)."""
    url = absolute_url(someone.get_absolute_url())
    data = {"@type": "Person", "@id": url, "name": someone.name, "url": url}
    title = someone.title if job_title is None else job_title
    if title:
        data["jobTitle"] = title
    return data


def image_object(image):
    """An Image as ImageObject, at the size pages show it (or the original)."""
    shown = shown_rendition(image.renditions)
    url = image.fallback_url() if shown else image.file.url
    data = {"@type": "ImageObject", "url": absolute_url(url)}
    if image.width and image.height:
        data["width"], data["height"] = image.width, image.height
        if shown and shown["width"] < image.width:
            data["width"] = shown["width"]
            data["height"] = round(image.height * shown["width"] / image.width)
    if image.caption:
        data["caption"] = image.caption
    if image.credit:
        data["creditText"] = image.credit
    return data


def default_image():
    """The site's picture, for a story that has none of its own."""
    return static_image(*DEFAULT_IMAGE)


def canonical_url(article):
    return article.canonical_url or absolute_url(article.get_absolute_url())


def date_modified(article):
    """Moves only for material changes (updates, corrections), never for typo
    fixes: see Article.updated_materially_at. Reads no related rows, so feeds can
    call it for every story."""
    return max(filter(None, [article.published_at, article.updated_materially_at]))


def live_blog_update(update):
    url = absolute_url(update.get_absolute_url())
    data = {
        "@type": "BlogPosting",
        "@id": url,
        "url": url,
        "headline": update.title()[:HEADLINE_LENGTH],
        "datePublished": update.published_at.isoformat(),
        "articleBody": plain_text(update.body),
    }
    if update.author:
        data["author"] = person(update.author)
    return data


def correction(item):
    return {
        "@type": "CorrectionComment",
        "text": plain_text(item.body),
        "datePublished": item.published_at.isoformat(),
        "url": absolute_url(item.get_absolute_url()),
    }


def news_article(article):
    """A story as schema.org NewsArticle. Reads what for_page() prefetches."""
    return with_story_events(news_article_base(article), article)


def news_article_base(article):
    """What of news_article() changes only when the story or what it shows does:
    kept with the story's stored parts (articles.parts)."""
    url = absolute_url(article.get_absolute_url())
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical_url(article)},
        "headline": article.headline[:HEADLINE_LENGTH],
        "description": article.description(),
        "datePublished": article.published_at.isoformat(),
        "dateModified": date_modified(article).isoformat(),
        "author": [person(author) for author in article.byline_authors],
        "publisher": publisher(),
        "isAccessibleForFree": True,
        "inLanguage": get_language(),
        "wordCount": len(plain_text(article.body).split()),
    }
    if article.featured_image:
        data["image"] = [image_object(article.featured_image)]
    else:
        data["image"] = [default_image()]
    if article.section:
        data["articleSection"] = article.section.name
    tags = [tag.name for tag in article.tags.all()]
    if tags:
        data["keywords"] = tags
    if article.licence_url:
        data["license"] = article.licence_url
    return data


def with_story_events(data, article, describe_update=live_blog_update):
    """`data` with what appears by itself as time passes: the story's published
    corrections and, for live coverage, its updates (a LiveBlogPosting), each
    described by `describe_update` (articles.parts.update_data remembers them)."""
    data = dict(data)
    if article.shown_corrections:
        data["correction"] = [correction(c) for c in article.shown_corrections]
    if article.developing or (article.coverage_started_at and article.shown_updates):
        data["@type"] = "LiveBlogPosting"
        data["coverageStartTime"] = (
            article.coverage_started_at or article.published_at
        ).isoformat()
        if article.coverage_ended_at and not article.developing:
            data["coverageEndTime"] = article.coverage_ended_at.isoformat()
        data["liveBlogUpdate"] = [describe_update(u) for u in article.shown_updates]
    return data


def website():
    """The site, with the search box search engines may show for it."""
    return {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "@id": absolute_url("/#website"),
        "name": settings.SITE_NAME,
        "url": absolute_url("/"),
        "inLanguage": get_language(),
        "publisher": publisher(),
        "potentialAction": {
            "@type": "SearchAction",
            "target": {
                "@type": "EntryPoint",
                "urlTemplate": absolute_url(reverse("articles:search"))
                + "?q={search_term_string}",
            },
            "query-input": "required name=search_term_string",
        },
    }
