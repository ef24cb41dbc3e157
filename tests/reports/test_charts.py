"""Trajectory charts: what the figure JSON carries, and that the table says the same."""

import datetime
import json
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import plotly.offline
import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from metrics import display, rag
from metrics.models import Kpi
from priorities.models import PriorityArea
from reports import chart_input, chart_table, charts
from tests.factories import UserFactory
from tests.reports.helpers import cells, trace
from tests.reports.helpers import charts as page_charts
from tests.reports.pack_pages_helpers import area_pages

D = datetime.date


def _chart(**changes) -> chart_input.ChartInput:
    values = {
        "code": "CSIP.01",
        "title": "Contacts progressed within one working day (MASH)",
        "unit": "percent",
        "decimal_places": 1,
        "frequency": "monthly",
        "polarity": "higher",
        "period": D(2021, 1, 1),
        "actuals": [
            (D(2020, 11, 1), Decimal("69")),
            (D(2020, 12, 1), Decimal("73.4")),
            (D(2021, 1, 1), Decimal("77.1")),
        ],
        "steps": [
            rag.Step(D(2020, 11, 1), Decimal("95")),
            rag.Step(D(2021, 2, 1), Decimal("80")),
            rag.Step(D(2021, 3, 1), Decimal("90")),
            rag.Step(D(2021, 4, 1), Decimal("95")),
        ],
        "benchmarks": [
            chart_input.Benchmark(
                "statistical_neighbours", "Statistical neighbours", [(D(2020, 12, 1), 80)]
            ),
            chart_input.Benchmark("region", "West Midlands region", [(D(2020, 12, 1), 82)]),
            chart_input.Benchmark("england", "England", [(D(2020, 12, 1), Decimal("85.5"))]),
        ],
        "actions": [chart_input.ActionMark(D(2020, 12, 15), "2.7", "Baseline audit of contacts")],
    }
    values.update(changes)
    chart = chart_input.ChartInput(**values)
    rule = rag.Rule(polarity=chart.polarity, unit=chart.unit, frequency=chart.frequency)
    trajectory = rag.trajectory(dict(chart.actuals), chart.steps, chart.period, rule)
    return chart_input.ChartInput(**{**values, "trajectory": changes.get("trajectory", trajectory)})


def _shown(y: float, kpi: Kpi) -> str:
    return display.figure(Decimal(str(y)), kpi.decimal_places, kpi.unit)


# The figure ----------------------------------------------------------------


def test_target_is_a_step_line_through_every_step():
    figure = charts.kpi_figure(_chart(viewed=D(2021, 4, 1)))
    target = trace(figure, "Target")
    assert target["line"]["shape"] == "hv"
    # Each step is flat from its month to the next step's.
    assert list(zip(target["x"], target["y"], strict=True))[:6] == [
        ("2020-11-01", 95.0),
        ("2021-02-01", 95.0),
        ("2021-02-01", 80.0),
        ("2021-03-01", 80.0),
        ("2021-03-01", 90.0),
        ("2021-04-01", 90.0),
    ]
    # The last step carries on to the right edge.
    assert target["y"][-1] == 95.0 and target["x"][-1] > "2021-04-01"


def test_a_neutral_kpis_value_before_its_band_is_a_reference_level_not_a_target():
    steps = [
        rag.Step(D(2021, 6, 1), Decimal("43.7")),
        rag.Step(D(2021, 8, 1), lower=Decimal(35), upper=Decimal(45)),
    ]
    chart = _chart(polarity="neutral", steps=steps, unit="rate_per_10000", viewed=D(2021, 9, 1))
    figure = charts.kpi_figure(chart)
    level = trace(figure, charts.REFERENCE_LEVEL)
    assert level["x"][:2] == ["2021-06-01", "2021-08-01"] and level["y"][:2] == [43.7, 43.7]
    assert not any(t["name"] == "Target" for t in figure["data"])
    band = trace(figure, "Target band (shaded)")
    assert band["x"][0] == "2021-08-01" and band["y"][0] == 45.0
    assert "against target band" in figure["layout"]["title"]["text"]
    notes = chart_table.chart_table(chart).target_steps
    assert notes == ["43.7 from Jun 2021 (not a target)", "35.0 to 45.0 from Aug 2021"]


def test_actuals_are_a_solid_line_with_markers():
    actual = trace(charts.kpi_figure(_chart()), "Actual")
    assert actual["mode"] == "lines+markers"
    assert "dash" not in actual["line"]
    assert actual["y"] == [69.0, 73.4, 77.1]


