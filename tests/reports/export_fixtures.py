"""Fixtures for the download and command tests: a small plan, and a quick stand-in file
format that needs no browser. Use them as ``fake = export_fixtures.fake``."""

import datetime

import pytest

from reports.exports import FORMATS, Format
from tests.factories import ActualFactory, KpiFactory, PlanFactory, PriorityAreaFactory


def render_pack(pack, *, progress=None) -> bytes:
    """Which plan, month and areas the pack held."""
    areas = ",".join(str(report.area.number) for report in pack.reports)
    return f"{pack.plan.slug} {pack.period:%Y-%m} areas {areas}".encode()


@pytest.fixture
def fake(monkeypatch):
    """The format "txt" in the registry, rendered by this module's render_pack."""
    fmt = Format("txt", "Text", "txt", "text/plain", __name__)
    monkeypatch.setitem(FORMATS, "txt", fmt)
    return fmt


@pytest.fixture
def plan():
    """Two areas, each with a KPI with a figure for September 2021."""
    plan = PlanFactory(slug="improvement-plan-2021", title="Improvement plan 2021")
    for number in (1, 2):
        area = PriorityAreaFactory(plan=plan, number=number)
        kpi = KpiFactory()
        kpi.areas.add(area)
        ActualFactory(kpi=kpi, period=datetime.date(2021, 9, 1))
    return plan
