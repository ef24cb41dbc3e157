"""What a board member and a head of service read once a plan has ended, and the commentary.

The rules themselves are tested in tests/metrics/test_due.py; these pages
must say the same in words.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from metrics.models import Actual, Kpi
from priorities import roles
from priorities.models import Plan, PriorityArea
from tests.factories import OfficerFactory, UserFactory
from tests.reports.helpers import element, text
from tests.reports.pack_pages_helpers import panel_page, whole_pack

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def dudley():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug="improvement-plan-2021")


def signed_in(client, role, username):
    user = UserFactory(username=username)
    user.groups.add(roles.ensure_groups()[role])
    client.force_login(user)
    return user


def page(client, name, *args, **query) -> str:
    response = client.get(reverse(name, args=args), query)
    assert response.status_code == 200
    return response.content.decode()


def test_a_kpi_page_years_after_its_plan_ended_says_not_required_never_overdue(client, dudley):
    signed_in(client, roles.BOARD_MEMBER, "board")
    mash = Kpi.objects.get(title__contains="MASH")
    shown = text(page(client, "kpi-detail", mash.pk, period="2026-10"))
    assert "Oct 2026: Not required: no figure asked for" in shown
    assert "Figures asked for Up to Jan 2021; a missing figure after that is not required" in shown
    assert shown.count("Overdue: figure not submitted") == 1  # December 2020 only
    assert shown.count("Not required: no figure asked for") < 5  # not a row for every month


def test_the_overview_counts_overdue_figures_and_says_why_an_area_is_amber(client, dudley):
    signed_in(client, roles.BOARD_MEMBER, "board")
    overview = page(client, "home", plan=dudley.pk, period="2021-11")
    area = PriorityArea.objects.get(plan=dudley, number=2)
    row = text(element(overview, f"area-{area.pk}"))
    assert "Amber: 13 actions overdue" in row
    assert "with an overdue figure" in text(overview)
    december = page(client, "home", plan=dudley.pk, period="2020-12")
    assert "Overdue figures" in text(december)


def test_a_chart_data_table_says_which_months_were_not_required(client, dudley):
    signed_in(client, roles.BOARD_MEMBER, "board")
    kpi = Kpi.objects.get(code="CSIP.03")
    area = kpi.areas.get(plan=dudley)
    shown = text(page(client, "area-detail", area.pk, period="2021-11"))
    assert "Feb 2021 to Oct 2021 Not required: no figure asked for" in shown


def test_heads_of_service_are_not_asked_for_figures_on_a_plan_that_ended(client, dudley):
    head = signed_in(client, roles.HEAD_OF_SERVICE, "head")
    mash = Kpi.objects.get(title__contains="MASH")
    mash.owner.user = head
    mash.owner.save()
    shown = text(page(client, "my-updates"))
    assert "Not required this month" in shown and mash.code in shown
    assert "Overdue" not in shown.replace("overdue actions", "")
    assert "Oct 2026" not in shown


def test_the_area_page_shows_the_months_commentary_with_where_it_came_from(client, dudley):
    signed_in(client, roles.BOARD_MEMBER, "board")
    kpi = Kpi.objects.get(code="PI.432")
    area = kpi.areas.get(plan=dudley)
    html = panel_page(client, area.pk, kpi.pk, period="2021-09")  # charts come ten a page
    panel = html.split(f'id="kpi-{kpi.pk}-chart-section"')[1].split("</section>")[0]
    assert '<details class="govuk-details app-print-open">' in panel
    assert "Commentary for Q2 2021/22" in text(panel)
    assert "What is the data telling us" in panel
    assert "More children left care than entered it in Q2" in panel
    assert "Taken from Quarterly Corporate Performance Report Quarter 2 2021/22" in text(panel)


def test_the_pack_shows_who_wrote_the_commentary_and_when(client, dudley):
    board = signed_in(client, roles.BOARD_MEMBER, "board")
    kpi = Kpi.objects.get(title__contains="MASH")
    OfficerFactory(role_title="Service Manager, MASH duty", user=board)
    Actual.objects.filter(kpi=kpi, period=datetime.date(2021, 1, 1)).update(
        what_data_tells_us="Same-day decisions are rising.",
        issues_and_risks="Agency staff leave in March.",
        updated_by=board,
    )
    pack = whole_pack(client, plan=dudley.pk, period="2021-01")  # the pack comes a page at a time
    shown = text(pack)
    assert "What is the data telling us Same-day decisions are rising." in shown
    assert "What are the issues and risks Agency staff leave in March." in shown
    saved = timezone.localtime(Actual.objects.get(kpi=kpi, period="2021-01-01").updated_at)
    assert f"Written by Service Manager, MASH duty, last saved {saved:%-d %B %Y}." in shown
    # A figure with no commentary says so, rather than showing another month's.
    earlier = text(whole_pack(client, plan=dudley.pk, period="2020-11"))
    assert "Same-day decisions are rising." not in earlier
    assert "No commentary is recorded for Nov 2020." in earlier
