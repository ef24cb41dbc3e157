"""The overview's KPI table puts the previous period's figure beside the latest."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics.models import Actual, Kpi
from tests.factories import ActualFactory, KpiFactory, PlanFactory, PriorityAreaFactory, UserFactory
from tests.reports.helpers import element, text

pytestmark = pytest.mark.django_db

D = datetime.date


def test_the_overview_shows_the_previous_month_and_quarter_beside_the_latest(client):
    plan = PlanFactory(start=D(2021, 1, 1))
    area = PriorityAreaFactory(plan=plan)
    monthly = KpiFactory(code="M.01")
    quarterly = KpiFactory(code="Q.01", frequency=Kpi.Frequency.QUARTERLY)
    gap = KpiFactory(code="G.01")
    for kpi in (monthly, quarterly, gap):
        kpi.areas.add(area)
    ActualFactory(kpi=monthly, period=D(2021, 10, 1), value=Decimal("61"))
    ActualFactory(kpi=monthly, period=D(2021, 11, 1), value=Decimal("64"))
    ActualFactory(kpi=quarterly, period=D(2021, 6, 1), value=Decimal("34.1"))
    ActualFactory(kpi=quarterly, period=D(2021, 9, 1), value=Decimal("37.5"))
    ActualFactory(kpi=gap, period=D(2021, 11, 1), value=Decimal("50"))
    Actual.objects.update(state=Actual.State.SIGNED_OFF)  # as an analyst's load leaves them
    client.force_login(UserFactory())
    page = client.get(reverse("home"), {"plan": plan.pk, "period": "2021-11"}).content.decode()
    assert "Previous figure" in page
    assert "64.0% 61.0% Oct 2021" in text(element(page, f"kpi-{monthly.pk}"))
    assert "37.5% Q2 2021/22 34.1% Q1 2021/22" in text(element(page, f"kpi-{quarterly.pk}"))
    assert "50.0% No figure Oct 2021" in text(element(page, f"kpi-{gap.pk}"))
