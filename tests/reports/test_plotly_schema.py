"""Every figure the board pages build is one plotly.js draws.

Figures are plain dicts (reports.charts): plotly's graph objects, which
check a figure as it is built, are too slow for a request. Here each one goes
through ``plotly.graph_objects.Figure``, which raises on any property plotly
does not know or any value of the wrong kind, for the shipped data at every
month and for a generated plan with every kind of KPI.
"""

import datetime
from io import StringIO

import plotly.graph_objects as go
import pytest
from django.core.management import call_command

from priorities.models import Plan
from reports import charts, pack
from tests.reports.builders import build_plan

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 1, 1)


def _figures(plan: Plan, months: list[datetime.date]) -> list[dict]:
    return [
        charts.kpi_figure(panel.chart)
        for period in months
        for report in pack.build(plan, period, today=TODAY).reports
        for panel in report.panels
        if panel.chart.has_data
    ]


def _check(figure: dict) -> None:
    checked = go.Figure(figure)  # raises on anything plotly.js would not draw
    assert len(checked.data) == len(figure["data"])
    assert checked.layout.title.text == figure["layout"]["title"]["text"]


def test_every_figure_of_the_shipped_plans_is_a_valid_plotly_figure():
    call_command("seed", stdout=StringIO())
    months = [datetime.date(2021, m, 1) for m in (1, 3, 6, 9, 12)] + [datetime.date(2022, 9, 1)]
    figures = [f for plan in Plan.objects.all() for f in _figures(plan, months)]
    assert len(figures) > 100
    for figure in figures:
        _check(figure)
    # The shipped figures draw every kind of trace and mark the pages use.
    names = {trace["name"] for figure in figures for trace in figure["data"]}
    assert {"Actual", "Target", "Action completed", charts.FOOTNOTE} <= names
    assert any(name.startswith("Projection to") for name in names)
    assert any(figure["layout"].get("shapes") for figure in figures)


def test_every_figure_of_a_generated_plan_is_a_valid_plotly_figure():
    plan = build_plan(12, months=40)
    figures = _figures(plan, [datetime.date(2020, 6, 1), datetime.date(2022, 4, 1)])
    assert len(figures) == 24
    for figure in figures:
        _check(figure)
    names = {trace["name"] for figure in figures for trace in figure["data"]}
    assert {"Target band (shaded)", "Statistical neighbours"} & names


def test_a_figure_is_plain_json_with_no_plotly_objects():
    plan = build_plan(3, months=24)
    figure = _figures(plan, [datetime.date(2020, 6, 1)])[0]
    assert type(figure) is dict
    assert all(type(trace) is dict and trace["type"] == "scatter" for trace in figure["data"])
