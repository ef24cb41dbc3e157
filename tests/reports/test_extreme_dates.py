"""No board page answers 500 for a date the database can hold, however it got there."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import Actual, Target
from priorities.models import Action
from tests.factories import KpiFactory, PriorityAreaFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date

# The ends of the calendar, as raw SQL, a restore or an old bug could leave them.
EXTREMES = [D(1, 1, 1), D(1, 2, 1), D(2035, 1, 1), D(9999, 10, 1), D(9999, 12, 1)]


@pytest.fixture
def area_with_extreme_dates():
    area = PriorityAreaFactory()
    for frequency in ("monthly", "quarterly"):
        kpi = KpiFactory(frequency=frequency)
        kpi.areas.add(area)
        # bulk_create skips every rule, as a direct database write would.
        Actual.objects.bulk_create(
            Actual(kpi=kpi, period=day, value=Decimal("50")) for day in EXTREMES
        )
        Target.objects.bulk_create(
            Target(kpi=kpi, starts=day, value=Decimal("60")) for day in (D(1, 1, 1), D(9999, 12, 1))
        )
    Action.objects.bulk_create(
        Action(
            area=area,
            ref=str(n),
            description="At the end of time",
            original_delivery_date=day,
            current_delivery_date=D(9999, 12, 31),
        )
        for n, day in enumerate([D(1, 1, 1), D(9999, 12, 31)])
    )
    return area


@pytest.mark.parametrize("period", ["", "0001-01", "0001-02", "9999-10", "9999-12", "2035-01"])
def test_board_pages_answer_for_any_stored_date(client, area_with_extreme_dates, period):
    area = area_with_extreme_dates
    client.force_login(UserFactory())
    query = {"plan": area.plan.pk, "period": period}
    pages = [
        reverse("home"),
        reverse("area-detail", args=[area.pk]),
        reverse("board-pack"),
        *(reverse("kpi-detail", args=[kpi.pk]) for kpi in area.kpis.all()),
    ]
    for page in pages:
        response = client.get(page, query)
        assert response.status_code == 200, (page, period)
