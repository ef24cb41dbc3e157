"""Tokens and a client that sends one, for the API's tests."""

import datetime

import pytest
from django.test import Client

from api import services
from priorities import roles
from tests.factories import UserFactory

D = datetime.date


def reader(username: str = "analyst", group: str | None = roles.BOARD_MEMBER, **extra):
    """A login in a role (None: no role at all; "administrator": a superuser)."""
    if group == "administrator":
        return UserFactory(username=username, is_staff=True, is_superuser=True, **extra)
    user = UserFactory(username=username, **extra)
    if group:
        user.groups.add(roles.ensure_groups()[group])
    return user


def token_client(user=None, name: str = "Power BI") -> tuple[Client, object, str]:
    """A client sending a new token of ``user``'s in every request, the token and its secret."""
    token, secret = services.create_token(user=user or reader(), name=name)
    return Client(HTTP_AUTHORIZATION=f"Token {secret}"), token, secret


@pytest.fixture
def api(db) -> Client:
    return token_client()[0]
