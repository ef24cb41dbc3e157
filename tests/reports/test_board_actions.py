"""Actions on the board pages: counts by status and slippage as they stood at the month's end,
and the KPI charts marking the actions meant to move each KPI."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics import periods
from priorities.models import Action, ActionStatus
from tests.factories import (
    ActionFactory,
    ActualFactory,
    KpiFactory,
    PriorityAreaFactory,
    UserFactory,
)
from tests.reports.helpers import charts, element, text, trace

pytestmark = pytest.mark.django_db
D = datetime.date
DONE, DOING, TODO = Action.Status.COMPLETED, Action.Status.IN_PROGRESS, Action.Status.NOT_STARTED


@pytest.fixture
def board_client(client):
    client.force_login(UserFactory())
    return client


def _reported_later(action: Action, *, before: str, after: str, changed: D) -> Action:
    """An action whose status ``before`` held until ``changed``, then became ``after``."""
    done = changed if after == DONE else None
    ActionStatus.objects.create(action=action, effective=D(2021, 1, 1), status=before)
    action.status, action.completed_date, action.status_as_at = after, done, changed
    action.save()
    ActionStatus.objects.create(action=action, effective=changed, status=after, completed_date=done)
    return action


@pytest.fixture
def area():
    """Area with one action of each kind, as it stood at the end of May 2021."""
    area = PriorityAreaFactory(number=4)
    ActionFactory(area=area, ref="1", status=DONE, completed_date=D(2021, 2, 1))
    ActionFactory(area=area, ref="2", status=DOING, original_delivery_date=D(2021, 9, 30))
    ActionFactory(area=area, ref="3", status=TODO, original_delivery_date=D(2021, 4, 30))  # late
    # Completed in June, in progress at the end of May.
    _reported_later(
        ActionFactory(area=area, ref="4", original_delivery_date=D(2021, 8, 31)),
        before=DOING,
        after=DONE,
        changed=D(2021, 6, 10),
    )
    # First reported in July: nothing was known of it at the end of May.
    ActionFactory(area=area, ref="5", status=TODO, status_as_at=D(2021, 7, 1))
    # Another area's action is not counted here.
    ActionFactory(area=PriorityAreaFactory(plan=area.plan, number=5), status=TODO)
    return area


def test_status_counts_read_each_action_as_it_stood_and_agree_with_is_overdue(area):
    actions = Action.objects.filter(area=area)
    on = D(2021, 5, 31)
    assert actions.status_counts(on) == {
        "completed": 1,
        "in_progress": 2,
        "not_started": 1,
        "not_reported": 1,
        "overdue": 1,
        "total": 5,
    }
    assert actions.status_counts(on)["overdue"] == sum(a.is_overdue(on) for a in actions)
    later = actions.status_counts(D(2021, 7, 31))
    assert (later["completed"], later["not_started"], later["not_reported"]) == (2, 2, 0)


def test_overview_counts_each_areas_actions_and_the_plans(board_client, area):
    page = board_client.get(
        reverse("home"), {"plan": area.plan.pk, "period": "2021-05"}
    ).content.decode()
    row = text(element(page, f"area-{area.pk}-actions")).split()
    # Completed, in progress, not started, not yet reported, overdue, all.
    assert row[-6:] == ["1", "2", "1", "1", "1", "5"]
    total = text(element(page, "plan-actions-total")).split()
    assert total[-6:] == ["1", "2", "2", "1", "2", "6"]
    assert (
        "Actions as they stood on 31 May 2021: 1 completed, 2 in progress, 2 not started, "
        "1 not yet reported, of 6; 2 overdue." in text(page)
    )


def test_area_page_counts_its_actions_and_sums_slippage_as_they_stood(board_client, area):
    slipped = Action.objects.get(area=area, ref="2")
    slipped.current_delivery_date = D(2021, 11, 30)  # two months after 30 Sep
    slipped.save()
    moved = _reported_later(
        ActionFactory(area=area, ref="6", original_delivery_date=D(2021, 1, 31)),
        before=DOING,
        after=DOING,
        changed=D(2021, 6, 1),
    )
    ActionStatus.objects.filter(action=moved, effective=D(2021, 1, 1)).update(
        current_delivery_date=D(2021, 4, 30)  # three months late in May...
    )
    moved.current_delivery_date = D(2021, 12, 31)  # ...eleven from June
    moved.save()

    def page(period):
        html = board_client.get(
            reverse("area-detail", args=[area.pk]), {"period": period}
        ).content.decode()
        return html, text(element(html, f"area-{area.pk}-action-counts"))

    may, counts = page("2021-05")
    assert (
        "1 completed, 3 in progress, 1 not started, 1 not yet reported, of 6; 2 overdue" in counts
    )
    assert "Slippage across the area: 5 months" in counts
    assert " 3 " in f" {text(element(may, f'action-{moved.pk}'))} "
    assert "Not yet reported" in text(element(may, f"action-{Action.objects.get(ref='5').pk}"))
    june, counts = page("2021-06")
    assert "2 completed, 2 in progress, 1 not started, 1 not yet reported" in counts
    assert "Slippage across the area: 13 months" in counts
    assert " 11 " in f" {text(element(june, f'action-{moved.pk}'))} "


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2021, 1, 31), D(2021, 3, 31), 2),
        (D(2021, 1, 31), D(2021, 2, 28), 1),  # month ends stay month ends
        (D(2020, 2, 29), D(2021, 7, 31), 17),
        (D(2021, 1, 15), D(2021, 2, 14), 0),  # not yet a whole month
        (D(2021, 1, 15), D(2021, 2, 15), 1),
        (D(2021, 6, 30), D(2021, 3, 31), -3),  # brought forward
        (D(2021, 3, 31), D(2021, 3, 31), 0),
    ],
)
def test_slippage_is_whole_months_between_the_dates(start, end, months):
    assert periods.whole_months(start, end) == months
    action = Action(original_delivery_date=start, current_delivery_date=end)
    assert action.slippage_months() == months


# KPI charts mark the actions meant to move them --------------------------------


@pytest.fixture
def kpis(area):
    """Two KPIs of the area with figures: one with an action linked to it, one without."""
    linked, unlinked = KpiFactory(code="LINKED"), KpiFactory(code="UNLINKED")
    for kpi in (linked, unlinked):
        kpi.areas.add(area)
        for month in range(1, 7):
            ActualFactory(kpi=kpi, period=D(2021, month, 1), value=Decimal(60 + month))
    elsewhere = ActionFactory(
        area=PriorityAreaFactory(number=7),
        ref="2",
        description="Recruit twelve permanent social workers",
        status=DONE,
        completed_date=D(2021, 5, 20),
    )
    linked.actions.add(elsewhere)
    return linked, unlinked


def _marks(html: str, chart_id: str) -> list[str]:
    figure = charts(html)[chart_id]
    marks = [t for t in figure["data"] if t["name"] == "Action completed"]
    texts = trace(figure, "Action completed")["text"] if marks else []
    return [mark.split(",")[0] for mark in texts]  # "Action 7.2, completed 20 May 2021"


def test_kpi_chart_marks_its_linked_actions_else_its_areas(board_client, area, kpis):
    linked, unlinked = kpis

    def kpi_page(kpi, period):
        url = reverse("kpi-detail", args=[kpi.pk])
        return board_client.get(url, {"period": period}).content.decode()

    # The linked action, from another area, and not the area's own completed action.
    assert _marks(kpi_page(linked, "2021-06"), f"kpi-{linked.pk}-chart") == ["Action 7.2"]
    # No action linked: the area's actions completed by then (4.4 was completed in June).
    assert _marks(kpi_page(unlinked, "2021-06"), f"kpi-{unlinked.pk}-chart") == [
        "Action 4.1",
        "Action 4.4",
    ]
    # As it stood in April: the linked action was not yet completed; 4.4 was in progress.
    assert _marks(kpi_page(linked, "2021-04"), f"kpi-{linked.pk}-chart") == []
    assert _marks(kpi_page(unlinked, "2021-04"), f"kpi-{unlinked.pk}-chart") == ["Action 4.1"]
    page = text(kpi_page(linked, "2021-06"))
    assert "7.2 completed 20 May 2021: Recruit twelve permanent social workers" in page


def test_area_page_charts_mark_each_kpis_own_actions(board_client, area, kpis):
    linked, unlinked = kpis
    html = board_client.get(
        reverse("area-detail", args=[area.pk]), {"period": "2021-06"}
    ).content.decode()
    assert _marks(html, f"kpi-{linked.pk}-chart") == ["Action 7.2"]
    assert _marks(html, f"kpi-{unlinked.pk}-chart") == ["Action 4.1", "Action 4.4"]
