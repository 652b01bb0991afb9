"""
Full-text search over published articles, in PostgreSQL.

Each article keeps its search document in ``Article.search_vector`` (GIN-indexed):
the headline weighs most (A), then the dek and the tag names (B), then the body (C),
as the plain text readers read (``Article.body_text``, from ``richtext.plain_text``:
the same words as the story's structured data and feeds, and its snippets).
``ArticleQuerySet.update_search_vectors()`` rebuilds it (from
``articles.models.article.document()``) in one UPDATE; the article's
save() and every change to its tags call it (the admin saves tags after the article,
so the article's own save cannot see them).

Readers type what they would type into a web search engine: ``"quoted phrases"``,
``-excluded`` words and ``or``. PostgreSQL's ``websearch_to_tsquery`` reads that and
never fails on junk, so no input can turn into a syntax error. Words are stemmed in
the site's language (``LANGUAGE_CODE``); after changing it, run
``manage.py update_search_vectors``.

Snippets come from ``ts_headline``, which marks matches but does not escape the text
around them. So the database marks matches with two control characters that never
occur in an article, and ``highlight()`` escapes the whole text first and only then
turns the markers into ``<mark>``: nothing in an article can become markup.
"""

import html
from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import F, Value
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

# PostgreSQL's built-in text search configurations, by language code. Other
# languages are searched word for word, without stemming ("simple").
CONFIGS = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}

# A search is a few words, not a document: longer input is cut here, and the reader
# is told.
MAX_QUERY_LENGTH = 200

# Results are ranked, so only the best ones are worth paging through; counting stops
# here, so a common word costs no more than a rare one.
MAX_RESULTS = 500

# Where ts_headline starts and stops a match. Removed from the text beforehand, so
# only the database's own markers can become <mark>.
START, STOP = "\x02", "\x03"


def search_config():
    """The text search configuration for the site's language."""
    return CONFIGS.get(settings.LANGUAGE_CODE.split("-")[0].lower(), "simple")


def parse(text):
    """A reader's words as a query, in web-search syntax."""
    return SearchQuery(text, search_type="websearch", config=search_config())


# One page of results, best (or newest) first. The matches are ranked once, in a
# narrow list of (id, published_at, rank) that also gives their number; only the
# rows shown are read whole and get their highlighted headline and snippet.
PAGE_SQL = """
WITH matches (id, published_at, rank) AS MATERIALIZED ({matches}),
shown AS (SELECT * FROM matches ORDER BY {order} LIMIT %s OFFSET %s)
SELECT a.id, a.slug, a.section_id, a.published_at, shown.rank,
    (SELECT count(*) FROM matches) AS total,
    ts_headline(%s::regconfig, translate(a.headline, %s, ''), q, %s)
        AS marked_headline,
    ts_headline(
        %s::regconfig,
        translate(
            coalesce(a.dek, '') || ' ' || a.body_text,
            %s,
            ''
        ),
        q,
        %s
    ) AS marked_snippet
FROM shown
JOIN articles_article a ON a.id = shown.id
CROSS JOIN websearch_to_tsquery(%s::regconfig, %s) AS q
ORDER BY {shown_order}
"""

ORDERS = {
    "relevance": "rank DESC, published_at DESC, id DESC",
    "newest": "published_at DESC, id DESC",
}

HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
SNIPPET_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=15, "
    "MaxFragments=2, FragmentDelimiter=' … '"
)


class ResultsPaginator(Paginator):
    """Pages through the first MAX_RESULTS of `total` matches."""

    def __init__(self, total, per_page):
        super().__init__((), per_page)
        self.total = total
        self.count = min(total, MAX_RESULTS)  # instead of counting object_list

    @property
    def capped(self):
        return self.total > MAX_RESULTS


