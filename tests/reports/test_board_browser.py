"""The board pages in a real browser: charts drawn under the site's CSP, axe-core clean, print.

tests/browser holds a session-wide Playwright in the main thread, and the
sync API cannot start twice in one thread, so each test here drives its own
Chromium from a thread of its own. The database is read in the test's thread
first; the browser thread only browses.
"""

import re
import threading
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from metrics.models import Kpi
from priorities.models import Plan, PriorityArea
from tests.browser.helpers import PASSWORD, check_accessibility, make_logins, sign_in

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"
)


@pytest.fixture
def dudley(transactional_db):
    call_command("seed", stdout=StringIO())
    make_logins()
    return Plan.objects.get(slug="improvement-plan-2021")


def browse(base_url: str, steps: Callable, *, javascript: bool = True) -> None:
    """Run ``steps(page)`` in Chromium on its own thread; fail on script or CSP errors."""
    outcome: dict = {}

    def run():
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
                )
                context = browser.new_context(
                    base_url=base_url,
                    viewport={"width": 1280, "height": 900},
                    java_script_enabled=javascript,
                )
                page = context.new_page()
                page.set_default_timeout(10_000)
                errors = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on(
                    "console",
                    lambda m: (
                        errors.append(m.text)
                        if m.type == "error" and not re.search(r"status of 4\d\d", m.text)
                        else None
                    ),
                )
                steps(page)
                browser.close()
                assert not errors, errors
        except BaseException as error:  # re-raised in the test's own thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the browser did not finish in time"
    if "error" in outcome:
        raise outcome["error"]


def _wait_for_a_chart(page) -> None:
    page.locator(".app-chart__plot .main-svg").first.wait_for(state="visible", timeout=5000)


def test_board_member_reads_the_plan_then_an_area_with_its_charts(live_server, dudley):
    mash = PriorityArea.objects.get(plan=dudley, title__contains="MASH")
    # November 2020 as it stood: a chart for each KPI with a figure by then.
    charts = mash.kpis.filter(actuals__period__lte="2020-11-01").distinct().count()

    def steps(page):
        sign_in(page, "board")
        page.goto(f"/?plan={dudley.pk}&period=2020-11")
        check_accessibility(page)
        row = page.locator(f"#area-{mash.pk}")
        assert "Red: 1 KPI off target" in row.inner_text()
        row.get_by_role("link").click()
        _wait_for_a_chart(page)
        assert page.locator(".app-chart__plot.js-plotly-plot").count() == charts
        check_accessibility(page)
        page.get_by_text("Show the data for this chart").first.click()
        assert page.locator(".app-chart-table").first.is_visible()

    browse(live_server.url, steps)


def test_kpi_page_draws_its_chart_and_passes_axe(live_server, dudley):
    kpi = Kpi.objects.get(title__contains="caseload")

    def steps(page):
        sign_in(page, "board")
        page.goto(f"/kpis/{kpi.pk}/")
        _wait_for_a_chart(page)
        legend = page.locator(f"#kpi-{kpi.pk}-chart .legend").text_content()
        assert "England" in legend and "Target" in legend
        check_accessibility(page)

    browse(live_server.url, steps)


def test_printed_board_pack_has_no_navigation_and_keeps_the_charts(live_server, dudley):
    def steps(page):
        sign_in(page, "board")
        # Page 3 of the pack holds areas 2 and 3 (page 1 is the summary and contents).
        page.goto(f"/pack/?plan={dudley.pk}&period=2021-09&page=3")
        _wait_for_a_chart(page)
        check_accessibility(page)
        page.emulate_media(media="print")
        assert not page.locator(".govuk-header__navigation").is_visible()
        assert not page.locator(".govuk-breadcrumbs").is_visible()
        _wait_for_a_chart(page)
        assert page.locator(".app-chart-table").first.is_visible()  # the table prints open
        commentary = page.locator(".app-print-open .govuk-details__text").first
        assert commentary.is_visible() and "Taken from Quarterly Corporate Performance Report" in (
            commentary.inner_text()
        )
        page.emulate_media(media="screen")
        assert not commentary.is_visible()  # collapsed on screen
        page.emulate_media(media="print")
        second = page.locator("article.app-area").nth(1)
        assert second.evaluate("e => getComputedStyle(e).breakBefore") == "page"

    browse(live_server.url, steps)


