"""The scorecard in a real browser: axe-clean at phone and desk widths, keyboard, print."""

from pathlib import Path

import pytest

from metrics.models import Kpi, Scorecard, ScorecardRow
from tests.browser.helpers import check_accessibility, sign_in
from tests.reports.test_board_browser import CHROMIUM, browse, dudley  # noqa: F401

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"
)

_PAGE_SIZE = """() => [...document.styleSheets].flatMap(sheet => [...sheet.cssRules])
    .filter(rule => rule instanceof CSSPageRule).map(rule => rule.style.size)"""


@pytest.fixture
def saved(dudley):  # noqa: F811
    card = Scorecard.objects.create(
        slug="workforce", title="Social worker workforce", columns="monthly", periods=6
    )
    for position, kpi in enumerate(Kpi.objects.filter(areas__plan=dudley).distinct()[:6]):
        group = "Caseloads" if position < 3 else "Stability"
        ScorecardRow.objects.create(scorecard=card, kpi=kpi, group=group, position=position)
    return card


def test_scorecard_is_axe_clean_on_a_phone_and_a_desk(live_server, dudley, saved):  # noqa: F811
    def steps(page):
        sign_in(page, "board")
        page.goto(f"/scorecard/?plan={dudley.pk}&period=2021-09")
        check_accessibility(page)
        page.goto("/scorecard/?scorecard=workforce&period=2021-09")
        assert page.locator(".app-scorecard__group").first.inner_text() == "Caseloads"
        check_accessibility(page)
        page.set_viewport_size({"width": 375, "height": 800})
        check_accessibility(page)
        region = page.locator(".app-scorecard__wrapper")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375  # the grid scrolls inside its region, not the page
        region.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("End")
        # Keyboard scrolling is smooth: wait for it to move.
        page.wait_for_function(
            "() => document.querySelector('.app-scorecard__wrapper').scrollLeft > 0"
        )
        kpi = page.locator("tbody .app-scorecard__kpi").first
        assert kpi.evaluate("e => getComputedStyle(e).position") == "sticky"

    browse(live_server.url, steps)


def test_scorecard_sorts_and_opens_commentary_by_keyboard(live_server, dudley):  # noqa: F811
    def steps(page):
        sign_in(page, "board")
        page.goto(f"/scorecard/?plan={dudley.pk}&period=2021-09&columns=quarterly")
        link = page.locator("th a.app-sort-link", has_text="Trajectory")
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**sort=trajectory**")
        assert page.locator('th[aria-sort="ascending"]').count() == 1
        summary = page.locator(".app-scorecard__commentary summary").first
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator(".app-scorecard__commentary .govuk-details__text").first.is_visible()
        check_accessibility(page)

    browse(live_server.url, steps)


def test_scorecard_prints_on_a4_landscape(live_server, dudley):  # noqa: F811
    def steps(page):
        sign_in(page, "board")
        page.goto(f"/scorecard/?plan={dudley.pk}&period=2021-09")
        page.emulate_media(media="print")
        assert page.evaluate(_PAGE_SIZE)[-1] == "a4 landscape"  # the last @page rule wins
        assert not page.locator(".govuk-header__navigation").is_visible()
        assert not page.locator(".app-filters").is_visible()
        wrapper = page.locator(".app-scorecard__wrapper")
        assert wrapper.evaluate("e => getComputedStyle(e).overflowX") == "visible"

    browse(live_server.url, steps)