def test_each_benchmark_is_its_own_dashed_series():
    figure = charts.kpi_figure(_chart())
    names = ["Statistical neighbours", "West Midlands region", "England"]
    series = [trace(figure, name) for name in names]
    assert [s["y"] for s in series] == [[80.0], [82.0], [85.5]]
    dashes = {s["line"]["dash"] for s in series}
    assert len(dashes) == 3 and "solid" not in dashes
    assert len({s["marker"]["symbol"] for s in series}) == 3


def test_projection_is_dotted_from_the_last_actual_to_the_next_step():
    chart = _chart()
    projection = next(t for t in charts.kpi_figure(chart)["data"] if t["name"].startswith("Proj"))
    assert projection["line"]["dash"] == "dot"
    assert projection["x"] == ["2021-01-01", "2021-02-01"]  # the next target step
    assert projection["y"][0] == 77.1
    assert projection["y"][1] == pytest.approx(float(chart.trajectory.projected))
    assert chart.trajectory.verdict.value in projection["name"]


def test_no_projection_without_enough_figures():
    chart = _chart(actuals=[(D(2021, 1, 1), Decimal("77.1"))])
    names = [t["name"] for t in charts.kpi_figure(chart)["data"]]
    assert not any(name.startswith("Projection") for name in names)


def test_a_neutral_kpis_band_is_shaded():
    band = [rag.Step(D(2020, 11, 1), lower=Decimal(40), upper=Decimal(50))]
    figure = charts.kpi_figure(_chart(polarity="neutral", steps=band, unit="rate_per_10000"))
    upper = trace(figure, "Target band (shaded)")
    lower = trace(figure, "Target band: lower edge")
    assert upper["fill"] == "tonexty" and upper["y"][0] == 50.0 and lower["y"][0] == 40.0
    assert figure["data"].index(lower) == figure["data"].index(upper) - 1
    assert not any(t["name"] == "Target" for t in figure["data"])


def test_completed_actions_are_markers_along_the_time_axis():
    figure = charts.kpi_figure(_chart())
    actions = trace(figure, "Action completed")
    assert actions["x"] == ["2020-12-15"] and actions["yaxis"] == "y2"
    assert actions["marker"]["symbol"] == "triangle-up"
    assert "Action 2.7" in actions["text"][0]
    assert "Baseline audit" in actions["hovertext"][0]
    assert figure["layout"]["yaxis2"]["range"] == [0, 1]


def test_series_differ_by_line_or_marker_not_only_colour():
    looks = [
        (t.get("line", {}).get("dash", "solid"), t.get("marker", {}).get("symbol"), t["mode"])
        for t in charts.kpi_figure(_chart())["data"]
    ]
    assert len(set(looks)) == len(looks)


def test_layout_is_light_labelled_and_uses_arial():
    figure = charts.kpi_figure(_chart())
    layout = figure["layout"]
    assert len(json.dumps(layout["template"])) < 200  # "none", not plotly's heavy default
    assert "Arial" in layout["font"]["family"]
    assert layout["yaxis"]["title"]["text"] == "Percentage (%)"
    assert layout["xaxis"]["title"]["text"] == "Month"
    assert (
        "CSIP.01" in layout["title"]["text"] and "Nov 2020 to Jan 2021" in layout["title"]["text"]
    )
    assert figure["layout"]["xaxis"]["dtick"] == "M1"  # ticks on whole months


def test_a_quarterly_kpi_is_labelled_by_quarter():
    chart = _chart(
        frequency="quarterly",
        actuals=[(D(2021, 6, 1), Decimal("77.55")), (D(2021, 9, 1), Decimal("90.3"))],
        period=D(2021, 9, 1),
        decimal_places=2,
    )
    figure = charts.kpi_figure(chart)
    assert trace(figure, "Actual")["text"] == ["Q1 2021/22", "Q2 2021/22"]
    assert figure["layout"]["xaxis"]["title"]["text"].startswith("Quarter")
    assert chart_table.chart_table(chart).rows[-1].actual == "90.30%"


def test_the_table_gives_the_charts_numbers():
    chart = _chart()
    figure, table = charts.kpi_figure(chart), chart_table.chart_table(chart)
    actual = trace(figure, "Actual")
    by_period = {row.period.isoformat(): row for row in table.rows}
    for x, y in zip(actual["x"], actual["y"], strict=True):
        assert by_period[x].actual == display.figure(Decimal(str(y)), 1, "percent")
    assert table.benchmark_labels == ["Statistical neighbours", "West Midlands region", "England"]
    assert by_period["2020-12-01"].benchmarks == ["80.0%", "82.0%", "85.5%"]
    assert table.target_steps[1] == "80.0% from Feb 2021"
    assert "by Feb 2021 against a target of 80.0%" in table.projection
    assert table.actions == ["2.7 completed 15 Dec 2020: Baseline audit of contacts"]


