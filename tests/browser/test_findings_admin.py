"""The findings register in the data admin, in a real browser, with axe-core on each page."""

import datetime

import pytest
from playwright.sync_api import expect

from metrics.models import Kpi
from priorities.models import Action, Finding
from tests.browser.helpers import check_accessibility, sign_in
from tests.factories import FindingActionFactory, FindingFactory, FindingKpiFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_analyst_reviews_a_finding_and_is_refused_closing_it_without_evidence(page, dudley):
    finding = FindingFactory(
        source__date=datetime.date(2018, 11, 9),
        ref="WNI-1",
        title="The quality and consistency of management oversight",
    )
    FindingActionFactory(finding=finding, action=Action.objects.order_by("pk").first())
    FindingKpiFactory(finding=finding, kpi=Kpi.objects.get(code="CSIP.01"))

    sign_in(page, "analyst")
    page.goto("/admin/priorities/finding/")
    expect(page.locator("#result_list")).to_contain_text("WNI-1")
    check_accessibility(page)

    page.get_by_role("link", name="WNI-1").click()
    expect(page.get_by_role("heading", level=2, name="Dated finding statuses")).to_be_visible()
    check_accessibility(page)

    page.locator("#id_status").select_option("closed")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("#content-main")).to_contain_text("Give the evidence that closes")
    check_accessibility(page)
    assert Finding.objects.get(pk=finding.pk).status == "open"


def test_analyst_adds_a_finding_with_links_to_an_action_and_a_kpi(page, dudley):
    sign_in(page, "analyst")
    page.goto("/admin/priorities/finding/add/")
    check_accessibility(page)
    page.get_by_role("button", name="Add another Action answering the finding").click()
    page.get_by_role("button", name="Add another KPI showing the difference").click()
    check_accessibility(page)
