"""Making and revoking an API token in a real browser: axe-clean at phone and desk widths,
and the token shown once works against the API."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from api.models import ApiToken
from priorities import roles
from tests.browser.helpers import PASSWORD, check_accessibility, sign_in
from tests.factories import UserFactory


@pytest.fixture
def board(transactional_db):
    user = UserFactory(username="board", password=PASSWORD)
    user.groups.add(roles.ensure_groups()[roles.BOARD_MEMBER])
    return user


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [375, 1280])
def test_a_board_member_makes_a_token_for_power_bi_then_revokes_it(page, board, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "board")
    page.goto("/account/")
    page.get_by_role("link", name="Make or revoke API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("button", name="Make a token").click()  # no name: an error, summarised
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check_accessibility(page)

    page.get_by_label("What is the token for?").fill("Power BI board dashboard")
    page.get_by_role("button", name="Make a token").click()
    expect(page.get_by_text("Copy it now: it will not be shown again.")).to_be_visible()
    check_accessibility(page)
    assert _fits(page)
    secret = page.locator("#new-token").inner_text()
    assert Client(HTTP_AUTHORIZATION=f"Token {secret}").get("/api/v1/plans/").status_code == 200

    page.get_by_role("button", name="Revoke the token Power BI board dashboard").click()
    expect(page.get_by_text("is revoked: it no longer works.")).to_be_visible()
    check_accessibility(page)
    assert ApiToken.objects.get().revoked_at is not None
