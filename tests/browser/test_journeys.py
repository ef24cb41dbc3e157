"""Every journey in a real browser (Debian's Chromium), with axe-core on each page."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from metrics.models import Actual, Kpi
from priorities.models import Plan
from tests.browser.helpers import check_accessibility, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mash_still_asked_for(dudley):
    """The MASH figures asked for this month, as while the 2021 plan ran.

    The shipped data ends them in January 2021, so today nobody asks for one.
    """
    Plan.objects.filter(slug="improvement-plan-2021").update(end=None)
    Kpi.objects.filter(code="CSIP.01").update(reported_until=None)
    return dudley


def test_head_of_service_enters_a_figure_with_commentary_and_sees_its_status(
    page, mash_still_asked_for
):
    sign_in(page, "head")
    expect(page).to_have_url(re.compile(r"/updates/$"))
    expect(page.get_by_role("heading", name="My updates")).to_be_visible()
    check_accessibility(page)

    page.get_by_role("link", name=re.compile("CSIP.01 Contacts progressed")).click()
    check_accessibility(page)
    page.get_by_label("Contacts progressed within one working day").fill("160")
    page.get_by_label("Contacts received").fill("150")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot be more than")
    expect(page.get_by_label("Contacts received")).to_have_value("150")
    check_accessibility(page)

    page.get_by_label("Contacts progressed within one working day").fill("145")
    page.get_by_label("What is the data telling us?").fill("Same-day screening is working.")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "96.7%. Status: Green: target met"
    )
    check_accessibility(page)
    saved = Actual.objects.filter(kpi__code="CSIP.01").latest("period")
    assert (
        saved.value == Decimal("96.7")
        and saved.what_data_tells_us == "Same-day screening is working."
    )


def _tab_to(page, locator, limit: int = 60) -> None:
    """Press Tab until the element has focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {locator}")


def test_head_of_service_journey_works_with_the_keyboard_alone(page, mash_still_asked_for):
    page.goto("/accounts/login/")
    _tab_to(page, page.locator("#id_username"))
    page.keyboard.type("head")
    page.keyboard.press("Tab")
    page.keyboard.type("a-long-enough-passphrase")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/updates/$"))

    _tab_to(page, page.get_by_role("link", name=re.compile("CSIP.01 Contacts progressed")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contacts progressed")

    _tab_to(page, page.get_by_label("Contacts progressed within one working day"))
    page.keyboard.type("140")
    page.keyboard.press("Tab")
    page.keyboard.type("150")
    page.keyboard.press("Enter")  # Enter in a text field submits the form
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Amber: just short")


def test_a_wrong_password_shows_an_error_and_repeated_ones_lock_out(page, dudley, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(page, "board", "not-the-password")
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Please enter a correct username and password"
        )
    check_accessibility(page)
    sign_in(page, "board", "not-the-password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many failed sign-in attempts")
    check_accessibility(page)


def test_accessibility_statement_passes_its_own_checks(page, dudley):
    page.goto("/accessibility/")
    check_accessibility(page)
    assert Kpi.objects.exists()


def test_analyst_imports_a_workbook_through_the_admin(page, dudley, tmp_path):
    from io import BytesIO

    from openpyxl import load_workbook

    from metrics.importer import build_template

    book = load_workbook(BytesIO(build_template()))
    sheet = book["Actuals"]
    headings = [cell.value for cell in sheet[1]]
    code, period, value = (headings.index(name) + 1 for name in ("KPI code", "Period", "Value"))
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, code).value == "PI.426")
    sheet.cell(row, value).value = 91.2
    upload = tmp_path / "assessment tracker.xlsx"
    book.save(upload)
    changed_period = sheet.cell(row, period).value

    sign_in(page, "analyst")
    page.goto("/admin/metrics/kpi/")
    page.get_by_role("link", name="Import workbook").click()
    check_accessibility(page)
    page.get_by_label("Workbook (.xlsx)").set_input_files(str(upload))
    page.get_by_role("button", name="Preview import").click()
    expect(page.locator("#content")).to_contain_text("PI.426")
    check_accessibility(page)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text("applied", ignore_case=True)
    check_accessibility(page)
    stored = Actual.objects.get(kpi__code="PI.426", value=Decimal("91.2"))
    assert stored.history.latest().history_user.username == "analyst"
    assert changed_period
