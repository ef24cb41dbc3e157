"""stamps.about_plan: an answer about a plan, cached until that plan's data changes."""

import datetime

import pytest

from metrics import stamps
from priorities.models import PriorityArea
from reports import board
from tests.factories import ActualFactory, KpiFactory, PriorityAreaFactory

pytestmark = pytest.mark.django_db

JAN, FEB = datetime.date(2021, 1, 1), datetime.date(2021, 2, 1)


def _area_with_a_figure(period: datetime.date):
    area = PriorityAreaFactory()
    kpi = KpiFactory()
    kpi.areas.add(area)
    ActualFactory(kpi=kpi, period=period)
    return area, kpi


def _counted(plan) -> tuple[list, list]:
    calls = []

    def compute():
        calls.append(1)
        return ["answer"]

    return stamps.about_plan("test", plan, compute), calls


def test_an_answer_is_kept_until_its_plan_is_written_to():
    area, kpi = _area_with_a_figure(JAN)
    other, _ = _area_with_a_figure(JAN)
    assert _counted(area.plan_id)[1] == [1]
    assert _counted(area.plan_id)[1] == []

    ActualFactory(kpi=other.kpis.get(), period=FEB)
    assert _counted(area.plan_id)[1] == []  # another plan's write leaves it

    ActualFactory(kpi=kpi, period=FEB)
    assert _counted(area.plan_id)[1] == [1]


def test_a_plan_given_by_a_subquery_has_the_same_months_as_by_its_id():
    area, kpi = _area_with_a_figure(JAN)
    subquery = PriorityArea.objects.filter(pk=area.pk).values("plan")[:1]
    assert board.months_with_data(subquery) == board.months_with_data(area.plan) == [JAN]

    ActualFactory(kpi=kpi, period=FEB)

    assert board.months_with_data(subquery) == board.months_with_data(area.plan) == [JAN, FEB]