def results_page(queryset, text, order, number, per_page):
    """Page `number` (as the reader typed it) of the articles in `queryset`
    (published, filtered) matching `text`, as a Django Page: Article rows with
    their id, slug, section_id and published_at, plus `rank`, `marked_headline`
    and `marked_snippet` (pass those two through highlight()). Its paginator knows
    how many matched in all (`total`). One query; InvalidPage for a page that does
    not exist, before any search for a page past MAX_RESULTS."""
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise PageNotAnInteger(_("That page number is not an integer")) from None
    if not 1 <= number <= max(1, -(-MAX_RESULTS // per_page)):
        raise EmptyPage(_("That page contains no results"))
    order = order if order in ORDERS else "relevance"
    query = parse(text)
    rank = SearchRank(F("search_vector"), query) if order == "relevance" else Value(0)
    matches = (
        queryset.filter(search_vector=query)
        .annotate(rank=rank)
        .order_by()
        .values_list("pk", "published_at", "rank")
    )
    matches_sql, matches_params = matches.query.sql_with_params()
    config = search_config()
    markers = START + STOP
    rows = list(
        queryset.model.objects.raw(
            PAGE_SQL.format(
                matches=matches_sql,
                order=ORDERS[order],
                shown_order=", ".join(
                    f"shown.{term}" for term in ORDERS[order].split(", ")
                ),
            ),
            [
                *matches_params,
                min(per_page, MAX_RESULTS - (number - 1) * per_page),
                (number - 1) * per_page,
                config,
                markers,
                HEADLINE_OPTIONS,
                config,
                markers,
                SNIPPET_OPTIONS,
                config,
                text,
            ],
        )
    )
    if not rows and number > 1:
        raise EmptyPage(_("That page contains no results"))
    paginator = ResultsPaginator(rows[0].total if rows else 0, per_page)
    return Page(rows, paginator.validate_number(number), paginator)


def has_words(text):
    """Whether `text` holds any word search can use (not only stop words or
    punctuation): one query, asked only when nothing matched, to say why."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT numnode(websearch_to_tsquery(%s::regconfig, %s)) > 0",
            [search_config(), text],
        )
        return cursor.fetchone()[0]


def highlight(marked):
    """Text marked by ts_headline as safe HTML: the text escaped, then each match
    wrapped in <mark>."""
    text = html.unescape(marked or "")
    if text.count(START) != text.count(STOP):
        text = text.replace(START, "").replace(STOP, "")
    escaped = str(escape(" ".join(text.split())))
    return mark_safe(  # noqa: S308 (escaped above; only our markers become tags)
        escaped.replace(START, "<mark>").replace(STOP, "</mark>")
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class SearchForm(forms.Form):
    """The search box and its filters. Read from the query string: no cookies, no
    CSRF token, the same page for everyone asking the same thing."""

    q = forms.CharField(
        label=_("Search for"),
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "maxlength": MAX_QUERY_LENGTH, "size": 30}
        ),
        help_text=_(
            'Use "quotation marks" for a phrase and a minus sign to leave a word '
            "out: council -budget"
        ),
    )
    section = forms.ChoiceField(label=_("Section"), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput)
    end = forms.DateField(label=_("To"), required=False, widget=DateInput)
    order = forms.ChoiceField(
        label=_("Order"),
        choices=[("", _("Most relevant first")), ("newest", _("Newest first"))],
        required=False,
    )

    def __init__(self, *args, sections, **kwargs):
        """`sections`: the site's sections (Section.objects.in_menu())."""
        super().__init__(*args, **kwargs)
        self.sections = {section.slug: section for section in sections}
        self.fields["section"].choices = [("", _("All sections"))] + [
            (section.slug, section.name) for section in sections
        ]
        self.shortened = False

    def clean_section(self):
        return self.sections.get(self.cleaned_data["section"])

    def clean_q(self):
        text = " ".join(self.cleaned_data["q"].split())
        if len(text) > MAX_QUERY_LENGTH:
            self.shortened = True
            cut = text[:MAX_QUERY_LENGTH]
            # Whole words only, unless it is all one "word".
            if text[MAX_QUERY_LENGTH] != " " and " " in cut:
                cut = cut.rsplit(" ", 1)[0]
            text = cut
        return text

    def clean(self):
        cleaned = super().clean()
        for name in ("start", "end"):
            day = cleaned.get(name)
            if day and not 1900 <= day.year <= 2999:
                self.add_error(name, _("Give a date between 1900 and 2999."))
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned

    def filter(self, queryset):
        """`queryset` narrowed to the chosen section and dates (in the newsroom's
        time zone: "to March 3" includes all of March 3)."""
        data = self.cleaned_data
        if data.get("section"):
            queryset = queryset.filter(section=data["section"])
        if data.get("start"):
            start = timezone.make_aware(datetime.combine(data["start"], time.min))
            queryset = queryset.filter(published_at__gte=start)
        if data.get("end"):
            end = data["end"] + timedelta(days=1)
            queryset = queryset.filter(
                published_at__lt=timezone.make_aware(datetime.combine(end, time.min))
            )
        return queryset

    def has_filters(self):
        return any(self.cleaned_data.get(name) for name in ("section", "start", "end"))
