"""The findings pages in a real browser: axe-core clean on a phone and a desktop, charts drawn.

Runs the board browser tests' harness (its own Chromium on its own thread);
the findings are made here with factories over the seeded Dudley plan.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from metrics.models import Kpi
from priorities.models import Action, PriorityArea
from tests.browser.helpers import check_accessibility, make_logins, sign_in
from tests.factories import (
    FindingActionFactory,
    FindingFactory,
    FindingKpiFactory,
    FindingSourceFactory,
)
from tests.reports.test_board_browser import (
    CHROMIUM,
    DESKTOP,
    PHONE,
    _check_fits_a_phone,
    _check_scrolling_regions,
    _wait_for_a_chart,
    browse,
)

pytestmark = pytest.mark.skipif(
    not __import__("pathlib").Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"
)

MADE = datetime.date(2020, 11, 20)


@pytest.fixture
def findings(transactional_db):
    call_command("seed", stdout=StringIO())
    make_logins()
    mash = PriorityArea.objects.filter(title__contains="MASH").first()
    source = FindingSourceFactory(title="Focused visit", date=MADE, published=None)
    FindingFactory(
        source=source, ref="J1", kind="judgement", grade="requires_improvement", title="Overall"
    )
    FindingFactory(source=source, ref="P1", text="", area=mash, responsible_officer=None)
    direct = FindingFactory(source=source, ref="W1", title="Caseloads are too high")
    FindingActionFactory(finding=direct, action=Action.objects.first(), since=MADE)
    FindingKpiFactory(finding=direct, kpi=Kpi.objects.get(title__contains="caseload"), since=MADE)
    return direct


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_findings_pages_pass_axe_on_a_phone_and_a_desktop(live_server, findings, width):
    urls = ["/findings/?period=2021-09", f"/findings/{findings.pk}/?period=2021-09"]

    def steps(page):
        page.set_viewport_size({"width": width, "height": 900})
        sign_in(page, "board")
        # On a phone the menu is folded behind its button; the link is there all the same.
        assert page.locator('#navigation a[href="/findings/"]').count() == 1
        for url in urls:
            page.goto(url)
            if page.locator(".app-chart__plot").count():
                _wait_for_a_chart(page)
            check_accessibility(page)
            _check_scrolling_regions(page)
            if width == PHONE:
                _check_fits_a_phone(page)

    browse(live_server.url, steps)