def test_pages_work_without_javascript(live_server, dudley):
    mash = PriorityArea.objects.get(plan=dudley, title__contains="MASH")

    def steps(page):
        # sign_in() runs axe, which needs JavaScript: sign in by hand.
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("board")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/?plan={dudley.pk}&period=2020-11&sort=-status")
        rows = page.locator(".app-board__kpis tbody tr")
        assert "Red: short of target" in rows.last.inner_text()
        page.get_by_label("Status", exact=True).select_option("red")
        page.get_by_role("button", name="Filter KPIs").click()
        assert rows.count() == 1
        page.goto(f"/areas/{mash.pk}/?period=2020-11")
        assert page.locator(".app-chart__plot").first.is_hidden()
        page.get_by_text("Show the data for this chart").first.click()
        assert page.locator(".app-chart-table").first.is_visible()

    browse(live_server.url, steps, javascript=False)


PHONE, DESKTOP = 375, 1280


def _board_pages(plan: Plan) -> list[str]:
    mash = PriorityArea.objects.get(plan=plan, title__contains="MASH")
    kpi = Kpi.objects.get(title__contains="caseload")
    return [
        f"/?plan={plan.pk}&period=2021-09",
        f"/areas/{mash.pk}/?period=2021-09",
        f"/kpis/{kpi.pk}/?period=2021-09",
        f"/pack/?plan={plan.pk}&period=2021-09",
        f"/pack/?plan={plan.pk}&period=2021-09&page=3",  # areas 2 (MASH) and 3, with charts
    ]


def _check_fits_a_phone(page) -> None:
    """Every status and chart title is on screen, not cut off at the edge."""
    width = page.viewport_size["width"]
    for element in page.locator(".app-table .app-status, .app-chart__caption").all():
        if element.is_visible():
            box = element.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, element.inner_text()


def _check_scrolling_regions(page) -> None:
    """A table wider than its region is in a region a keyboard can reach, with a name."""
    regions = page.locator(".app-table-wrapper").evaluate_all(
        """regions => regions
            .filter(r => r.offsetParent !== null && r.scrollWidth > r.clientWidth)
            .map(r => [r.tabIndex, r.getAttribute('role'), r.getAttribute('aria-label')])"""
    )
    for tab_index, role, label in regions:
        assert (tab_index, role) == (0, "region") and label


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_every_board_page_passes_axe_on_a_phone_and_a_desktop(live_server, dudley, width):
    urls = _board_pages(dudley)

    def steps(page):
        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, "board")
        for url in urls:
            page.goto(url)
            if page.locator(".app-chart__plot").count():
                _wait_for_a_chart(page)
            check_accessibility(page)
            _check_scrolling_regions(page)
            if width == PHONE:
                _check_fits_a_phone(page)

    browse(live_server.url, steps)


def test_a_wide_table_scrolls_by_keyboard_on_a_phone(live_server, dudley):
    kpi = Kpi.objects.get(title__contains="caseload")

    def steps(page):
        page.set_viewport_size({"width": PHONE, "height": 900})
        sign_in(page, "board")
        page.goto(f"/kpis/{kpi.pk}/?period=2021-09")
        region = page.get_by_role("region", name="Comparators (dashed lines on the chart)")
        assert region.evaluate("r => r.scrollWidth > r.clientWidth")
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())

    browse(live_server.url, steps)


def test_error_pages_pass_axe(live_server, dudley):
    def steps(page):
        sign_in(page, "board")
        page.goto("/no-such-page/")
        assert page.get_by_role("heading", name="Page not found").is_visible()
        check_accessibility(page)

    browse(live_server.url, steps)
