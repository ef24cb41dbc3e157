"""The monthly cycle in a real browser: a head submits a figure, the board sees it as
provisional, the approver follows the reminder email's link and signs it off, and the
board page drops "provisional"."""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from metrics import periods
from metrics.models import Actual
from priorities import roles
from tests.browser.helpers import PASSWORD, check_accessibility, sign_in
from tests.factories import (
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cycle(transactional_db, settings, live_server):
    """A running plan: a head owns a KPI of an area whose responsible officer approves."""
    settings.SIGN_OFF_REQUIRED = True
    settings.SITE_URL = live_server.url
    settings.SIGN_OFF_REMINDER_WORKING_DAYS = 3
    groups = roles.ensure_groups()
    users = {}
    for name in ("head", "approver"):
        user = get_user_model().objects.create_user(
            name, email=f"{name}@dudley.example", password=PASSWORD
        )
        user.groups.add(groups[roles.HEAD_OF_SERVICE])
        users[name] = user
    plan = PlanFactory(start=datetime.date(2026, 1, 1), end=None)
    area = PriorityAreaFactory(
        plan=plan, responsible_officer=OfficerFactory(user=users["approver"])
    )
    kpi = KpiFactory(
        code="PI.426",
        title="Single assessments within 45 working days",
        owner=OfficerFactory(user=users["head"]),
        reporting_from=datetime.date(2026, 1, 1),
    )
    kpi.areas.add(area)
    TargetFactory(kpi=kpi, starts=datetime.date(2026, 1, 1), value=Decimal("85"))
    return kpi


def _board_page(kpi, month) -> str:
    return f"/kpis/{kpi.pk}/?period={month:%Y-%m}"


def test_a_figure_is_provisional_until_the_approver_signs_it_off_from_the_email(page, cycle):
    kpi = cycle
    month = periods.latest_completed_month(timezone.localdate())
    sign_in(page, "head")
    page.get_by_role("link", name=re.compile(f"^{re.escape(kpi.code)}")).first.click()
    page.get_by_label(kpi.get_unit_display(), exact=True).fill("90.3")
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("now awaits sign-off")
    assert Actual.objects.get(kpi=kpi, period=month).state == Actual.State.SUBMITTED

    page.goto(_board_page(kpi, month))
    expect(page.locator("main")).to_contain_text(re.compile("provisional", re.I))
    check_accessibility(page)

    # Four working days on, the reminders run and the approver is chased.
    chase = periods.add_working_days(timezone.localdate(), 4)
    out = StringIO()
    call_command("send_reminders", "--date", f"{chase:%Y-%m-%d}", stdout=out)
    (email,) = [m for m in mail.outbox if m.to == ["approver@dudley.example"]]
    link = re.search(rf"{re.escape(page.url.split('/kpis/')[0])}/approvals/\S*", email.body)
    assert link, email.body

    page.context.clear_cookies()
    page.goto(link.group(0).rstrip(".,)"))
    page.get_by_label("Username").fill("approver")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Approvals", exact=True)).to_be_visible()
    page.get_by_label(re.compile(f"^Sign off {re.escape(kpi.code)}")).check()
    page.get_by_role("button", name="Sign off selected").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(kpi.code)
    assert Actual.objects.get(kpi=kpi, period=month).state == Actual.State.SIGNED_OFF

    page.goto(_board_page(kpi, month))
    expect(page.locator("main")).to_contain_text("90.3")
    expect(page.locator("main")).not_to_contain_text(re.compile("provisional", re.I))
