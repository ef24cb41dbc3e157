"""Making, listing and revoking tokens: on a person's settings pages, and in the data admin."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken, hash_secret
from tests.api.conftest import reader, token_client

pytestmark = pytest.mark.django_db
URL = "/account/tokens/"


def _secret(page: str) -> str:
    return re.search(r'id="new-token">([^<]+)</code>', page)[1]


def test_a_person_makes_a_token_sees_it_once_and_it_works(client):
    person = reader("board")
    client.force_login(person)
    settings_page = client.get(reverse("account-settings")).content.decode()
    assert "You have 0 active tokens." in settings_page
    assert f'href="{URL}"' in settings_page
    page = client.get(URL).content.decode()
    assert '<label class="govuk-label" for="id_name">What is the token for?</label>' in page
    assert "You have no tokens." in page

    response = client.post(URL, {"name": "Power BI board dashboard"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = _secret(page)
    assert "Copy it now: it will not be shown again." in page
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.key_hash) == (
        person, "Power BI board dashboard", hash_secret(secret)
    )  # fmt: skip
    assert Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/plans/").status_code == 200

    again = client.get(URL).content.decode()
    assert secret not in again
    assert token.prefix in again and "Power BI board dashboard" in again
    assert "Active" in again
    assert "You have 1 active token." in client.get(reverse("account-settings")).content.decode()


def test_a_token_needs_a_name_and_the_error_is_summarised(client):
    client.force_login(reader())
    page = client.post(URL, {"name": "  "}).content.decode()
    assert "There is a problem" in page
    assert '<a href="#id_name">What is the token for?: Say what the token is for.</a>' in page
    assert "<title>Error: API tokens" in page
    assert not ApiToken.objects.exists()


def test_the_owner_revokes_a_token_and_it_stops_working_at_once(client):
    person = reader()
    api, token, _ = token_client(person)
    client.force_login(person)
    assert f'action="/account/tokens/{token.pk}/revoke/"' in client.get(URL).content.decode()
    response = client.post(reverse("api-token-revoke", args=[token.pk]), follow=True)
    page = response.content.decode()
    assert "is revoked: it no longer works." in page
    assert "Revoked" in page
    assert f'action="/account/tokens/{token.pk}/revoke/"' not in page
    assert api.get("/api/v1/plans/").status_code == 401
    assert client.get(reverse("api-token-revoke", args=[token.pk])).status_code == 405


def test_nobody_sees_or_revokes_another_persons_token(client):
    _, theirs, _ = token_client(reader("other"), name="Their script")
    client.force_login(reader("me"))
    assert "Their script" not in client.get(URL).content.decode()
    assert client.post(reverse("api-token-revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_signing_in_is_needed_and_posts_without_csrf_are_refused():
    assert Client().get(URL)["Location"].startswith("/accounts/login/")
    person = reader()
    _, token, _ = token_client(person)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(person)
    assert strict.post(URL, {"name": "Sneaky"}).status_code == 403
    assert strict.post(reverse("api-token-revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.count() == 1


def test_an_administrator_makes_a_token_in_the_admin_and_sees_it_once(client):
    admin, person = reader("admin", "administrator"), reader("analyst")
    client.force_login(admin)
    add = reverse("admin:api_apitoken_add")
    response = client.post(add, {"user": person.pk, "name": "Nightly script"}, follow=True)
    page = response.content.decode()
    token = ApiToken.objects.get()
    secret = re.search(r"is (\S+) — copy it now", page)[1]
    assert token.key_hash == hash_secret(secret) and token.user == person
    assert Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/plans/").status_code == 200
    change = client.get(reverse("admin:api_apitoken_change", args=[token.pk])).content.decode()
    listed = client.get("/admin/api/apitoken/").content.decode()
    assert secret not in change and secret not in listed

    client.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_only_administrators_reach_tokens_in_the_admin(client):
    analyst = reader("analyst", "Analyst", is_staff=True)
    client.force_login(analyst)
    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 403
