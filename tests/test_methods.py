"""Every page answers only the HTTP methods it uses; any other is refused with 405, not run."""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The pages that take a form; every other page only reads.
WRITES = {
    "kpi-entry",
    "action-update",
    "approvals",
    "approval-return",
    "account-settings",
    "api-tokens",
    "api-token-revoke",
    "login",
    "logout",
}
ARGS = {"pk": 1, "period": datetime.date(2021, 1, 1), "fmt": "pdf"}


def _named_routes(patterns, namespace=None) -> list[tuple[str, list[str]]]:
    routes = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace != "admin":  # Django's own admin
                routes += _named_routes(entry.url_patterns, entry.namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            routes.append((entry.name, list(entry.pattern.converters)))
    return routes


ROUTES = _named_routes(get_resolver().url_patterns)


def _url(name: str, params: list[str]) -> str:
    return reverse(name, kwargs={param: ARGS[param] for param in params})


@pytest.mark.parametrize(("name", "params"), ROUTES, ids=[name for name, _ in ROUTES])
def test_a_page_refuses_methods_it_does_not_use(client, name, params):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = _url(name, params)
    for method in ["put", "patch", "delete"]:
        assert getattr(client, method)(url).status_code == 405, method
    if name not in WRITES:
        assert client.post(url).status_code == 405


def test_every_write_page_is_still_there():
    # A renamed write page would otherwise pass as a read-only one above.
    assert {name for name, _ in ROUTES} >= WRITES
