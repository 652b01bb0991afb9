import io
import secrets
from datetime import timedelta

import reversion
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw

from articles.images import process_upload
from articles.models import (
    Article,
    Author,
    Byline,
    Correction,
    CorrectionKind,
    Image,
    PullQuote,
    Quote,
    Section,
    Speaker,
    Status,
    Tag,
    Update,
)

# One password for the demo accounts, made on first run and kept out of git, so a
# demo left running on a reachable machine does not have a password everyone knows.
PASSWORD_FILE = settings.BASE_DIR / ".demo-password"

DEMO_ACCOUNTS = [
    # username, full name, role (group), superuser
    ("admin", "Ada Admin", "Site admin", True),
    ("editor", "Edith Editor", "Editor", False),
    ("writer", "Walt Writer", "Writer", False),
    ("fundraising", "Fran Fundraiser", "Fundraising", False),
]

SECTIONS = [
    ("Politics", "politics"),
    ("Education", "education"),
    ("Environment", "environment"),
]

AUTHORS = [
    # name, slug, title, bio, demo account
    (
        "Walt Writer",
        "walt-writer",
        "City hall reporter",
        "Walt covers the city council and the county budget.",
        "writer",
    ),
    (
        "Maria Gonzalez",
        "maria-gonzalez",
        "Education reporter",
        "Maria has covered public schools for eight years.",
        None,
    ),
    (
        "Sam Okafor",
        "sam-okafor",
        "Environment reporter",
        "Sam reports on water, weather and the river.",
        None,
    ),
]

TAGS = ["City council", "Budget", "Flooding", "Schools", "Teachers", "Weather"]

# Colours for demo images drawn with Pillow: sky, ground, accent.
PICTURES = {
    "river": ((110, 150, 190), (60, 90, 70), (40, 70, 120)),
    "council": ((200, 190, 170), (120, 90, 70), (150, 30, 30)),
    "school": ((170, 200, 230), (200, 160, 80), (180, 60, 40)),
}

PARAGRAPH = "<p>{}</p>"

ARTICLES = [
    # slug, headline, dek, section, tags, authors, picture, state, age
    (
        "city-council-approves-new-budget",
        "City council approves budget with more money for libraries",
        "After three hours of public comment, the council voted 7-2 for longer "
        "weekend library hours.",
        "politics",
        ["City council", "Budget"],
        ["walt-writer"],
        "council",
        Status.PUBLISHED,
        timedelta(hours=3),
    ),
    (
        "river-flood-warning-issued",
        "Flood warning issued as the river rises after two days of rain",
        "The National Weather Service expects the river to crest Thursday morning.",
        "environment",
        ["Flooding", "Weather"],
        ["sam-okafor", "walt-writer"],
        "river",
        Status.PUBLISHED,
        timedelta(hours=7),
    ),
    (
        "school-district-teacher-shortage",
        "Inside the school district's year-long struggle to hire teachers",
        "Dozens of classrooms started the year with substitutes. Here is why.",
        "education",
        ["Schools", "Teachers"],
        ["maria-gonzalez"],
        "school",
        Status.PUBLISHED,
        timedelta(days=2),
    ),
    (
        "bus-routes-change-in-january",
        "Bus routes will change in January. Here is what riders need to know",
        "Three routes merge and one is cut, the transit board decided.",
        "politics",
        ["City council"],
        ["walt-writer"],
        None,
        "scheduled",
        -timedelta(days=1),
    ),
    (
        "school-board-election-guide",
        "Your guide to the school board election",
        "Six candidates for three seats: where they stand.",
        "education",
        ["Schools"],
        ["maria-gonzalez"],
        None,
        Status.IN_REVIEW,
        None,
    ),
    (
        "water-rates-draft",
        "Water rates may rise for the first time in a decade",
        "",
        None,
        [],
        ["walt-writer"],
        None,
        Status.DRAFT,
        None,
    ),
    (
        "old-stadium-plan",
        "Stadium plan shelved",
        "The proposal is off the table for now.",
        "politics",
        [],
        ["walt-writer"],
        None,
        Status.UNPUBLISHED,
        timedelta(days=20),
    ),
    # More of the archive, so that section pages, related stories and search have
    # something to show.
    (
        "library-sunday-hours-begin",
        "Libraries open on Sundays for the first time in a decade",
        "Four branches will stay open from noon to five, paid for by the new budget.",
        "politics",
        ["City council", "Budget"],
        ["walt-writer"],
        "council",
        Status.PUBLISHED,
        timedelta(days=4),
    ),
    (
        "river-cleanup-volunteers",
        "Hundreds of volunteers pull tires and trash from the river",
        "The yearly cleanup drew its biggest crowd yet, and a few surprises.",
        "environment",
        ["Flooding"],
        ["sam-okafor"],
        "river",
        Status.PUBLISHED,
        timedelta(days=9),
    ),
    (
        "teachers-union-contract",
        "Teachers and the district reach a three-year contract",
        "Raises of 4 percent a year, and smaller classes in kindergarten.",
        "education",
        ["Schools", "Teachers"],
        ["maria-gonzalez"],
        "school",
        Status.PUBLISHED,
        timedelta(days=12),
    ),
    (
        "storm-drain-fees",
        "Why your storm drain fee is going up",
        "The city says old pipes cannot handle heavier rain. Here is the math.",
        "environment",
        ["Weather", "Budget"],
        ["sam-okafor", "walt-writer"],
        None,
        Status.PUBLISHED,
        timedelta(days=35),
    ),
    (
        "school-lunch-prices",
        "School lunch prices stay flat this year",
        "A state grant covers the rising cost of food, for now.",
        "education",
        ["Schools"],
        ["maria-gonzalez"],
        None,
        Status.PUBLISHED,
        timedelta(days=48),
    ),
]

