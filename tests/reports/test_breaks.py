"""A change of definition breaks a KPI's series: charts, direction and trajectory never
read across it, and the KPI page says what changed."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from metrics import rag
from metrics.models import DefinitionChange, Kpi
from metrics.summary import for_board
from reports import board, chart_input, chart_table, charts
from tests.factories import ActualFactory, KpiFactory, PriorityAreaFactory, UserFactory
from tests.reports.helpers import charts as page_charts
from tests.reports.helpers import text, trace

D = datetime.date
TODAY = D(2022, 3, 20)
OLD = "New assessments completed within 45 working days"
NEW = "All assessments authorised within 45 working days"
SOURCE = "Improvement plan 2021, Improving services for children and families: CSIP.02"


APRIL = D(2021, 4, 1)


def _change(starts=APRIL) -> DefinitionChange:
    return DefinitionChange(starts=starts, old_definition=OLD, new_definition=NEW, source=SOURCE)


def _chart(**changes) -> chart_input.ChartInput:
    values = {
        "code": "CSIP.02",
        "title": "Assessments in 45 working days",
        "unit": "percent",
        "decimal_places": 1,
        "frequency": "monthly",
        "polarity": "higher",
        "period": D(2021, 6, 1),
        "actuals": [
            (D(2021, 1, 1), Decimal("61")),
            (D(2021, 2, 1), Decimal("64")),
            (D(2021, 3, 1), Decimal("66")),
            (D(2021, 4, 1), Decimal("82")),
            (D(2021, 5, 1), Decimal("84")),
            (D(2021, 6, 1), Decimal("85")),
        ],
        "steps": [rag.Step(D(2021, 1, 1), Decimal("90"))],
        "changes": [_change()],
    }
    return chart_input.ChartInput(**{**values, **changes})


# The chart -----------------------------------------------------------------


def test_the_actual_line_breaks_at_a_change_of_definition_and_is_labelled():
    figure = charts.kpi_figure(_chart())
    actual = trace(figure, "Actual")
    assert actual["connectgaps"] is False
    # March, then the break, then April: no line joins the two definitions.
    points = list(zip(actual["x"], actual["y"], strict=True))
    march = points.index(("2021-03-01", 66.0))
    assert points[march + 1] == ("2021-04-01", None)
    assert points[march + 2] == ("2021-04-01", 82.0)
    (annotation,) = figure["layout"]["annotations"]
    assert annotation["text"] == "Definition changed"
    assert "now “All assessments authorised" in annotation["hovertext"]
    (line,) = figure["layout"]["shapes"]
    assert line["x0"] == line["x1"] and "2021-03" in line["x0"]


def test_a_change_with_no_figure_either_side_draws_no_break():
    chart = _chart(changes=[_change(D(2019, 4, 1))])
    assert chart.breaks == ()
    assert (
        "annotations" not in charts.kpi_figure(chart)["layout"]
        or not (charts.kpi_figure(chart)["layout"]["annotations"])
    )


def test_the_charts_data_table_and_text_alternative_say_the_definition_changed():
    chart = _chart()
    table = chart_table.chart_table(chart)
    labels = [row.label for row in table.rows]
    assert labels[:4] == ["Jan 2021", "Feb 2021", "Mar 2021", "From Apr 2021"]
    assert labels[4] == "Apr 2021"
    brk = table.rows[3]
    assert brk.actual == "Definition changed" and OLD in brk.note and NEW in brk.note
    assert table.changes == [chart_table.change_text(_change())]
    assert "The definition changed from Apr 2021: the line breaks there." in (
        chart_table.describe(chart)
    )


# Direction and trajectory --------------------------------------------------


@pytest.fixture
def csip02(db) -> Kpi:
    kpi = KpiFactory(code="CSIP.02", title="Assessments in 45 working days")
    kpi.areas.add(PriorityAreaFactory())
    DefinitionChange.objects.create(
        kpi=kpi, starts=D(2021, 4, 1), old_definition=OLD, new_definition=NEW, source=SOURCE
    )
    values = {1: "61", 2: "64", 3: "66", 4: "82", 5: "84", 6: "85", 7: "86"}
    for month, value in values.items():
        ActualFactory(kpi=kpi, period=D(2021, month, 1), value=Decimal(value))
    ActualFactory(kpi=kpi, period=D(2020, 4, 1), value=Decimal("70"))
    return kpi


def _row(kpi, period):
    return for_board(Kpi.objects.filter(pk=kpi.pk), period, today=TODAY)[0]


def test_direction_is_not_read_across_a_change_of_definition(csip02):
    april = _row(csip02, D(2021, 4, 1))
    assert april.previous == Decimal("66")  # the figure is still there to see
    assert april.direction is None and april.previous_break.starts == D(2021, 4, 1)
    assert board.direction_text(april) == "Not comparable: definition changed"
    # Nor with April last year, which was measured the old way.
    assert april.direction_year is None and april.year_break is not None

    may = _row(csip02, D(2021, 5, 1))
    assert may.direction == rag.Direction.IMPROVING and may.previous_break is None


def test_the_trajectory_reads_only_figures_since_the_latest_change(csip02):
    # Three figures on the new definition (April to June) and three before it.
    june = _row(csip02, D(2021, 6, 1))
    assert june.trajectory.points == 3
    may = _row(csip02, D(2021, 5, 1))
    assert may.trajectory.verdict == rag.Verdict.NOT_ENOUGH_DATA
    assert may.trajectory.points == 2


# The pages -----------------------------------------------------------------


@pytest.fixture
def reader(client, db):
    client.force_login(UserFactory())
    return client


def test_the_kpi_page_lists_the_change_and_breaks_its_chart(reader, csip02):
    page = reader.get(reverse("kpi-detail", args=[csip02.pk]), {"period": "2021-04"})
    html = page.content.decode()
    words = text(html)
    assert "Definition changes" in words
    assert f"Apr 2021 {OLD} {NEW} {SOURCE}" in words
    assert "Not compared with the previous month: the definition changed from April 2021." in (
        words
    )
    assert "Not comparable: definition changed" in words
    (figure,) = page_charts(html).values()
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["Definition changed"]
    assert None in trace(figure, "Actual")["y"]


def test_the_area_page_says_the_figure_is_not_compared(reader, csip02):
    area = csip02.areas.get()
    page = reader.get(reverse("area-detail", args=[area.pk]), {"period": "2021-04"})
    words = text(page.content.decode())
    assert "Not comparable: definition changed" in words
