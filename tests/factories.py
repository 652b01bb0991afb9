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


def jpeg(width=640, height=360, colour="steelblue"):
    """A small JPEG, as the upload pipeline would store it."""
    from io import BytesIO

    from django.core.files.base import ContentFile
    from PIL import Image as PILImage

    buffer = BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="photo.jpg")


class ImageFactory(factory.django.DjangoModelFactory):
    """A photo with renditions, alt text, caption and credit; ours to pass on."""

    class Meta:
        model = "articles.Image"
        skip_postgeneration_save = True

    file = factory.LazyFunction(jpeg)
    alt_text = "Volunteers carry sandbags along the river"
    caption = "Volunteers on Main Street."
    credit = "Jane Doe / The Newsroom"
    may_redistribute = True

    @factory.post_generation
    def renditions(self, create, extracted, **kwargs):
        """Made by their task (at once, unless a test asks for the queue)."""
        if create:
            self.refresh_from_db(fields=["renditions"])


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


# Donations ------------------------------------------------------------------------


class CampaignFactory(factory.django.DjangoModelFactory):
    """A running campaign: 30 days, $10,000 goal."""

    class Meta:
        model = "donations.Campaign"

    name = factory.Sequence(lambda n: f"Campaign {n}")
    slug = factory.Sequence(lambda n: f"campaign-{n}")
    goal = 10_000_00
    currency = "USD"
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    donate_url = "https://donate.example.org/give?amount={amount}"
    monthly_donate_url = "https://donate.example.org/monthly?amount={amount}"
    suggested_amounts = factory.LazyFunction(lambda: [10, 25, 50])


class AppealFactory(factory.django.DjangoModelFactory):
    """A running inline appeal of a campaign, with one variant (label A)."""

    class Meta:
        model = "donations.Appeal"
        skip_postgeneration_save = True

    campaign = factory.SubFactory(CampaignFactory)
    name = factory.Sequence(lambda n: f"Appeal {n}")
    placement = "inline"
    paragraph = 1
    starts_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))

    @factory.post_generation
    def variants(self, create, extracted, **kwargs):
        """AppealFactory(variants=["A", "B"]) makes those labels; default one, A."""
        if not create:
            return
        for label in ["A"] if extracted is None else extracted:
            AppealVariantFactory(appeal=self, label=label)


class AppealVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "donations.AppealVariant"

    appeal = factory.SubFactory(AppealFactory, variants=[])
    label = "A"
    heading = factory.Sequence(lambda n: f"Can you chip in? ({n})")
    body = "<p>Readers like you fund this newsroom.</p>"
    button_label = "Donate"


class DonationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "donations.Donation"

    amount = 25_00
    currency = "USD"
    status = "succeeded"
    campaign = factory.SubFactory(CampaignFactory)
    received_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    processor = "check"
    source = "manual"


# Quotes --------------------------------------------------------------------------


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "articles.Speaker"

    name = factory.Sequence(lambda n: f"Speaker {n}")
    slug = factory.Sequence(lambda n: f"speaker-{n}")
    title = "Mayor of Springfield"


class QuoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "articles.Quote"

    text = factory.Sequence(lambda n: f"We will fix the roads before winter ({n}).")
    speaker = factory.SubFactory(SpeakerFactory)
    speaker_title = "Mayor"
    said_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=1))
    context = "at a news conference"


class PullQuoteFactory(factory.django.DjangoModelFactory):
    """A quote placed in a published article, which makes the quote public."""

    class Meta:
        model = "articles.PullQuote"

    article = factory.SubFactory(ArticleFactory)
    quote = factory.SubFactory(QuoteFactory)
    after_paragraph = 1