# The vendored plotly.js ------------------------------------------------------


def test_vendored_plotly_is_the_version_the_python_package_was_built_for():
    version = plotly.offline.get_plotlyjs_version()
    assert version == charts.PLOTLY_JS_VERSION
    bundle = Path(settings.BASE_DIR) / "static" / charts.PLOTLY_JS
    head = bundle.read_text(encoding="utf-8")[:200]
    assert f"plotly.js (basic - minified) v{version}" in head
    assert (bundle.parent / "LICENSE").exists() and (bundle.parent / "README.md").exists()


# On the pages, from the shipped data -----------------------------------------------


@pytest.fixture
def seeded_client(client, db):
    call_command("seed", stdout=StringIO())
    client.force_login(UserFactory())
    return client


def test_kpi_chart_carries_the_target_step_and_benchmarks(seeded_client):
    kpi = Kpi.objects.get(title__contains="caseload")
    page = seeded_client.get(reverse("kpi-detail", args=[kpi.pk])).content.decode()
    figure = page_charts(page)[f"kpi-{kpi.pk}-chart"]
    target = trace(figure, "Target")
    assert target["line"]["shape"] == "hv" and target["y"][0] == 18.0
    assert trace(figure, "England")["y"] == [17.4]
    assert trace(figure, "West Midlands region")["y"] == [17.9]
    assert trace(figure, "Statistical neighbours")["y"] == [18.0]
    assert all(
        trace(figure, n)["line"]["dash"] != "solid" for n in ("England", "Statistical neighbours")
    )


def test_kpi_data_table_matches_the_chart(seeded_client):
    for kpi in Kpi.objects.all():
        page = seeded_client.get(reverse("kpi-detail", args=[kpi.pk])).content.decode()
        figures = page_charts(page)
        if not figures:
            continue
        actual = trace(figures[f"kpi-{kpi.pk}-chart"], "Actual")
        table = cells(page.split('id="data-heading"')[1], "actual")
        for x, y in zip(actual["x"], actual["y"], strict=True):
            shown = "No figure" if y is None else _shown(y, kpi)
            assert table[x] == shown, kpi
        figures_shown = [v for v in table.values() if v != "No figure"]
        assert len(figures_shown) == len([y for y in actual["y"] if y is not None]), kpi


def _missing(kpi: Kpi, x: str) -> str:
    """What a chart's data table says for a period with no figure.

    Where the KPI's definition changed that month, the table's row for it
    says so (the line breaks there).
    """
    day = datetime.date.fromisoformat(x)
    if kpi.definition_changes.filter(starts=day).exists():
        return "Definition changed"
    asked = kpi.asked_for(day)
    return "No figure" if asked else rag.Status.NOT_REQUIRED.label


def test_area_charts_match_their_data_tables(seeded_client):
    for area in PriorityArea.objects.filter(kpis__isnull=False).distinct():
        page = "".join(area_pages(seeded_client, area.pk))  # ten charts a page
        figures = page_charts(page)
        assert len(figures) == area.kpis.count()
        for chart_id, figure in figures.items():
            details = page.split(f'data-chart="{chart_id}"')[1].split("</table>")[0]
            table = cells(f"<x {details}", "actual")
            actual = trace(figure, "Actual")
            kpi = Kpi.objects.get(pk=int(re.search(r"kpi-(\d+)-chart", chart_id)[1]))
            shown = [
                _shown(y, kpi) if y is not None else _missing(kpi, x)
                for x, y in zip(actual["x"], actual["y"], strict=True)
            ]
            assert [table[x] for x in actual["x"]] == shown


def test_charts_show_the_period_viewed_as_it_stood(seeded_client):
    kpi = Kpi.objects.get(title__contains="MASH")
    page = seeded_client.get(
        reverse("kpi-detail", args=[kpi.pk]), {"period": "2020-11"}
    ).content.decode()
    assert trace(page_charts(page)[f"kpi-{kpi.pk}-chart"], "Actual")["y"] == [69.0]


def test_the_plotly_bundle_is_served_once_with_a_long_cache(tmp_path, settings):
    """Collected, the bundle gets a hashed name that whitenoise serves as immutable."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.test import Client

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "dudley_improve.storage.StaticStorage"},
    }
    settings.DEBUG = False
    call_command("collectstatic", "--noinput", verbosity=0)
    url = staticfiles_storage.url(charts.PLOTLY_JS)
    assert re.search(r"plotly-basic-4\.1\.1\.min\.[0-9a-f]{12}\.js$", url)
    response = Client().get(url)
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", response["Cache-Control"])[1]) >= 365 * 24 * 3600
