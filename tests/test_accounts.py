"""Staff sign-in through django-allauth: the admin's door, throttled, with a
second factor required for the roles that can publish, raise money or manage
users; readers still get no cookie."""

import pytest
from allauth.core.internal import ratelimit
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/accounts/login/"
THROTTLED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clock(monkeypatch):
    """The rate limiter's clock, moved by hand: clock[0] += 300 is five minutes on."""
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    return now


@pytest.fixture
def password_checks(monkeypatch):
    """How many times a password was actually checked (hashed)."""
    calls = []
    original = AbstractBaseUser.check_password

    def counting(user, raw_password):
        calls.append(raw_password)
        return original(user, raw_password)

    monkeypatch.setattr(AbstractBaseUser, "check_password", counting)
    return calls


def sign_in(client, username, password):
    return client.post(LOGIN, {"login": username, "password": password})


def test_the_admin_sends_staff_to_the_sign_in_page(client):
    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1][0] == f"{LOGIN}?next=%2Fadmin%2F"
    assert response.status_code == 200
    admin_login = client.get(reverse("admin:login"))
    assert admin_login.status_code == 302
    assert admin_login["Location"].startswith(LOGIN)


def test_staff_sign_in_and_reach_the_admin(client):
    UserFactory(username="maya", role="Writer")

    response = sign_in(client, "maya", PASSWORD)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_after_five_wrong_passwords_the_next_guess_is_refused_unchecked(
    client, clock, password_checks
):
    UserFactory(username="maya", role="Writer")
    for attempt in range(5):
        response = sign_in(client, "maya", f"guess {attempt}")
        assert response.status_code == 200
        assert THROTTLED not in response.content.decode()
    assert len(password_checks) == 5

    sixth = sign_in(client, "maya", "guess 6")
    right = sign_in(client, "maya", PASSWORD)

    assert THROTTLED in sixth.content.decode()
    assert THROTTLED in right.content.decode()
    assert len(password_checks) == 5  # neither was hashed
    assert client.get("/admin/").status_code == 302  # not signed in
    clock[0] += 301
    assert sign_in(client, "maya", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_guesses_from_one_client_across_accounts_are_throttled(client, clock):
    for number in range(11):
        UserFactory(username=f"staff{number}")
    answers = [
        sign_in(client, f"staff{number}", "wrong").content.decode()
        for number in range(11)
    ]

    assert [THROTTLED in page for page in answers] == [False] * 10 + [True]


def test_clients_are_told_apart_behind_the_trusted_proxy(settings, clock):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for number in range(12):
        UserFactory(username=f"staff{number}")

    def guess(number, address):
        client = Client(HTTP_X_FORWARDED_FOR=address, REMOTE_ADDR="10.0.0.1")
        return THROTTLED in sign_in(client, f"staff{number}", "wrong").content.decode()

    assert [guess(n, "203.0.113.1") for n in range(10)] == [False] * 10
    assert guess(10, "203.0.113.1") is True
    # Another reader's address, through the same proxy, is not throttled.
    assert guess(11, "198.51.100.7") is False


@pytest.mark.parametrize("role", ["Editor", "Fundraising", "Site admin"])
def test_the_roles_that_need_a_second_factor_enrol_before_the_admin_opens(
    client, settings, role
):
    settings.MFA_REQUIRED = True
    user = UserFactory(role=role)
    client.force_login(user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    assert client.get("/admin/").status_code == 200


def test_a_superuser_needs_a_second_factor_too(client, settings):
    settings.MFA_REQUIRED = True
    client.force_login(UserFactory(is_superuser=True))

    assert client.get("/admin/")["Location"] == reverse("mfa_index")


def test_writers_are_not_forced_to_enrol(client, settings):
    settings.MFA_REQUIRED = True
    client.force_login(UserFactory(role="Writer"))

    assert client.get("/admin/").status_code == 200


def test_in_development_enrolment_is_offered_not_forced(client, settings):
    settings.MFA_REQUIRED = False
    client.force_login(UserFactory(role="Editor"))

    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


def test_a_second_factor_is_asked_for_at_sign_in(client):
    user = UserFactory(username="maya", role="Editor")
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )

    response = sign_in(client, "maya", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302  # not in yet


def test_password_reset_by_email(client):
    UserFactory(username="maya", email="maya@example.org")

    response = client.post(
        reverse("account_reset_password"), {"email": "maya@example.org"}
    )

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["maya@example.org"]
    assert "/accounts/password/reset/key/" in message.body


def test_nobody_signs_up(client):
    response = client.get(reverse("account_signup"))

    assert "closed" in response.content.decode().lower()


def test_the_sign_in_page_sends_nobody_to_sign_up(client):
    page = client.get(reverse("account_login")).content.decode()

    assert reverse("account_signup") not in page
    assert "sign up" not in page.lower()
    assert "Accounts are made by the newsroom" in page


def test_staff_list_and_end_their_sessions(client):
    UserFactory(username="maya", role="Writer")
    sign_in(client, "maya", PASSWORD)
    other = Client()
    sign_in(other, "maya", PASSWORD)

    page = client.get(reverse("usersessions_list"))

    assert page.status_code == 200
    assert page.content.decode().count("<tr") >= 3  # a header and two sessions
    response = client.post(reverse("usersessions_list"))
    assert response.status_code in (200, 302)
    assert other.get("/admin/").status_code == 302  # the other session ended


def test_readers_get_no_cookie_and_pages_do_not_vary_by_cookie(client):
    story = ArticleFactory()
    for url in ["/", story.get_absolute_url(), "/latest/", "/donate/"]:
        response = client.get(url)
        assert response.cookies == {}, url
        assert "Cookie" not in response.get("Vary", ""), url


def test_the_demo_accounts_sign_in_as_make_run_prints_them(client, settings, clock):
    from django.core.management import call_command

    from articles.management.commands.load_demo import PASSWORD_FILE

    settings.MFA_REQUIRED = False  # as in development, where make run serves
    call_command("load_demo", verbosity=0)
    password = PASSWORD_FILE.read_text().strip()

    for username in ["admin", "editor", "writer", "fundraising"]:
        person = Client()
        assert sign_in(person, username, password).status_code == 302, username
        assert person.get("/admin/").status_code == 200, username
