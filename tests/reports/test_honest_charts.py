"""Charts that tell the truth, read from the figure JSON the server puts in the page.

Gaps stay gaps, the time axis reaches the month viewed, captions give the
real range, a target is named only where one exists, and no text a user
typed can become markup in plotly.js.
"""

import datetime
import re
from decimal import Decimal
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from metrics.models import Kpi
from tests.factories import (
    ActionFactory,
    ActualFactory,
    BenchmarkFactory,
    KpiFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)
from tests.reports.helpers import cells, text, trace
from tests.reports.helpers import charts as page_charts

D = datetime.date

# The only markup the server itself puts in a figure's texts.
OUR_MARKUP = re.compile(r"<br>|<extra>|</extra>")


@pytest.fixture
def signed_in(client, db):
    client.force_login(UserFactory())
    return client


@pytest.fixture
def seeded(signed_in):
    call_command("seed", stdout=StringIO())
    return signed_in


def _kpi(**fields) -> Kpi:
    kpi = KpiFactory(**fields)
    kpi.areas.add(PriorityAreaFactory())
    return kpi


def _figures(client, kpi: Kpi, period: str) -> tuple[dict, str]:
    """The KPI page's chart figure and the page's HTML, for a month viewed."""
    page = client.get(reverse("kpi-detail", args=[kpi.pk]), {"period": period}).content.decode()
    return page_charts(page)[f"kpi-{kpi.pk}-chart"], page


def _area_figure(client, kpi: Kpi, period: str) -> tuple[dict, str]:
    area = kpi.areas.order_by("pk").first()
    page = client.get(reverse("area-detail", args=[area.pk]), {"period": period}).content.decode()
    return page_charts(page)[f"kpi-{kpi.pk}-chart"], page


def _strings(node, key=""):
    """Every (key, text) in a figure, however deeply nested."""
    if isinstance(node, dict):
        for k, value in node.items():
            yield from _strings(value, k)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, key)
    elif isinstance(node, str):
        yield key, node


# Gaps are gaps ----------------------------------------------------------------


def test_no_line_is_drawn_across_months_with_no_figure(seeded):
    kpi = Kpi.objects.get(code="CSIP.04")  # Dec 2020, Feb 2021, then nothing until Jul 2021
    figure, _ = _figures(seeded, kpi, "2021-11")
    actual = trace(figure, "Actual")
    points = list(zip(actual["x"], actual["y"], strict=True))
    assert points[:5] == [
        ("2020-12-01", 116.0),
        ("2021-01-01", None),
        ("2021-02-01", 94.0),
        ("2021-03-01", None),
        ("2021-07-01", 66.0),
    ]
    assert actual["connectgaps"] is False
    # The table under the chart says the same: one row for the whole gap.
    _, area_page = _area_figure(seeded, kpi, "2021-11")
    table = area_page.split(f'data-chart="kpi-{kpi.pk}-chart"')[1].split("</table>")[0]
    # CSIP.04 was reported until December 2020; the July to September figures were one-offs.
    assert "Mar 2021 to Jun 2021 Not required: no figure asked for" in text(table)


def test_a_quarterly_kpis_line_joins_consecutive_quarters_but_breaks_at_a_missing_one(signed_in):
    kpi = _kpi(frequency="quarterly")
    for period, value in [(D(2021, 6, 1), 70), (D(2021, 9, 1), 72), (D(2022, 3, 1), 75)]:
        ActualFactory(kpi=kpi, period=period, value=Decimal(value))
    actual = trace(_figures(signed_in, kpi, "2022-03")[0], "Actual")
    assert list(zip(actual["x"], actual["y"], strict=True)) == [
        ("2021-06-01", 70.0),
        ("2021-09-01", 72.0),  # the next quarter: joined
        ("2021-12-01", None),  # Q3 2021/22 is missing: the line breaks
        ("2022-03-01", 75.0),
    ]


# The time axis -------------------------------------------------------------------


