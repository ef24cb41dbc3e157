"""The approvals page in a real browser: axe-clean at 375 and 1280 px, with and without errors."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from metrics.models import Actual, Kpi
from priorities import roles
from tests.browser.helpers import PASSWORD, check_accessibility, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def awaiting(dudley):
    """The demo approver's figures: two of the director's KPIs saved for a month."""
    User = get_user_model()
    groups = roles.ensure_groups()
    director, approver = (
        User.objects.create_user(name, password=PASSWORD) for name in ("director", "approver")
    )
    for user in (director, approver):
        user.groups.add(groups[roles.HEAD_OF_SERVICE])
    csip09 = Kpi.objects.get(code="CSIP.09")
    csip09.owner.user = director
    csip09.owner.save()
    area = csip09.areas.order_by("plan__start", "number").first()
    area.responsible_officer.user = approver
    area.responsible_officer.save()
    # As if the director had just saved their latest published figures.
    for code in ("CSIP.09", "PI.2249"):
        latest = Actual.objects.filter(kpi__code=code).latest("period")
        Actual.objects.filter(pk=latest.pk).update(
            state=Actual.State.SUBMITTED, updated_by=director, version=latest.version + 1
        )
    return approver


@pytest.mark.parametrize("width", [375, 1280])
def test_an_approver_returns_one_figure_and_signs_off_the_other(page, awaiting, width):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "approver")
    page.goto("/approvals/")
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    check_accessibility(page)

    # A return without a reason is refused, with the error summary naming the box.
    page.locator("summary", has_text="Return CSIP.09").click()
    page.get_by_role("button", name=re.compile("Return to owner.*CSIP.09")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Say why the figure is returned")
    check_accessibility(page)
    page.get_by_label(re.compile("^Why are you returning CSIP.09")).fill("Check the vacancies.")
    page.get_by_role("button", name=re.compile("Return to owner.*CSIP.09")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Returned CSIP.09")
    check_accessibility(page)

    page.get_by_label(re.compile("^Sign off PI.2249")).check()
    page.get_by_role("button", name="Sign off selected").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Signed off 1 figure")
    expect(page.locator("#nothing-waiting")).to_be_visible()
    check_accessibility(page)
    states = dict(
        Actual.objects.filter(kpi__code__in=["CSIP.09", "PI.2249"], version__gt=1)
        .values_list("kpi__code", "state")
        .distinct()
    )
    assert states == {"CSIP.09": "returned", "PI.2249": "signed_off"}
