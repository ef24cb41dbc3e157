"""A person's settings page in a real browser: axe-clean at phone and desk widths."""

import pytest
from playwright.sync_api import expect

from notices.models import Preferences
from priorities import roles
from tests.browser.helpers import PASSWORD, check_accessibility, sign_in
from tests.factories import OfficerFactory, PriorityAreaFactory, UserFactory


@pytest.fixture
def head(transactional_db):
    user = UserFactory(username="head", password=PASSWORD, email="head@dudley.example")
    user.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    PriorityAreaFactory(responsible_officer=OfficerFactory(role_title="Head of MASH", user=user))
    return user


@pytest.mark.parametrize("width", [375, 1280])
def test_a_head_switches_off_advance_reminders_on_the_settings_page(page, head, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "head")
    page.goto("/account/")
    expect(page.get_by_role("heading", name="Your settings")).to_be_visible()
    expect(page.get_by_text("Head of MASH")).to_be_visible()
    check_accessibility(page)
    box = page.get_by_label("Send me reminders before the deadline")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="Save email settings").click()
    expect(page.get_by_text("Your email settings are saved.")).to_be_visible()
    check_accessibility(page)
    expect(page.get_by_label("Send me reminders before the deadline")).not_to_be_checked()
    assert Preferences.objects.get(user=head).non_essential is False
