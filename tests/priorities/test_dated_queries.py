"""Reading actions as they stood costs no extra queries: the board pages' budgets hold with
500 actions that each changed status five times, for a past month and for the latest."""

import pytest
from django.urls import reverse

from metrics.models import Kpi
from metrics.periods import add_months
from priorities.models import Action, ActionStatus
from tests.reports.builders import START, build_plan
from tests.reports.test_queries import (
    AREA_QUERIES,
    KPI_QUERIES,
    OVERVIEW_QUERIES,
    PACK_QUERIES,
    board_client,  # noqa: F401 (a fixture)
)

pytestmark = pytest.mark.django_db
ACTIONS, CHANGES = 500, 5
STEPS = [Action.Status.NOT_STARTED, Action.Status.IN_PROGRESS, Action.Status.COMPLETED]


def _dated_actions(plan) -> None:
    """500 actions across the plan's areas, each with five dated statuses seven months apart."""
    areas = list(plan.areas.order_by("number"))
    made = Action.objects.bulk_create(
        Action(
            area=areas[n % len(areas)],
            ref=f"D{n}",
            description=f"Dated action {n}",
            original_delivery_date=add_months(START, n % 30),
            status=Action.Status.COMPLETED,
            completed_date=add_months(START, 28),
            status_as_at=add_months(START, 28),
        )
        for n in range(ACTIONS)
    )
    ActionStatus.objects.bulk_create(
        ActionStatus(
            action=action,
            effective=add_months(START, change * 7),
            status=STEPS[min(change, 2)] if change < CHANGES - 1 else Action.Status.COMPLETED,
            current_delivery_date=add_months(START, 6 + change * 3),
            completed_date=add_months(START, 28) if change == CHANGES - 1 else None,
        )
        for action in made
        for change in range(CHANGES)
        if change < 2 or change == CHANGES - 1 or action.pk % 2
    )


def _pages(plan, period: str) -> list[tuple[str, dict, int]]:
    area = plan.areas.order_by("number").first()
    kpi = Kpi.objects.filter(areas__plan=plan).order_by("code").first()
    month = {"plan": plan.pk, "period": period}
    return [
        (reverse("home"), month, OVERVIEW_QUERIES),
        (reverse("area-detail", args=[area.pk]), {"period": period}, AREA_QUERIES),
        (reverse("kpi-detail", args=[kpi.pk]), {"period": period}, KPI_QUERIES),
        (reverse("board-pack"), month, PACK_QUERIES),
    ]


@pytest.mark.parametrize("kpis", [10, 200])
@pytest.mark.parametrize("period", ["2020-06", "2021-12"])
def test_board_pages_read_dated_statuses_in_their_fixed_queries(
    board_client,  # noqa: F811
    django_assert_max_num_queries,
    kpis,
    period,
):
    plan = build_plan(kpis, months=36, areas=1)
    _dated_actions(plan)
    for url, query, budget in _pages(plan, period):
        with django_assert_max_num_queries(budget):
            response = board_client.get(url, query)
        assert response.status_code == 200


def test_a_past_month_shows_the_status_then_for_hundreds_of_actions(board_client):  # noqa: F811
    plan = build_plan(10, months=36, areas=1)
    _dated_actions(plan)
    area = plan.areas.get()
    page = board_client.get(reverse("area-detail", args=[area.pk]), {"period": "2019-09"})
    body = page.content.decode()
    # In September 2019 every dated action had its second status, in progress since August.
    assert body.count("Status last reported 1 Aug 2019") == ACTIONS
