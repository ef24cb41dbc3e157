"""/returns/ in a real browser: axe-clean at phone and desk widths, sorting by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from priorities.models import Plan
from tests.browser.helpers import check_accessibility, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_returns_are_axe_clean_on_a_desk_and_a_phone_and_sort_by_keyboard(page, dudley):
    plan = Plan.objects.get(slug="improvement-plan-2021")
    sign_in(page, "analyst")
    page.get_by_role("link", name="Returns").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who has reported for")
    check_accessibility(page)

    page.goto(f"/returns/?plan={plan.pk}&period=2021-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has reported for January 2021")
    # The shipped plan's head of MASH has a login with no email address.
    expect(page.locator("tbody")).to_contain_text(["Unreachable"])
    check_accessibility(page)

    link = page.locator("th a.app-sort-link", has_text="On time, last 12 months")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"sort=rate"))
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("On time, last 12")
    check_accessibility(page)

    page.set_viewport_size({"width": 375, "height": 800})
    check_accessibility(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375


def test_a_head_of_service_is_not_offered_returns(page, dudley):
    sign_in(page, "head")
    expect(page.get_by_role("link", name="My updates")).to_be_visible()
    expect(page.get_by_role("link", name="Returns")).to_have_count(0)
    response = page.goto("/returns/")
    assert response.status == 403
    check_accessibility(page)
