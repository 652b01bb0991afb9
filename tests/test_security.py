import pytest
from django.urls import reverse

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def csp(response):
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    }


def test_reader_page_sends_security_headers(client):
    article = ArticleFactory()
    response = client.get(article.get_absolute_url(), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_reader_page_csp_allows_nothing_from_third_parties(client):
    policy = csp(client.get(reverse("articles:home")))
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["style-src"]
    for sources in policy.values():
        assert not [s for s in sources if s.startswith(("http:", "https:", "*"))]


def test_not_found_page_has_a_csp_too(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "'unsafe-inline'" not in csp(response)["script-src"]


def test_admin_csp_allows_inline_styles_for_ckeditor_but_no_inline_script(client):
    response = client.get(reverse("admin:login"))
    policy = csp(response)
    assert "'unsafe-inline'" in policy["style-src"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
