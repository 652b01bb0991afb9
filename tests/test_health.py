import pytest
from django.db import connection
from django.urls import reverse


def test_healthz_answers_without_the_database(client):
    # No django_db mark: any database access here would raise.
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_ok_when_the_database_answers(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert "no-cache" in response["Cache-Control"]


# serialized_rollback keeps the rows made by data migrations (the newsroom roles)
# for the tests that run after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_readyz_is_503_when_the_database_is_unreachable(client):
    saved = dict(connection.settings_dict)
    connection.close()
    # A real connection attempt to a port where nothing listens.
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        response = client.get(reverse("readyz"))
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.parametrize("allowed", [["localhost"], ["news.example.org"], [".org"]])
def test_health_checks_answer_by_address_whatever_the_allowed_hosts(
    client, settings, path, allowed
):
    """docker-compose.yml's health check asks http://127.0.0.1:8000/readyz, a load
    balancer the container's IP: neither is a host the site is set to answer to."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = allowed
    for host in ("127.0.0.1:8000", "10.0.3.7"):
        response = client.get(path, HTTP_HOST=host)
        assert response.status_code == 200, (host, response.content)
        assert response.json()["status"] == "ok"
        assert "no-cache" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        # Everything else still answers only to the allowed hosts.
        assert client.get("/", HTTP_HOST=host).status_code == 400
        assert client.post(path, HTTP_HOST=host).status_code == 400
