"""Who may read the API, how a token is kept and used, and what is refused."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import ApiToken, hash_secret
from priorities import roles
from tests.api.conftest import reader, token_client
from tests.factories import KpiFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTS = ["plans", "areas", "kpis", "actions", "findings"]


def _urls() -> list[str]:
    kpi = KpiFactory()
    return [*(f"/api/v1/{name}/" for name in LISTS), f"/api/v1/kpis/{kpi.pk}/series/"]


ROLES = [None, roles.HEAD_OF_SERVICE, roles.BOARD_MEMBER, roles.ANALYST, "administrator"]


@pytest.mark.parametrize("role", ROLES, ids=["no role", "head", "board", "analyst", "admin"])
def test_every_signed_in_role_reads_every_endpoint_with_its_token(role):
    client, _, _ = token_client(reader("reader", role))
    for url in _urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"] == "application/json"


def test_bearer_is_accepted_as_well_as_token():
    _, _, secret = token_client()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/plans/").status_code == 200


def _refused(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 401, url
    assert response["WWW-Authenticate"] == 'Token realm="api"'
    return response.content.decode()


def test_without_a_token_every_endpoint_answers_401_not_the_sign_in_page():
    for url in [*_urls(), "/api/v1/schema/"]:
        assert "credentials were not provided" in _refused(Client(), url)


def test_a_signed_in_browser_session_does_not_open_the_data():
    client = Client()
    client.force_login(reader())
    for url in _urls():
        _refused(client, url)
    # The schema alone may be read in a browser by someone signed in.
    assert client.get("/api/v1/schema/").status_code == 200


def test_a_wrong_revoked_or_malformed_token_is_refused():
    client, token, secret = token_client()
    url = "/api/v1/plans/"
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert "That token is not valid." in _refused(Client(HTTP_AUTHORIZATION=f"Token {wrong}"), url)
    assert "Give the token" in _refused(Client(HTTP_AUTHORIZATION="Token"), url)
    assert "Give the token" in _refused(Client(HTTP_AUTHORIZATION=f"Token {secret} x"), url)
    token.revoked_at = timezone.now()
    token.save()
    assert "That token has been revoked." in _refused(client, url)


def test_the_token_of_a_login_made_inactive_is_refused():
    user = reader()
    client, _, _ = token_client(user)
    assert client.get("/api/v1/plans/").status_code == 200
    user.is_active = False
    user.save()
    assert "not active" in _refused(client, "/api/v1/plans/")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_write_method_is_refused_with_405_even_with_a_valid_token(method):
    client, _, _ = token_client(reader("admin", "administrator"))
    for url in [*_urls(), "/api/v1/schema/"]:
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 405, url
        assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert Client().post("/api/v1/plans/").status_code == 405


def test_head_and_options_are_answered():
    client, _, _ = token_client()
    assert client.head("/api/v1/kpis/").status_code == 200
    assert client.options("/api/v1/kpis/").status_code == 200


def test_the_secret_is_stored_only_as_its_hash():
    _, token, secret = token_client()
    assert len(secret) >= 40
    assert token.prefix == secret[:8]
    assert token.key_hash == hash_secret(secret) != secret
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in stored.values())


def test_last_use_is_recorded_at_most_once_a_minute():
    client, token, _ = token_client()
    assert token.last_used_at is None
    client.get("/api/v1/plans/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/plans/")
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - datetime.timedelta(minutes=2))
    client.get("/api/v1/plans/")
    token.refresh_from_db()
    assert token.last_used_at > first - datetime.timedelta(minutes=1)


def test_nothing_personal_is_exposed():
    head = UserFactory(username="head", email="head@dudley.example")
    client, _, secret = token_client(head)
    kpi = KpiFactory()
    kpi.owner.user = head
    kpi.owner.save()
    pages = b"".join(client.get(url).content for url in _urls())
    for private in [b"head@dudley.example", b"password", secret.encode(), b"key_hash", b'"user']:
        assert private not in pages


def test_requests_are_limited_per_token(settings):
    settings.API_RATE = "3/minute"
    first, _, _ = token_client(reader("one"))
    second, _, _ = token_client(reader("two"))
    assert [first.get("/api/v1/plans/").status_code for _ in range(3)] == [200] * 3
    limited = first.get("/api/v1/plans/")
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    assert second.get("/api/v1/plans/").status_code == 200  # another token has its own count
