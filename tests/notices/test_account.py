"""A person's settings page, and people in the data admin."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from notices.models import Preferences
from priorities import roles
from tests.factories import OfficerFactory, PriorityAreaFactory
from tests.notices.conftest import person

pytestmark = pytest.mark.django_db
URL = "/account/"


def test_the_settings_page_shows_who_you_are_and_saves_your_email_choice(client):
    head = person("head", first_name="Pat", last_name="Example")
    OfficerFactory(role_title="Head of Safeguarding", user=head)
    PriorityAreaFactory(title="Front door", responsible_officer=head.officer)
    client.force_login(head)
    assert reverse("account-settings") == URL
    page = client.get(URL).content.decode()
    for text in ["Pat Example", "head@dudley.example", "Head of service", "Head of Safeguarding"]:
        assert text in page
    assert "Front door" in page
    assert '<label class="govuk-label govuk-checkboxes__label" for="id_non_essential">' in page
    assert "checked" in page  # reminders before the deadline are on until switched off
    assert 'href="/account/"' in page  # the menu links here

    response = client.post(URL, {}, follow=True)
    assert "Your email settings are saved." in response.content.decode()
    assert Preferences.objects.get(user=head).non_essential is False
    assert " checked" not in client.get(URL).content.decode()

    client.post(URL, {"non_essential": "on"})
    assert Preferences.objects.get(user=head).non_essential is True
    assert Preferences.objects.count() == 1


def test_every_signed_in_person_has_a_settings_page_even_with_no_email_or_post(client):
    board = person("board", roles.BOARD_MEMBER, email="")
    client.force_login(board)
    page = client.get(URL).content.decode()
    assert "None recorded: the service cannot email you." in page
    assert "Board member" in page


def test_signing_in_is_needed_and_a_post_without_csrf_is_refused(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(person("head"))
    assert strict.post(URL, {}).status_code == 403
    assert not Preferences.objects.exists()


def test_the_admin_shows_a_persons_email_role_post_and_email_preference(admin_client):
    head = person("head")
    OfficerFactory(role_title="Head of Safeguarding", user=head)
    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "head@dudley.example" in listing and "Head of Safeguarding" in listing
    page = admin_client.get(reverse("admin:auth_user_change", args=[head.pk])).content.decode()
    assert "Head of Safeguarding" in page
    assert "Send me reminders before the deadline" in page
    assert "Head of service" in page


ROOT = Path(__file__).resolve().parents[2]


def start(**env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SECRET_KEY": "x", **env}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_tls_and_ssl_both_on_is_refused_at_start_up():
    result = start(EMAIL_USE_TLS="1", EMAIL_USE_SSL="1")
    assert result.returncode != 0
    assert "EMAIL_USE_TLS and EMAIL_USE_SSL are both on" in result.stderr


def test_a_bank_holiday_list_that_is_not_dates_is_refused_at_start_up():
    result = start(BANK_HOLIDAYS="2026-12-25,Boxing Day")
    assert result.returncode != 0
    assert "BANK_HOLIDAYS must list dates" in result.stderr