def test_the_time_axis_runs_to_the_month_viewed(seeded):
    kpi = Kpi.objects.get(code="CSIP.01")  # last figure January 2021
    figure, _ = _figures(seeded, kpi, "2021-11")
    first, last = figure["layout"]["xaxis"]["range"]
    assert first <= "2020-11-01" and last >= "2021-11-01"
    # The target in force is drawn to the edge too.
    assert trace(figure, "Target")["x"][-1] >= "2021-11-01"


def test_the_time_axis_runs_on_to_the_projection(seeded):
    kpi = Kpi.objects.get(code="CSIP.04")
    figure, _ = _figures(seeded, kpi, "2021-09")
    projection = next(t for t in figure["data"] if t["name"].startswith("Projection"))
    assert figure["layout"]["xaxis"]["range"][1] >= projection["x"][-1] > "2021-09-01"


# Captions ------------------------------------------------------------------------


def test_a_single_figure_is_captioned_with_its_one_month(seeded):
    kpi = Kpi.objects.get(code="CSIP.06")  # one figure, Feb 2021
    figure, page = _figures(seeded, kpi, "2021-02")
    title = figure["layout"]["title"]["text"]
    assert title.endswith(", Feb 2021") and "Feb 2021 to Feb 2021" not in title
    assert "Feb 2021 to Feb 2021" not in text(page)
    assert "1 figure, for Feb 2021" in page


def test_captions_run_to_the_month_viewed(seeded):
    kpi = Kpi.objects.get(code="CSIP.06")
    figure, page = _area_figure(seeded, kpi, "2021-11")
    assert figure["layout"]["title"]["text"].endswith(", Feb 2021 to Nov 2021")
    assert "figures and target by period, Feb 2021 to Nov 2021" in text(page)


# Targets named only where they exist ---------------------------------------------


def test_a_kpi_without_targets_is_not_charted_against_one(seeded):
    kpi = Kpi.objects.get(code="CSIP.04")
    figure, page = _area_figure(seeded, kpi, "2021-11")
    assert "against target" not in figure["layout"]["title"]["text"]
    assert "no target set" in figure["layout"]["title"]["text"]
    assert not any(t["name"].startswith("Target") for t in figure["data"])
    caption = re.search(rf'data-chart="kpi-{kpi.pk}-chart">\s*<caption[^>]*>(.*?)</caption>', page)
    assert "target" not in caption[1]


def test_a_neutral_kpi_with_no_band_is_never_described_as_having_a_target(seeded):
    kpi = Kpi.objects.get(code="PI.433")  # neutral, a single value of 43.7, no band
    for figure, page in (_figures(seeded, kpi, "2021-11"), _area_figure(seeded, kpi, "2021-11")):
        assert "Monitor: no target band" in page
        words = text(page)
        assert "target of 43.7" not in words and "target band of" not in words
        assert "monitored, with no target band (reference level 43.7)" in words
        assert "against target" not in figure["layout"]["title"]["text"]
        assert not any(t["name"].startswith("Target") for t in figure["data"])
        assert trace(figure, "Reference level (not a target)")["y"][0] == 43.7
        projection = next(t for t in figure["data"] if t["name"].startswith("Projection"))
        assert projection["name"].endswith("no target")


def test_a_neutral_kpis_band_is_labelled_as_a_band(signed_in):
    kpi = _kpi(polarity="neutral", unit="rate_per_10000")
    TargetFactory(kpi=kpi, starts=D(2021, 1, 1), value=None, lower=40, upper=50)
    ActualFactory(kpi=kpi, period=D(2021, 1, 1), value=Decimal("44.0"))
    figure, page = _figures(signed_in, kpi, "2021-01")
    assert figure["layout"]["title"]["text"].startswith(f"{kpi.code}: actual against target band")
    assert trace(figure, "Target band (shaded)")["y"][0] == 50.0
    assert "The figure is 44.0 against the target band of 40.0 to 50.0." in text(page)