# minutes ago, headline, text
FLOOD_UPDATES = [
    (
        12,
        "",
        "Sandbagging continues along Front Street; volunteers are asked to "
        "bring gloves.",
    ),
    (
        35,
        "Bridge closed",
        "The Main Street bridge is closed to traffic until further notice.",
    ),
    (58, "", "The weather service raised its crest forecast by a foot."),
    (80, "Shelter opens", "A second shelter opened at the Civic Center."),
    (105, "", "Schools in the Riverside district will close early today."),
    (130, "", "Crews are checking the levee on the east bank every hour."),
    (160, "Rain eases", "Rain eased this morning, but more is expected tonight."),
    (190, "", "The county declared a local emergency."),
    (225, "", "Residents near the river received an automated warning call."),
    (260, "", "The river rose two feet overnight."),
    (300, "Warning issued", "The National Weather Service issued a flood warning."),
]

BODY = [
    "The decision came after a long night of testimony from residents, many of whom "
    "asked the city to protect services they rely on.",
    "“We heard you,” the council president said before the vote. “This budget "
    "reflects what people told us they need.”",
    "<h2>What changes</h2>",
    "<ul><li>Libraries open on Sundays from March.</li>"
    "<li>Two new crossing guards near elementary schools.</li>"
    "<li>Street repairs move up on the schedule.</li></ul>",
    "Opponents said the plan leans on one-time money. The budget takes effect "
    "on Jan. 1.",
]


SPEAKERS = [
    # slug, name, current title, bio. All fictional.
    (
        "dana-whitfield",
        "Dana Whitfield",
        "City council president",
        "Dana Whitfield has represented the 3rd Ward since 2015 and has led the "
        "council since 2021.",
    ),
    (
        "ray-castillo",
        "Ray Castillo",
        "Hydrologist, National Weather Service",
        "Ray Castillo forecasts river levels for the region's weather office.",
    ),
    (
        "lena-moss",
        "Lena Moss",
        "Superintendent of schools",
        "Lena Moss became superintendent in 2022 after 20 years as a teacher and "
        "principal in the district.",
    ),
    (
        "olena-kovalenko",
        "Олена Коваленко",
        "Deputy mayor of the sister city in Ukraine",
        "Olena Kovalenko (Олена Коваленко) is responsible for culture and libraries "
        "in the city's Ukrainian sister city.",
    ),
    (
        "marcus-bell",
        "Marcus Bell",
        "Council member, 5th Ward",
        "Marcus Bell chairs the council's finance committee.",
    ),
]

