"""The board pack, the scorecard and a KPI as Excel workbooks: what a reader finds in them."""

import csv
import datetime
import io
import os
import shutil
import subprocess
import zipfile
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from openpyxl.chart import LineChart
from openpyxl.utils.cell import range_boundaries

from metrics.models import Actual, Kpi
from priorities.models import Plan
from reports import pack, scorecard
from reports.exports import xlsx
from reports.exports.xlsx.cells import sheet_title
from tests.factories import (
    ActionFactory,
    ActualFactory,
    BenchmarkFactory,
    KpiFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
)

pytestmark = pytest.mark.django_db
D = datetime.date
SEP = D(2021, 9, 1)
TODAY = D(2025, 1, 15)
HYPERLINK = '=HYPERLINK("http://example.com","Click")'


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def row_starting(sheet, first) -> list:
    return next(row for row in rows(sheet) if row and row[0] == first)


def by_header(sheet, header_first: str, key) -> dict:
    """The row whose first cell is ``key``, by the headers of the row starting ``header_first``."""
    head = row_starting(sheet, header_first)
    pairs = zip(head, row_starting(sheet, key), strict=True)
    return {header: value for header, value in pairs if header is not None}


def cell_of(sheet, first, header: str):
    """The cell (not its value) under ``header`` in the row starting ``first``."""
    found = [row for row in sheet.iter_rows() if row[0].value == first]
    head = next(row for row in sheet.iter_rows() if header in [c.value for c in row])
    return found[-1][[c.value for c in head].index(header)]


def _figures(kpi, area, *, target: str, value) -> None:
    """The KPI in the area, with a target from January 2021 and signed-off figures to September."""
    kpi.areas.add(area)
    TargetFactory(kpi=kpi, starts=D(2021, 1, 1), value=Decimal(target))
    for month in range(1, 10):
        ActualFactory(
            kpi=kpi, period=D(2021, month, 1), value=value(month), state=Actual.State.SIGNED_OFF
        )


@pytest.fixture
def plan():
    """Two areas: a percentage KPI whose September figure awaits sign-off, with a commentary
    that would be a formula, and a count KPI; an action; a benchmark."""
    plan = PlanFactory(
        slug="csip", title="Improvement plan", start=D(2021, 1, 1), end=D(2022, 3, 1)
    )
    front = PriorityAreaFactory(plan=plan, number=1, title="Front door")
    review = PriorityAreaFactory(plan=plan, number=2, title="Assessments: [quality]/review?")
    timely = KpiFactory(code="PC.01", title="Assessments in time", decimal_places=1)
    _figures(timely, front, target="80", value=lambda month: Decimal("80.3") + month)
    Actual.objects.filter(kpi=timely, period=SEP).update(state=Actual.State.SUBMITTED)
    Actual.objects.filter(kpi=timely, period=SEP).update(
        what_data_tells_us=HYPERLINK, issues_and_risks="Staffing in the front door."
    )
    BenchmarkFactory(kpi=timely, comparator="england", period=D(2021, 3, 1), value=Decimal("84.2"))
    contacts = KpiFactory(
        code="CT.01", title="Contacts", unit=Kpi.Unit.COUNT, decimal_places=0, polarity="lower"
    )
    _figures(contacts, review, target="1500", value=lambda month: Decimal(1400 + 10 * month))
    ActionFactory(
        area=front, ref="1.1", description="-Audit the MASH", original_delivery_date=D(2021, 5, 31)
    )
    return plan


@pytest.fixture
def book(plan):
    return workbook(xlsx.render_pack(pack.build(plan, SEP, today=TODAY)))


def test_the_pack_has_a_scorecard_a_sheet_per_area_provisional_and_notes(book):
    assert book.sheetnames == [
        "Scorecard",
        "Area 1 Front door",
        "Area 2 Assessments   quality  r",
        "Provisional",
        "About",
    ]


def test_sheet_names_are_short_unique_and_legal():
    taken = ["Area 1 A very long priority are"]
    title = sheet_title("Area 1 A very long priority area title indeed", taken)
    assert title == "Area 1 A very long priority (2)" and len(title) <= 31
    assert sheet_title("'History'", []) == "History (2)"
    assert sheet_title("a/b\\c*d?e:f[g]", []) == "a b c d e f g"


def test_the_scorecard_sheet_has_figures_as_numbers_with_statuses_in_words(book):
    sheet = book["Scorecard"]
    timely = by_header(sheet, "KPI", "PC.01")
    assert timely["Sep 2021"] == 89.3 and timely["Aug 2021"] == 88.3
    assert timely["Target in force"] == 80
    assert timely["England"] == 84.2
    assert timely["Status"] == "Green: target met"
    assert timely["Direction of travel"] == "Improving since Aug 2021"
    assert timely["Trajectory"] == "On track"
    assert timely["Sign-off"] == "Provisional"
    assert timely["Provisional figures"] == "Sep 2021"
    assert list(timely)[8:14] == [f"{m} 2021" for m in ("Apr", "May", "Jun", "Jul", "Aug", "Sep")]
    assert by_header(sheet, "KPI", "CT.01")["Sep 2021"] == 1490


