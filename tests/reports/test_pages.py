import pytest
from django.urls import URLResolver, get_resolver, reverse

from tests.factories import PriorityAreaFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "healthz", "accessibility"}


def _project_pages():
    """Every named page the project serves outside the admin, with sample arguments."""
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.app_name == "admin":
            continue
        patterns = pattern.url_patterns if isinstance(pattern, URLResolver) else [pattern]
        for entry in patterns:
            if entry.name and entry.name not in PUBLIC:
                sample = {key: _SAMPLE.get(key, 1) for key in entry.pattern.converters}
                yield entry.name, sample


_SAMPLE = {"period": "2020-11"}


def test_the_walk_finds_the_pages():
    assert "home" in dict(_project_pages())


@pytest.mark.parametrize(("name", "kwargs"), [*_project_pages(), ("admin:index", {})])
def test_every_page_sends_a_visitor_to_sign_in(client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    if reverse(name, kwargs=kwargs).startswith("/api/"):
        # The API takes a token, not a session: no redirect, a 401 that says how to sign in.
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Token")
        return
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_signed_in_home_lists_plans_with_their_priority_areas(client):
    area = PriorityAreaFactory(title="Multi-agency safeguarding hub", number=1)
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert area.plan.title in page
    assert "1. Multi-agency safeguarding hub" in page
    assert area.responsible_officer.role_title in page


def test_sign_in_page_is_styled_and_needs_no_login(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b"govuk-frontend.min.css" in response.content
    assert b'<label class="govuk-label" for="id_username">' in response.content


def test_wrong_password_shows_an_error_summary(client):
    UserFactory(username="head")
    response = client.post(reverse("login"), {"username": "head", "password": "wrong"})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b"correct username and password" in response.content


def test_sign_in_then_sign_out(client):
    UserFactory(username="board", password="correct-horse-battery")
    response = client.post(
        reverse("login"), {"username": "board", "password": "correct-horse-battery"}, follow=True
    )
    assert b"Signed in as board" in response.content
    response = client.post(reverse("logout"), follow=True)
    assert b"You have signed out" in response.content or b"Sign in" in response.content
    assert client.get(reverse("home")).status_code == 302