QUOTES = [
    # speaker, text, title at the time, context, placements: (article, paragraph).
    # The date is the day of the first article's publication.
    (
        "dana-whitfield",
        "We heard you. This budget reflects what people told us they need.",
        "City council president",
        "before the council's 7-2 vote on the budget",
        [("city-council-approves-new-budget", 2), ("bus-routes-change-in-january", 1)],
    ),
    (
        "olena-kovalenko",
        "Бібліотеки — це серце громади. Дякуємо, що бережете їх.",
        "Deputy mayor of the sister city in Ukraine",
        "in a video message to the council, in Ukrainian: “Libraries are the heart "
        "of a community. Thank you for protecting them.”",
        [("city-council-approves-new-budget", 99)],
    ),
    (
        "ray-castillo",
        "Turn around, don't drown. Two feet of moving water is enough to float a car.",
        "Hydrologist, National Weather Service",
        "at a briefing at the county emergency operations center",
        [("river-flood-warning-issued", 1)],
    ),
    (
        "dana-whitfield",
        "The city will pay for sandbags for every household that asks. Nobody should "
        "have to choose between rent and protecting their home.",
        "City council president",
        "in a statement on the city's website",
        [("river-flood-warning-issued", 2)],
    ),
    (
        "lena-moss",
        "We have tried signing bonuses, housing help and a faster hiring process, and "
        "we will keep trying. But the honest answer is that there are not enough "
        "teachers in this state, and no district can hire its way out of a shortage "
        "that starts in the colleges that train them. Until salaries rise, our "
        "students will keep starting the year with substitutes.",
        "Superintendent of schools",
        "speaking to the school board on Monday",
        [("school-district-teacher-shortage", 2)],
    ),
    (
        # Only in an unpublished story: the quote stays out of the public pages.
        "marcus-bell",
        "That is not a plan. It is a hope.",
        "Council member, 5th Ward",
        "on the stadium proposal",
        [("old-stadium-plan", 1)],
    ),
]


def demo_picture(kind):
    sky, ground, accent = PICTURES[kind]
    picture = PILImage.new("RGB", (1600, 900), sky)
    draw = ImageDraw.Draw(picture)
    for y in range(450):
        shade = tuple(int(c * (0.75 + 0.25 * y / 450)) for c in sky)
        draw.line([(0, y), (1600, y)], fill=shade)
    draw.rectangle([0, 560, 1600, 900], fill=ground)
    draw.ellipse([1200, 90, 1380, 270], fill=(250, 235, 180))
    for i in range(6):
        x = 120 + i * 240
        draw.rectangle([x, 380 - (i % 3) * 60, x + 150, 560], fill=accent)
        for w in range(3):
            draw.rectangle(
                [x + 20 + w * 45, 420, x + 45 + w * 45, 460], fill=(245, 240, 220)
            )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return ContentFile(buffer.getvalue(), name=f"{kind}.jpg")