def test_benchmarks_are_drawn_as_their_own_series(signed_in):
    kpi = _kpi(unit="number")
    ActualFactory(kpi=kpi, period=D(2020, 12, 1), value=Decimal("24.1"))
    BenchmarkFactory(kpi=kpi, comparator="england", period=D(2020, 12, 1), value=Decimal("17.4"))
    BenchmarkFactory(kpi=kpi, comparator="region", period=D(2020, 12, 1), value=Decimal("17.9"))
    figure, _ = _figures(signed_in, kpi, "2020-12")
    assert trace(figure, "Actual")["y"] == [24.1]
    assert trace(figure, "England")["y"] == [17.4]
    assert trace(figure, "West Midlands region")["y"] == [17.9]


# Escaping ------------------------------------------------------------------------

HOSTILE_CODE = '<a href="//evil.example">X</a>'


@pytest.fixture
def hostile(signed_in):
    """A KPI whose every typed text is markup plotly.js would draw."""
    kpi = _kpi(code=HOSTILE_CODE, title="<b>Bold</b> <img src=x> %{y} & co")
    area = kpi.areas.get()
    TargetFactory(kpi=kpi, starts=D(2021, 1, 1), value=Decimal("90"))
    for month, value in [(1, 70), (2, 72), (3, 74)]:
        ActualFactory(kpi=kpi, period=D(2021, month, 1), value=Decimal(value))
    BenchmarkFactory(kpi=kpi, comparator="<i>made up</i>", period=D(2021, 2, 1))
    ActionFactory(
        area=area,
        ref="<sup>1</sup>",
        description='<a href="https://evil.example">Click</a> %{x} to see',
        status="completed",
        completed_date=D(2021, 2, 10),
    )
    return kpi


def test_no_text_in_a_chart_can_become_markup(signed_in, hostile):
    for figure, _ in (
        _figures(signed_in, hostile, "2021-03"),
        _area_figure(signed_in, hostile, "2021-03"),
    ):
        for key, value in _strings(figure):
            assert "<" not in OUR_MARKUP.sub("", value), (key, value)
        title = figure["layout"]["title"]["text"]
        assert title.startswith('&lt;a href="//evil.example"&gt;X&lt;/a&gt;: actual against')
        names = [t["name"] for t in figure["data"]]
        assert "&lt;i&gt;made up&lt;/i&gt;" in names
        actions = trace(figure, "Action completed")
        number = hostile.areas.get().number
        assert actions["text"] == [
            f"Action {number}.&lt;sup&gt;1&lt;/sup&gt;, completed 10 Feb 2021"
        ]
        assert actions["hovertext"][0].startswith("&lt;a href=")


def test_a_hostile_code_reads_as_typed_beside_the_chart(signed_in, hostile):
    _, page = _area_figure(signed_in, hostile, "2021-03")
    label = re.search(rf'id="kpi-{hostile.pk}-chart" role="img" aria-label="([^"]*)"', page)[1]
    assert unescape(label).startswith(f"Chart of {HOSTILE_CODE} {hostile.title}: 3 figures")
    assert f"{HOSTILE_CODE} {hostile.title}: figures, target and comparators" in text(page)
    assert '<a href="//evil.example">' not in page
    assert "<b>Bold</b>" not in page


def test_plotly_templates_in_typed_text_are_not_filled_in(signed_in, hostile):
    figure, _ = _figures(signed_in, hostile, "2021-03")
    hover = trace(figure, "Action completed")["hovertext"][0]
    assert "&#37;{x} to see" in hover and "%{x}" not in hover


def test_every_chart_on_the_area_page_has_a_data_table(signed_in, hostile):
    _, page = _area_figure(signed_in, hostile, "2021-03")
    rows = cells(page.split(f'data-chart="kpi-{hostile.pk}-chart"')[1], "actual")
    assert rows == {"2021-01-01": "70.0%", "2021-02-01": "72.0%", "2021-03-01": "74.0%"}
