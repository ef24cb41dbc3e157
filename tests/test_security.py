"""Hardening a council's IT security review will look for, checked on real responses."""

import datetime
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-enough-passphrase"

PRODUCTION = {
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
}


@override_settings(**PRODUCTION)
def test_responses_carry_the_security_headers(client):
    response = client.get(reverse("login"), secure=True)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
        if directive.strip()
    )
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]


@override_settings(**PRODUCTION)
def test_plain_http_is_sent_to_https(client):
    response = client.get(reverse("login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@override_settings(**PRODUCTION)
def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(client):
    UserFactory(username="head", password="a-long-enough-passphrase")
    client.get(reverse("login"), secure=True)
    response = client.post(
        reverse("login"),
        {"username": "head", "password": "a-long-enough-passphrase"},
        secure=True,
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"


def test_a_wrong_password_shows_an_error_then_repeated_failures_lock_out(client, settings):
    UserFactory(username="head", password="a-long-enough-passphrase")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "head", "password": "wrong"})
        assert b"Please enter a correct username and password" in response.content
    response = client.post(reverse("login"), {"username": "head", "password": "wrong"})
    assert response.status_code == 429
    assert b"Too many failed sign-in attempts" in response.content
    # Locked out: even the right password is refused until the cool-off ends.
    response = client.post(
        reverse("login"), {"username": "head", "password": "a-long-enough-passphrase"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def _fail(client, username, **extra):
    return client.post(reverse("login"), {"username": username, "password": "wrong"}, **extra)


def _sign_in(client, username, **extra):
    client.post(reverse("login"), {"username": username, "password": PASSWORD}, **extra)
    return "_auth_user_id" in client.session


def _age_failures(minutes: int) -> None:
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=minutes))


def test_ten_wrong_passwords_lock_a_username_for_fifteen_minutes(client):
    UserFactory(username="head", password=PASSWORD)
    statuses = [_fail(client, "head").status_code for _ in range(10)]
    assert 429 in statuses  # locked at ten wrong passwords or fewer
    assert not _sign_in(client, "head")
    _age_failures(14)
    assert not _sign_in(client, "head")
    _age_failures(16)
    assert _sign_in(client, "head")


def test_many_usernames_tried_from_one_address_lock_that_address(client, settings):
    UserFactory(username="head", password=PASSWORD)
    # One wrong password each for many usernames: no single username's limit is reached.
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        assert _fail(client, f"guess-{n}").status_code == 200
    response = _fail(client, "guess-last")
    assert response.status_code == 429
    assert b"every username from your network" in response.content
    # The right password for a real account from that address is refused too...
    assert not _sign_in(client, "head")
    # ... but not from another address.
    assert _sign_in(Client(), "head", REMOTE_ADDR="198.51.100.20")


def test_signing_in_to_ones_own_account_does_not_clear_an_addresss_failures(client, settings):
    UserFactory(username="mine", password=PASSWORD)
    UserFactory(username="head", password=PASSWORD)
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        _fail(client, f"guess-{n}")
    assert _sign_in(client, "mine")
    client.post(reverse("logout"))
    assert _fail(client, "guess-last").status_code == 429
    assert not _sign_in(client, "head")


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("Tr0ub4dor&3", "at least 12 characters"),
        ("password1234", "too common"),
        ("correct horse battery staple", None),
    ],
)
def test_an_administrator_cannot_give_a_login_a_short_or_common_password(
    admin_client, password, refusal
):
    from django.contrib.auth import get_user_model

    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "new-head",
            "password1": password,
            "password2": password,
            "usable_password": "true",
        },
    )
    created = get_user_model().objects.filter(username="new-head").exists()
    assert created == (refusal is None)
    if refusal:
        assert refusal in response.content.decode()


def test_signing_in_starts_a_new_session_and_signing_out_ends_it(client):
    UserFactory(username="board", password="a-long-enough-passphrase")
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "board", "password": "a-long-enough-passphrase"})
    after = client.session.session_key
    assert after and after != before
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=after).exists()
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.parametrize("key", ["last_seen_at", "signed_in_at"])
def test_an_idle_or_old_session_is_signed_out(client, key, settings):
    client.force_login(UserFactory())
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    limit = (
        settings.SESSION_IDLE_TIMEOUT
        if key == "last_seen_at"
        else settings.SESSION_ABSOLUTE_TIMEOUT
    )
    session[key] = time.time() - limit - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert "_auth_user_id" not in client.session


def test_an_active_session_stays_signed_in(client):
    client.force_login(UserFactory())
    for _ in range(3):
        assert client.get(reverse("home")).status_code == 200


def test_health_check_needs_no_login_and_checks_the_database(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_accessibility_statement_is_public(client):
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    assert b"WCAG" in response.content


@override_settings(**PRODUCTION)
def test_health_check_answers_plain_http_for_load_balancers(client):
    assert client.get(reverse("healthz")).status_code == 200


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_a_lockout_is_for_the_address_the_proxy_saw(client, settings):
    UserFactory(username="head", password=PASSWORD)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "head", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)
    # Writing another address in front of the proxy's entry does not escape the lock...
    forged = "6.6.6.6, 203.0.113.9"
    assert not _sign_in(Client(), "head", HTTP_X_FORWARDED_FOR=forged, **proxy)
    # ... and a colleague behind the same proxy is not locked out.
    assert _sign_in(Client(), "head", HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy)


def test_without_a_proxy_a_forwarded_address_cannot_escape_a_lockout(client, settings):
    UserFactory(username="head", password=PASSWORD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _fail(client, "head", REMOTE_ADDR="198.51.100.7")
    assert not _sign_in(
        Client(), "head", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="6.6.6.6"
    )


def test_deploy_checks_fail_without_a_secret_key():
    import os
    import subprocess
    import sys

    from django.conf import settings as django_settings

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env["ALLOWED_HOSTS"] = "improve.example.gov.uk"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout
