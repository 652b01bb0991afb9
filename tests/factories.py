from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import (
    Article,
    Author,
    Byline,
    Correction,
    CorrectionKind,
    Section,
    Status,
    Tag,
    Update,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="Editor") puts the user in that newsroom group."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"Tag {n}")
    slug = factory.Sequence(lambda n: f"tag-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"author-{n}")
    title = "Reporter"


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article with everything the publish gate asks for."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Story number {n} about the city")
    slug = factory.Sequence(lambda n: f"story-{n}")
    dek = "What the council decided, and what it means for you."
    body = "<p>The council met on Tuesday.</p><p>It voted 7-2.</p>"
    section = factory.SubFactory(SectionFactory)
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        """ArticleFactory(authors=[a, b]) sets the bylines in that order; by default
        one new author signs the article."""
        if not create:
            return
        for position, author in enumerate(extracted or [AuthorFactory()]):
            Byline.objects.create(article=self, author=author, position=position)


class DraftFactory(ArticleFactory):
    status = Status.DRAFT
    published_at = None


class UpdateFactory(factory.django.DjangoModelFactory):
    """A published update on a developing story."""

    class Meta:
        model = Update

    article = factory.SubFactory(ArticleFactory, developing=True)
    headline = factory.Sequence(lambda n: f"Update {n}")
    body = "<p>Crews are on the scene.</p>"
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=5))


class CorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correction

    article = factory.SubFactory(ArticleFactory)
    kind = CorrectionKind.CORRECTION
    body = "<p>An earlier version of this story misspelled a name.</p>"
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=1))
