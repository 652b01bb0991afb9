"""
A realistic archive for benchmarks: by default 100,000 published articles over ten
years, a few hundred developing stories carrying 1,000,000 updates, authors, tags,
sections, speakers and quotes. Bulk inserts in batches, so it takes minutes.

Everything it makes has a slug starting with "archive-"; --delete removes it again.
"""

import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from articles.models import (
    Article,
    Author,
    Byline,
    PullQuote,
    Quote,
    Section,
    Speaker,
    Status,
    Tag,
    Update,
)
from richtext.plain import plain_text

PREFIX = "archive-"

WORDS = [
    "council",
    "budget",
    "river",
    "school",
    "teachers",
    "housing",
    "transit",
    "water",
    "police",
    "court",
    "election",
    "mayor",
    "county",
    "health",
    "hospital",
    "wildfire",
    "drought",
    "farmers",
    "library",
    "park",
    "bridge",
    "highway",
    "tax",
    "rent",
    "workers",
    "union",
    "students",
    "university",
    "museum",
    "festival",
    "immigration",
    "border",
    "clinic",
    "vaccine",
    "storm",
    "flood",
    "energy",
    "pipeline",
    "solar",
    "wind",
    "landlord",
    "tenants",
    "zoning",
    "developers",
    "neighborhood",
    "downtown",
    "airport",
    "rail",
    "bus",
]
VERBS = [
    "approves",
    "rejects",
    "delays",
    "debates",
    "expands",
    "cuts",
    "funds",
    "investigates",
    "sues",
    "announces",
    "questions",
    "warns",
    "reopens",
    "closes",
    "plans",
]
SENTENCES = [
    "Officials said the decision would take effect next month.",
    "Residents packed the meeting room, and many waited hours to speak.",
    "The proposal drew support from business groups and opposition from tenants.",
    "Records obtained by the newsroom show the cost has doubled since 2019.",
    "A spokesperson did not respond to several requests for comment.",
    "The agency has until the end of the year to submit a revised plan.",
    "Critics say the change would hit low-income families hardest.",
    "Supporters argue it is the only way to keep the service running.",
    "The vote was 5-4, with the chair casting the deciding ballot.",
    "State lawmakers are expected to take up the issue in January.",
]


def headline(rng):
    a, b = rng.sample(WORDS, 2)
    return f"{a.capitalize()} {rng.choice(VERBS)} {b} plan after months of debate"


def paragraphs(rng, count):
    return "".join(
        "<p>" + " ".join(rng.sample(SENTENCES, rng.randint(2, 4))) + "</p>"
        for _ in range(count)
    )


