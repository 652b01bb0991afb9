from datetime import timedelta

import factory
from django.utils import timezone

from articles.models import Article


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article

    headline = factory.Sequence(lambda n: f"Story number {n} about the city")
    slug = factory.Sequence(lambda n: f"story-{n}")
    body = "The council met on Tuesday.\n\nIt voted 7-2."
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