def test_figures_carry_their_kpis_number_format(book):
    sheet = book["Scorecard"]
    assert cell_of(sheet, "PC.01", "Sep 2021").number_format == '0.0"%"'
    assert cell_of(sheet, "CT.01", "Sep 2021").number_format == "#,##0"
    area = book["Area 1 Front door"]
    assert cell_of(area, "Sep 2021", "Actual").number_format == '0.0"%"'


def test_headers_are_frozen(book):
    assert book["Scorecard"].freeze_panes == "C4"
    assert book["Area 1 Front door"].freeze_panes == "A4"


def test_an_area_sheet_has_its_status_series_commentary_and_actions(book):
    sheet = book["Area 1 Front door"]
    values = rows(sheet)
    assert values[2][:2] == ["Status for Sep 2021", "Amber: 1 action overdue"]
    series = by_header(sheet, "Period", "Sep 2021")
    assert series["Actual"] == 89.3 and series["Target"] == 80
    assert series["Sign-off"] == "Provisional" and series["Status"] == "Green: target met"
    assert by_header(sheet, "Period", "Aug 2021")["Sign-off"] == "Signed off"
    assert row_starting(sheet, "What are the issues and risks")[1] == "Staffing in the front door."
    action = by_header(sheet, "Ref", "1.1")
    assert action["Action"] == "'-Audit the MASH"
    assert action["Original delivery date"] == datetime.datetime(2021, 5, 31)
    assert action["Overdue"] == "Overdue"


def test_each_kpi_has_a_native_line_chart_of_actual_against_target(book):
    sheet = book["Area 1 Front door"]
    (chart,) = sheet._charts
    assert isinstance(chart, LineChart)
    actual, target = chart.series
    assert [_values(sheet, s.val.numRef.f) for s in (actual, target)] == [
        [80 + month + 0.3 for month in range(1, 10)],
        [80] * 9,
    ]
    assert _values(sheet, actual.tx.strRef.f) == ["Actual"]
    # September's figure awaits sign-off: a hollow point, as on the pages.
    assert [point.idx for point in actual.dPt] == [8]
    assert len(book["Area 2 Assessments   quality  r"]._charts) == 1


def _values(sheet, reference: str) -> list:
    min_col, min_row, max_col, max_row = range_boundaries(reference.split("!")[1])
    cells = sheet.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
    return [cell.value for row in cells for cell in row]


def _assert_no_formula(content: bytes, book) -> None:
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_no_cell_is_a_formula_and_text_that_would_be_one_is_escaped(plan):
    content = xlsx.render_pack(pack.build(plan, SEP, today=TODAY))
    book = workbook(content)
    _assert_no_formula(content, book)
    found = [
        cell.value
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert found == ["'" + HYPERLINK]


def test_provisional_figures_are_listed(book):
    sheet = book["Provisional"]
    assert by_header(sheet, "KPI", "PC.01") == {
        "KPI": "PC.01",
        "Title": "Assessments in time",
        "Period": "Sep 2021",
        "Figure": 89.3,
        "Sign-off": "Awaiting sign-off",
    }
    assert "CT.01" not in [row[0] for row in rows(sheet)]


def test_the_notes_say_what_month_and_what_statuses_mean(book):
    notes = {row[0]: row[1] for row in rows(book["About"]) if row and row[0]}
    assert notes["Plan"] == "Improvement plan"
    assert notes["Month"].startswith("Sep 2021, as it stood")
    assert notes["Plan status"] == "Amber: 1 action overdue"
    assert notes["Amber: just short of target"].startswith("Short of the target")


def test_the_workbook_has_a_title_and_creator(book):
    assert book.properties.title == "Board pack: Improvement plan, Sep 2021"
    assert book.properties.creator == "Dudley children's services improvement"


def test_the_pack_reports_progress_area_by_area(plan):
    said = []
    xlsx.render_pack(pack.build(plan, SEP, today=TODAY), progress=said.append)
    assert "Area 1 of 2" in said and "Area 2 of 2" in said


def test_a_kpi_workbook_has_its_series_chart_benchmarks_and_commentary(plan):
    kpi = Kpi.objects.with_history().get(code="PC.01")
    content = xlsx.render_kpi(kpi, D(2021, 8, 1), today=TODAY)
    book = workbook(content)
    sheet = book["PC.01"]
    _assert_no_formula(content, book)
    assert rows(sheet)[1][:2] == ["Aug 2021", "Green: target met"]
    periods = [row[0] for row in rows(sheet) if row and str(row[0]).endswith(" 2021")]
    assert "Sep 2021" not in periods  # as it stood in August
    assert by_header(sheet, "Comparator", "England") == {
        "Comparator": "England",
        "Period": "Mar 2021",
        "Figure": 84.2,
    }
    assert len(sheet._charts) == 1
    assert "Commentary for Aug 2021" not in [row[0] for row in rows(sheet)]


def test_the_scorecard_workbook_is_the_grid_shown(plan):
    columns = scorecard.column_periods(SEP, scorecard.MONTHLY, 2)
    kpis = scorecard.scorecard_kpis(Kpi.objects.for_plan(plan).order_by("code"), columns, SEP)
    lines = [
        scorecard.kpi_line(k, columns, scorecard.MONTHLY, until=SEP, today=TODAY, areas=())
        for k in kpis
    ]
    grid = scorecard.build_grid(lines, columns, scorecard.Options(scorecard.MONTHLY, 2))
    book = workbook(xlsx.render_scorecard(grid, title="Improvement plan", period=SEP))
    timely = by_header(book["Scorecard"], "KPI", "PC.01")
    assert (timely["Aug 2021"], timely["Sep 2021"]) == (88.3, 89.3)
    assert "Jul 2021" not in timely and timely["Calculated from"] is None


# The council's own figures -------------------------------------------------------------


@pytest.fixture
def seeded():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug="improvement-plan-2021")