class Command(BaseCommand):
    help = "Generate a large archive of published content for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=100_000)
        parser.add_argument("--developing", type=int, default=300)
        parser.add_argument("--updates", type=int, default=1_000_000)
        parser.add_argument("--authors", type=int, default=200)
        parser.add_argument("--tags", type=int, default=500)
        parser.add_argument("--sections", type=int, default=8)
        parser.add_argument("--speakers", type=int, default=100)
        parser.add_argument("--quotes", type=int, default=2_000)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--delete", action="store_true", help="Remove a generated archive."
        )

    def handle(self, *args, **options):
        if options["delete"]:
            self.delete()
            return
        if Article.objects.filter(slug__startswith=PREFIX).exists():
            raise CommandError(
                "An archive is already there. Remove it first with --delete."
            )
        if options["developing"] > options["articles"]:
            raise CommandError("--developing cannot exceed --articles.")
        self.rng = random.Random(options["seed"])  # noqa: S311 (test data, not secrets)
        self.batch = options["batch"]
        self.started = time.monotonic()
        with transaction.atomic():
            sections = self.make_sections(options["sections"])
            tags = self.make_tags(options["tags"])
            authors = self.make_authors(options["authors"])
            articles = self.make_articles(options["articles"], sections, tags, authors)
            self.make_updates(
                articles[: options["developing"]], options["updates"], authors
            )
            self.make_quotes(options["speakers"], options["quotes"], articles)
        self.say(f"Indexing {len(articles):,} articles for search")
        ids = [article.pk for article in articles]
        for start in range(0, len(ids), self.batch):
            Article.objects.filter(
                pk__in=ids[start : start + self.batch]
            ).update_search_vectors()
        # Fresh planner statistics: without them PostgreSQL plans the reader pages'
        # queries as if the tables were still empty until autovacuum gets round to it.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.say("Done")

    def say(self, message):
        elapsed = time.monotonic() - self.started
        self.stdout.write(f"[{elapsed:6.1f}s] {message}")

    def make_sections(self, count):
        names = [
            "News",
            "Politics",
            "Education",
            "Environment",
            "Health",
            "Housing",
            "Business",
            "Culture",
            "Courts",
            "Transportation",
        ]
        sections = [
            Section(
                name=f"{names[i % len(names)]} {i}",
                slug=f"{PREFIX}section-{i}",
                position=100 + i,
            )
            for i in range(count)
        ]
        return Section.objects.bulk_create(sections)

    def make_tags(self, count):
        return Tag.objects.bulk_create(
            Tag(
                name=f"{self.rng.choice(WORDS).capitalize()} {i}",
                slug=f"{PREFIX}tag-{i}",
            )
            for i in range(count)
        )

    def make_authors(self, count):
        return Author.objects.bulk_create(
            Author(
                name=f"Reporter {i}",
                slug=f"{PREFIX}author-{i}",
                title="Staff reporter",
                bio="Covers the region for the newsroom.",
            )
            for i in range(count)
        )

    def make_articles(self, count, sections, tags, authors):
        now = timezone.now()
        rng = self.rng
        made = []
        for start in range(0, count, self.batch):
            size = min(self.batch, count - start)
            batch = []
            for n in range(start, start + size):
                # Newest first for the developing ones: they are today's stories.
                # A few recent stories, then ten years of archive.
                published = now - timedelta(
                    minutes=n * 5 if n < 1000 else rng.randint(5000, 3650 * 24 * 60)
                )
                # Drawn in the order they always were: one seed, one archive.
                title = headline(rng)
                dek = " ".join(rng.sample(SENTENCES, 1))
                body = paragraphs(rng, rng.randint(6, 14))
                batch.append(
                    Article(
                        headline=title,
                        slug=f"{PREFIX}{n}",
                        dek=dek,
                        body=body,
                        # bulk_create skips Article.save(), which writes it.
                        body_text=plain_text(body),
                        section=rng.choice(sections),
                        status=Status.PUBLISHED,
                        published_at=published,
                        first_published_at=published,
                        created_at=published,
                    )
                )
            batch = Article.objects.bulk_create(batch)
            Byline.objects.bulk_create(
                Byline(article=article, author=author, position=position)
                for article in batch
                for position, author in enumerate(
                    rng.sample(authors, rng.randint(1, 3))
                )
            )
            through = Article.tags.through
            through.objects.bulk_create(
                through(article_id=article.pk, tag_id=tag.pk)
                for article in batch
                for tag in rng.sample(tags, rng.randint(2, 8))
            )
            made += batch
            self.say(f"{len(made):,} articles")
        return made  # newest first: the first ones become the developing stories

    def make_updates(self, stories, total, authors):
        if not stories or not total:
            return
        # Developing stories started three days ago; their updates are spread evenly
        # from then to now, so none is in the future.
        now = timezone.now()
        started = now - timedelta(days=3)
        Article.objects.filter(pk__in=[s.pk for s in stories]).update(
            developing=True,
            coverage_started_at=started,
            published_at=started,
            first_published_at=started,
        )
        # A few stories get most updates, as in real coverage.
        weights = [1 / (rank + 1) for rank in range(len(stories))]
        scale = total / sum(weights)
        counts = [int(w * scale) for w in weights]
        counts[0] += total - sum(counts)
        made = 0
        pending = []
        for story, count in zip(stories, counts, strict=True):
            step = (now - started) / (count + 1)
            for n in range(count):
                pending.append(
                    Update(
                        article=story,
                        headline="" if n % 3 else f"Update {n}",
                        body=paragraphs(self.rng, 1),
                        author=self.rng.choice(authors),
                        published_at=started + step * (n + 1),
                    )
                )
                if len(pending) >= self.batch * 4:
                    made += len(Update.objects.bulk_create(pending))
                    pending = []
                    self.say(f"{made:,} updates")
        made += len(Update.objects.bulk_create(pending))
        self.say(f"{made:,} updates")

    def make_quotes(self, speakers_count, quotes_count, articles):
        speakers = Speaker.objects.bulk_create(
            Speaker(name=f"Official {i}", slug=f"{PREFIX}speaker-{i}", title="Official")
            for i in range(speakers_count)
        )
        if not speakers:
            return
        quotes = Quote.objects.bulk_create(
            Quote(
                text=" ".join(self.rng.sample(SENTENCES, 2)),
                speaker=self.rng.choice(speakers),
                speaker_title="Official",
                said_on=article.published_at.date(),
            )
            for article in self.rng.sample(articles, min(quotes_count, len(articles)))
        )
        PullQuote.objects.bulk_create(
            PullQuote(article=article, quote=quote, after_paragraph=2)
            for quote, article in zip(
                quotes, self.rng.sample(articles, len(quotes)), strict=True
            )
        )
        self.say(f"{len(speakers):,} speakers, {len(quotes):,} quotes")

    def delete(self):
        self.started = time.monotonic()
        with transaction.atomic():
            articles = Article.objects.filter(slug__startswith=PREFIX)
            PullQuote.objects.filter(article__in=articles).delete()
            Quote.objects.filter(speaker__slug__startswith=PREFIX).delete()
            Speaker.objects.filter(slug__startswith=PREFIX).delete()
            Update.objects.filter(article__in=articles).delete()
            Byline.objects.filter(article__in=articles).delete()
            articles.delete()
            Author.objects.filter(slug__startswith=PREFIX).delete()
            Tag.objects.filter(slug__startswith=PREFIX).delete()
            Section.objects.filter(slug__startswith=PREFIX).delete()
        self.say("Archive removed")
