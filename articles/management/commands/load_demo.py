import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from articles.models import Article

# One password for the demo accounts, made on first run and kept out of git, so a
# demo left running on a reachable machine does not have a password everyone knows.
PASSWORD_FILE = settings.BASE_DIR / ".demo-password"

DEMO_ACCOUNTS = [
    # username, first name, superuser
    ("admin", "Site admin", True),
    ("editor", "Edith Editor", False),
    ("writer", "Walt Writer", False),
    ("fundraising", "Fran Fundraiser", False),
]

DEMO_ARTICLES = [
    (
        "city-council-approves-new-budget",
        "City council approves budget with more money for libraries",
        "After three hours of public comment, the council voted 7-2 on Tuesday.\n\n"
        "Library hours will grow on weekends for the first time since 2019.",
        timedelta(hours=3),
    ),
    (
        "river-flood-warning-issued",
        "Flood warning issued as the river rises after two days of rain",
        "The National Weather Service expects the river to crest Thursday morning.\n\n"
        "Residents of low-lying neighborhoods are asked to prepare to leave.",
        timedelta(hours=7),
    ),
    (
        "school-district-teacher-shortage",
        "Inside the school district's year-long struggle to hire teachers",
        "Dozens of classrooms started the year with substitutes.\n\n"
        "We spoke with teachers, parents and administrators about what comes next.",
        timedelta(days=2),
    ),
]


class Command(BaseCommand):
    help = (
        "Load demo content and demo accounts. Safe to run again: nothing is duplicated."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            password = self.demo_password()
            self.load_accounts(password)
            self.load_articles()
        self.stdout.write(self.style.SUCCESS("Demo content loaded."))
        self.stdout.write(
            "Demo accounts (sign in at /admin/): "
            + ", ".join(username for username, *_ in DEMO_ACCOUNTS)
            + f"\nPassword for all of them: {password}"
        )

    def demo_password(self):
        if PASSWORD_FILE.exists():
            return PASSWORD_FILE.read_text().strip()
        password = secrets.token_urlsafe(12)
        PASSWORD_FILE.write_text(password + "\n")
        return password

    def load_accounts(self, password):
        User = get_user_model()
        for username, name, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = name
            user.email = f"{username}@example.org"
            user.is_staff = True
            user.is_superuser = superuser
            user.set_password(password)
            user.save()

    def load_articles(self):
        now = timezone.now()
        for slug, headline, body, age in DEMO_ARTICLES:
            Article.objects.update_or_create(
                slug=slug,
                defaults={
                    "headline": headline,
                    "body": body,
                    "published_at": now - age,
                },
            )
