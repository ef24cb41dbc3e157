"""Provisional figures in a real browser: the pages stay axe-clean, the charts draw."""

from pathlib import Path

import pytest

from metrics.models import Actual, Kpi
from priorities.models import PriorityArea
from tests.browser.helpers import check_accessibility, sign_in
from tests.reports.test_board_browser import (  # noqa: F401
    CHROMIUM,
    DESKTOP,
    PHONE,
    _board_pages,
    _check_fits_a_phone,
    _wait_for_a_chart,
    browse,
    dudley,
)

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium"
)


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_pages_with_provisional_figures_pass_axe(live_server, dudley, width):  # noqa: F811
    mash = PriorityArea.objects.get(plan=dudley, title__contains="MASH")
    caseload = Kpi.objects.get(title__contains="caseload")
    # Some of September 2021's figures, and one each on the pages' charts, not yet signed off.
    Actual.objects.filter(period="2021-09-01").filter(kpi__code__startswith="PI.43").update(
        state=Actual.State.SUBMITTED
    )
    Actual.objects.filter(kpi__areas=mash).update(state=Actual.State.RETURNED)
    latest = caseload.actuals.filter(period__lte="2021-09-01").order_by("-period").first()
    Actual.objects.filter(pk=latest.pk).update(state=Actual.State.SUBMITTED)
    urls = [*_board_pages(dudley), f"/scorecard/?plan={dudley.pk}&period=2021-09"]

    def steps(page):
        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, "board")
        for url in urls:
            page.goto(url)
            # The pack's first page lists them by sign-off state; its area pages mark them.
            assert page.locator(".app-provisional").count() or "/pack/" in url, url
            if page.locator(".app-chart__plot").count():
                _wait_for_a_chart(page)
            check_accessibility(page)
            if width == PHONE and "/scorecard/" not in url:  # the grid scrolls sideways
                _check_fits_a_phone(page)
        page.goto(f"/pack/?plan={dudley.pk}&period=2021-09")
        assert "Awaiting sign-off" in page.locator("#provisional").inner_text()

    browse(live_server.url, steps)