def test_the_seeded_pack_shows_pi426_at_903_against_863(seeded):
    book = workbook(xlsx.render_pack(pack.build(seeded, SEP, today=TODAY)))
    pi426 = by_header(book["Scorecard"], "KPI", "PI.426")
    assert (pi426["Sep 2021"], pi426["Target in force"]) == (90.3, 86.3)
    assert pi426["Statistical neighbours"] == 85.5
    assert pi426["Status"] == "Green: target met"
    assert cell_of(book["Scorecard"], "PI.426", "Sep 2021").number_format == '0.00"%"'
    area = next(name for name in book.sheetnames if name.startswith("Area 3 "))
    quarter = by_header(book[area], "Period", "Q2 2021/22")
    assert (quarter["Actual"], quarter["Target"]) == (90.3, 86.3)
    assert len(book.sheetnames) == 9 + 3


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed here; CI runs this test")
    return found


# Comma-separated, double quotes, UTF-8, from the first line, values as stored (not as
# shown), and the last token -1: every sheet to its own file, "<name>-<sheet>.csv".
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"


def test_libreoffice_opens_the_pack_and_its_csv_reproduces_the_figures(seeded, tmp_path):
    soffice = _soffice()
    path = tmp_path / "pack.xlsx"
    path.write_bytes(xlsx.render_pack(pack.build(seeded, SEP, today=TODAY)))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    sheets = {
        csv_path.stem.removeprefix("pack-"): list(csv.reader(csv_path.open(encoding="utf-8")))
        for csv_path in tmp_path.glob("pack-*.csv")
    }
    assert len([name for name in sheets if name.startswith("Area ")]) == 9
    grid = sheets["Scorecard"]
    head = next(row for row in grid if row[:2] == ["KPI", "Title"])
    pi426 = dict(zip(head, next(row for row in grid if row[0] == "PI.426"), strict=True))
    assert (pi426["Sep 2021"], pi426["Target in force"]) == ("90.3", "86.3")
    assert pi426["Status"] == "Green: target met"
    area = next(rows for name, rows in sheets.items() if name.startswith("Area 3 "))
    assert ["Q2 2021/22", "Green: target met", "90.3", "86.3"] in [row[:4] for row in area]
    assert ["PI.426", "Q2 2021/22"] not in [row[:2] for row in sheets["Provisional"]]


def test_bands_neutral_kpis_and_kpis_without_figures_still_write(plan):
    area = PriorityAreaFactory(plan=plan, number=3, title="???")
    banded = KpiFactory(code="NB/01", polarity="neutral", unit=Kpi.Unit.DAYS, decimal_places=0)
    banded.areas.add(area)
    TargetFactory(kpi=banded, starts=D(2021, 1, 1), value=None, lower=40, upper=50)
    ActualFactory(kpi=banded, period=SEP, value=Decimal("45"), state=Actual.State.SIGNED_OFF)
    KpiFactory(code="NF.01").areas.add(area)
    PriorityAreaFactory(plan=plan, number=4, title="Nothing yet")
    book = workbook(xlsx.render_pack(pack.build(plan, SEP, today=TODAY)))
    sheet = book["Area 3"]
    assert by_header(sheet, "KPI", "NB/01")["Target in force"] == "40 days to 50 days"
    assert by_header(sheet, "Period", "Sep 2021")["Target band: upper edge"] == 50
    assert by_header(sheet, "KPI", "NF.01")["Latest figure"] == "No figure"
    assert "No KPIs are linked to this area yet." in [
        row[0] for row in rows(book["Area 4 Nothing yet"])
    ]
    for kpi in Kpi.objects.with_history().filter(code__in=["NB/01", "NF.01"]):
        assert workbook(xlsx.render_kpi(kpi, SEP, today=TODAY)).sheetnames[1] == "About"
