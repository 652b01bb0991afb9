"""The admin site: stale saves refused on every form more than one person may edit
(newsroom.admin.RefuseStaleSavesMixin), as on the article form."""

import threading

import pytest
from django import forms
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.urls import resolve, reverse

from articles.models import Quote, Tag
from donations.models import Appeal
from tests.articles.test_admin import admin_form_data
from tests.factories import (
    AppealFactory,
    AuthorFactory,
    CampaignFactory,
    DonationFactory,
    QuoteFactory,
    SectionFactory,
    SpeakerFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REFUSED = "Your changes have NOT been saved"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# (what, how to make one, the field two people change)
EDITABLE = {
    "campaign": (CampaignFactory, "name"),
    "appeal": (AppealFactory, "name"),
    "appeal variant": (AppealFactory, "variants-0-heading"),
    "donation": (DonationFactory, "donor_name"),
    "quote": (QuoteFactory, "context"),
    "speaker": (SpeakerFactory, "title"),
    "section": (SectionFactory, "description"),
    "tag": (TagFactory, "name"),
    "author": (AuthorFactory, "title"),
}


def change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def person(first_name):
    client = Client()
    client.force_login(UserFactory(is_superuser=True, first_name=first_name))
    return client


def value_of(obj, field):
    obj.refresh_from_db()
    if field.startswith("variants-"):
        return obj.variants.order_by("pk").first().heading
    return getattr(obj, field)


@pytest.mark.parametrize("what", EDITABLE)
def test_a_save_from_an_outdated_form_is_refused_and_nothing_is_lost(what):
    factory, field = EDITABLE[what]
    obj = factory()
    url = change_url(obj)
    ana, ben = person("Ana"), person("Ben")
    anas_form, bens_form = ana.get(url), ben.get(url)

    bens_save = ben.post(url, admin_form_data(bens_form, **{field: "Ben's words"}))
    anas_save = ana.post(url, admin_form_data(anas_form, **{field: "Ana's words"}))

    assert bens_save.status_code == 302
    assert anas_save.status_code == 200
    page = anas_save.content.decode()
    assert REFUSED in page
    assert "Ben" in page  # who saved in between
    assert "Ana&#x27;s words" in page  # what Ana typed is still on her screen
    assert value_of(obj, field) == "Ben's words"
    # Reloaded, her form is current: her save goes through.
    again = ana.post(url, admin_form_data(ana.get(url), **{field: "Ana's words"}))
    assert again.status_code == 302
    assert value_of(obj, field) == "Ana's words"


def test_a_form_saved_twice_by_the_same_person_is_refused_the_second_time():
    quote = QuoteFactory()
    url = change_url(quote)
    ana = person("Ana")
    form = ana.get(url)

    first = ana.post(url, admin_form_data(form, context="First"))
    second = ana.post(url, admin_form_data(form, context="Second"))

    assert first.status_code == 302
    assert REFUSED in second.content.decode()
    quote.refresh_from_db()
    assert quote.context == "First"


def test_nothing_changed_in_between_saves_as_usual():
    appeal = AppealFactory()
    url = change_url(appeal)
    ana = person("Ana")

    response = ana.post(url, admin_form_data(ana.get(url), name="Spring appeal"))

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.name == "Spring appeal"


def test_adding_is_not_checked():
    ana = person("Ana")
    url = reverse("admin:articles_tag_add")

    response = ana.post(
        url, admin_form_data(ana.get(url), name="Floods", slug="floods")
    )

    assert response.status_code == 302
    assert Tag.objects.filter(slug="floods").exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("model", [Quote, Appeal])
def test_saves_racing_from_one_copy_make_exactly_one_change(model):
    obj = (QuoteFactory if model is Quote else AppealFactory)()
    field = "context" if model is Quote else "name"
    url = change_url(obj)
    people = [person(f"Editor {n}") for n in range(8)]
    forms = [client.get(url) for client in people]
    statuses, errors = [], []

    def save(client, form, number):
        try:
            response = client.post(
                url, admin_form_data(form, **{field: f"Save {number}"})
            )
            statuses.append(response.status_code)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(client, form, number))
        for number, (client, form) in enumerate(zip(people, forms, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [200] * 7 + [302]
    obj.refresh_from_db()
    assert getattr(obj, field).startswith("Save ")


def url_fields(form_class):
    return {
        name: field
        for name, field in form_class.base_fields.items()
        if isinstance(field, forms.URLField)
    }


def test_every_admin_form_takes_a_link_without_a_scheme_as_https(rf):
    """The form each admin shows (built with its formfield_overrides) and the form
    class it starts from (its Meta.formfield_callback, newsroom.admin.https_urls)."""
    request = rf.get("/admin/")
    request.resolver_match = resolve(reverse("admin:index"))
    request.user = UserFactory(is_staff=True, is_superuser=True)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        for form_class in (model_admin.form, model_admin.get_form(request)):
            for name, field in url_fields(form_class).items():
                assert field.assume_scheme == "https", (model.__name__, name)
                assert field.clean("example.org/page") == "https://example.org/page"
                checked += 1
    # The article's canonical URL, the quote's source, a campaign's two donate
    # pages and an appeal's button, each in the shown form and its class.
    assert checked >= 10
