"""Footnotes to figures: shown beside the figure and on its chart, never part of the number."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics import importer
from metrics.models import Actual
from priorities import roles
from reports import chart_input, chart_table, charts
from tests.factories import (
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PriorityAreaFactory,
    UserFactory,
)
from tests.metrics.import_helpers import ACTUALS_LONG, xlsx
from tests.reports.helpers import charts as page_charts
from tests.reports.helpers import text, trace

D = datetime.date
NOTE = "Increase in Establishment due to the Family Comes First transfer of posts"


def _chart() -> chart_input.ChartInput:
    return chart_input.ChartInput(
        code="WF.01",
        title="Social worker establishment (FTE)",
        unit="fte",
        decimal_places=2,
        frequency="monthly",
        polarity="neutral",
        period=D(2022, 9, 1),
        actuals=[(D(2022, 8, 1), Decimal("120.5")), (D(2022, 9, 1), Decimal("132.44"))],
        steps=[],
        notes={D(2022, 9, 1): NOTE},
    )


def test_the_chart_rings_a_figure_with_a_footnote_and_gives_it_as_hover_text():
    figure = charts.kpi_figure(_chart())
    ringed = trace(figure, "Figure with a footnote")
    assert ringed["x"] == ["2022-09-01"] and ringed["y"] == [132.44]
    assert "Family Comes First" in ringed["hovertext"][0]
    # The number itself is untouched.
    assert trace(figure, "Actual")["y"] == [120.5, 132.44]


def test_the_charts_data_table_gives_the_note_beside_the_figure():
    table = chart_table.chart_table(_chart())
    assert table.has_notes
    september = table.rows[-1]
    assert (september.actual, september.note) == ("132.44 FTE", NOTE)
    assert table.rows[0].note == ""


@pytest.fixture
def head(db):
    user = UserFactory(username="head")
    user.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    return user


@pytest.fixture
def establishment(head):
    kpi = KpiFactory(
        code="WF.01",
        unit="fte",
        decimal_places=2,
        polarity="neutral",
        owner=OfficerFactory(user=head),
    )
    kpi.areas.add(PriorityAreaFactory())
    ActualFactory(kpi=kpi, period=D(2022, 8, 1), value=Decimal("120.5"))
    ActualFactory(kpi=kpi, period=D(2022, 9, 1), value=Decimal("132.44"), note=NOTE)
    return kpi


def test_the_kpi_page_shows_the_note_beside_the_figure_and_on_the_chart(client, establishment):
    client.force_login(UserFactory())
    page = client.get(reverse("kpi-detail", args=[establishment.pk]), {"period": "2022-09"})
    html = page.content.decode()
    words = text(html)
    assert f"The figure is 132.44 FTE; no target is in force. Note: {NOTE}" in words
    assert words.count(NOTE) >= 2  # beside the latest figure and in the table of every figure
    (figure,) = page_charts(html).values()
    assert trace(figure, "Figure with a footnote")["x"] == ["2022-09-01"]


def test_the_owner_writes_a_footnote_on_the_entry_page(client, head, establishment, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: D(2022, 11, 22))
    client.force_login(head)
    url = reverse("kpi-entry", args=[establishment.pk, "2022-10"])
    assert "Footnote (optional)" in client.get(url).content.decode()
    data = {"version": "0", "value": "131", "note": "Two posts moved to the MASH"}
    client.post(url, data)
    assert Actual.objects.get(kpi=establishment, period=D(2022, 10, 1)).note == data["note"]

    data = {"version": "1", "value": "131", "note": "x" * 301}
    page = client.post(url, data).content.decode()
    assert "Ensure this value has at most 300 characters" in page
    assert Actual.objects.get(kpi=establishment, period=D(2022, 10, 1)).note == (
        "Two posts moved to the MASH"
    )


def test_the_import_reads_a_note_column_on_the_actuals_sheet(establishment):
    row = ["WF.01", "Jul 2022", 118, *[None] * 5, NOTE]
    data = xlsx({"Actuals": [[*ACTUALS_LONG, "Note"], row]})
    (change,) = importer.preview(data).changes
    assert change.values["note"] == NOTE
