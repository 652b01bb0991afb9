from django.core.management.base import BaseCommand

from articles.models import Article
from articles.search import search_config


class Command(BaseCommand):
    help = (
        "Rebuild the search document of every article: after changing LANGUAGE_CODE "
        "(words are stemmed in the site's language) or writing to articles with raw "
        "SQL or a bulk update."
    )

    def handle(self, *args, **options):
        count = Article.objects.all().update_search_vectors()
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-indexed {count} articles for search ({search_config()})."
            )
        )