class Command(BaseCommand):
    help = (
        "Load demo content and demo accounts. Safe to run again: nothing is duplicated."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            password = self.demo_password()
            users = self.load_accounts(password)
            self.load_articles(users)
            self.load_stories(users)
            self.load_quotes()
        self.stdout.write(self.style.SUCCESS("Demo content loaded."))
        self.stdout.write(
            "Demo accounts (sign in at /admin/): "
            + ", ".join(f"{name} ({role})" for name, _n, role, _s in DEMO_ACCOUNTS)
            + f"\nPassword for all of them: {password}"
        )
        # The donations app's demo: a running campaign with appeals and gifts.
        call_command("load_demo_donations", stdout=self.stdout)

    def demo_password(self):
        if PASSWORD_FILE.exists():
            return PASSWORD_FILE.read_text().strip()
        password = secrets.token_urlsafe(12)
        PASSWORD_FILE.write_text(password + "\n")
        return password

    def load_accounts(self, password):
        User = get_user_model()
        users = {}
        for username, name, role, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, _sep, user.last_name = name.partition(" ")
            user.email = f"{username}@example.org"
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            users[username] = user
        return users

    def load_articles(self, users):
        sections = {
            slug: Section.objects.update_or_create(
                slug=slug, defaults={"name": name, "position": position}
            )[0]
            for position, (name, slug) in enumerate(SECTIONS)
        }
        tags = {
            name: Tag.objects.get_or_create(
                name=name, defaults={"slug": name.lower().replace(" ", "-")}
            )[0]
            for name in TAGS
        }
        authors = {}
        for name, slug, title, bio, account in AUTHORS:
            authors[slug] = Author.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "title": title,
                    "bio": bio,
                    "user": users.get(account),
                },
            )[0]
        now = timezone.now()
        editor = users["editor"]
        for (
            slug,
            headline,
            dek,
            section,
            tag_names,
            author_slugs,
            picture,
            state,
            age,
        ) in ARTICLES:
            if Article.objects.filter(slug=slug).exists():
                continue
            # Walt, the demo writer, drafted the stories he signs; the editor the rest.
            creator = users["writer"] if "walt-writer" in author_slugs else editor
            with reversion.create_revision():
                reversion.set_user(creator)
                reversion.set_comment("Created (demo content)")
                article = Article.objects.create(
                    slug=slug,
                    headline=headline,
                    dek=dek,
                    body="".join(
                        part if part.startswith("<") else PARAGRAPH.format(part)
                        for part in BODY
                    ),
                    section=sections.get(section),
                    featured_image=self.picture(picture, users["editor"]),
                    created_by=creator,
                    updated_by=creator,
                )
                article.tags.set([tags[name] for name in tag_names])
                for position, author_slug in enumerate(author_slugs):
                    Byline.objects.create(
                        article=article, author=authors[author_slug], position=position
                    )
            if state == Status.IN_REVIEW:
                article.submit_for_review(by=editor)
            elif state in (Status.PUBLISHED, "scheduled", Status.UNPUBLISHED):
                article.publish(by=editor, at=now - age)
                if state == Status.UNPUBLISHED:
                    article.unpublish(by=editor)

    def load_stories(self, users):
        """A developing story with a dozen updates (one pinned), a concluded one, and
        corrections in the open."""
        editor, now = users["editor"], timezone.now()
        flood = Article.objects.get(slug="river-flood-warning-issued")
        if not flood.updates.exists():
            flood.developing = True
            flood.save()
            sam = Author.objects.get(slug="sam-okafor")
            Update.objects.create(
                article=flood,
                pinned=True,
                author=sam,
                published_at=now - timedelta(minutes=5),
                headline="What we know",
                body="<ul><li>The river is expected to crest at 27 feet on Thursday."
                "</li><li>Evacuation is voluntary in the Riverside neighborhood.</li>"
                "<li>Two shelters are open: Lincoln High and the Civic Center.</li>"
                "</ul>",
            )
            for minutes, headline, text in FLOOD_UPDATES:
                Update.objects.create(
                    article=flood,
                    author=sam,
                    published_at=now - timedelta(minutes=minutes),
                    headline=headline,
                    body=f"<p>{text}</p>",
                    created_by=editor,
                )
        budget = Article.objects.get(slug="city-council-approves-new-budget")
        if not budget.updates.exists():
            budget.developing = True
            budget.save()
            Update.objects.create(
                article=budget,
                published_at=now - timedelta(hours=2),
                headline="Mayor signs the budget",
                body="<p>The mayor signed the budget at a short ceremony at noon.</p>",
                created_by=editor,
            )
            budget.developing = False  # coverage concluded: the update stays
            budget.save()
        schools = Article.objects.get(slug="school-district-teacher-shortage")
        if not schools.corrections.exists():
            Correction.objects.create(
                article=schools,
                kind=CorrectionKind.CORRECTION,
                published_at=now - timedelta(days=1),
                body="<p>An earlier version of this story misstated the number of "
                "open teaching positions. There are 42, not 24.</p>",
                created_by=editor,
            )
            Correction.objects.create(
                article=schools,
                kind=CorrectionKind.CLARIFICATION,
                published_at=now - timedelta(hours=20),
                body="<p>This story has been updated to clarify that substitute "
                "teachers are paid by the day, not by the hour.</p>",
                created_by=editor,
            )

    def load_quotes(self):
        """Speakers, their quotes, and the quotes as pull quotes in the stories."""
        speakers = {
            slug: Speaker.objects.update_or_create(
                slug=slug, defaults={"name": name, "title": title, "bio": bio}
            )[0]
            for slug, name, title, bio in SPEAKERS
        }
        articles = {article.slug: article for article in Article.objects.all()}
        placed_in = set()
        for speaker, text, title, context, placements in QUOTES:
            first = articles[placements[0][0]]
            quote, _created = Quote.objects.get_or_create(
                speaker=speakers[speaker],
                text=text,
                defaults={
                    "speaker_title": title,
                    "context": context,
                    "said_on": timezone.localdate(
                        first.published_at or first.created_at
                    ),
                    "source_url": "https://example.org/statements",
                },
            )
            for slug, paragraph in placements:
                _placed, created = PullQuote.objects.get_or_create(
                    article=articles[slug],
                    quote=quote,
                    defaults={"after_paragraph": paragraph},
                )
                if created:
                    placed_in.add(slug)
        # Revisions keep pull quotes: each story's history shows where they came in.
        for slug in sorted(placed_in):
            with reversion.create_revision():
                reversion.add_to_revision(articles[slug])
                reversion.set_comment("Pull quotes placed (demo content)")

    def picture(self, kind, user):
        if kind is None:
            return None
        alt = f"Illustration: {kind}"
        image = Image.objects.filter(alt_text=alt).first()
        if image is None:
            image = Image.objects.create(
                file=process_upload(demo_picture(kind)),
                alt_text=alt,
                caption=f"A drawing of the {kind}, made for the demo.",
                credit="Newsroom demo",
                may_redistribute=True,
                uploaded_by=user,
            )
        return image
