"""An area's report laid out for a page: its KPI table whole, its panels a page at a time.

The area page and each page of the board pack draw an area through
``reports/includes/area_body.html`` from a ``Section``: the table lists every
KPI of the area (each linking to the page holding its panel), and only the
panels on the page are charted, so a page stays small and quick however many
KPIs an area has.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.paginator import Page
from django.http import HttpRequest
from django_tables2 import RequestConfig

from metrics.models import Kpi
from metrics.summary import KpiRow, actions_judged_on, for_board
from priorities.models import PriorityArea
from reports import board, board_actions, paging
from reports.tables import ActionTable

# KPI panels (chart, data table and commentary) on one page.
PANELS_PER_PAGE = 10
# Rows of a long table on one page (an area's KPIs, the pack's provisional figures):
# a few hundred would outgrow a page next to ten charts.
ROWS_PER_PAGE = 50
# The area page's query parameters for its page of panels and its page of the table.
PARAM = "charts"
TABLE_PARAM = "kpis"


@dataclass(frozen=True)
class KpiLink:
    """A KPI's row in an area's table, with a link to its panel wherever it is drawn."""

    row: KpiRow
    href: str

    @property
    def kpi(self) -> Kpi:
        return self.row.kpi


@dataclass(frozen=True)
class Section:
    """An area, or the part of it one page shows."""

    report: board.AreaReport
    # The table of every KPI, on the area's first section only.
    links: list[KpiLink] = field(default_factory=list)
    # The actions, on the area's last section only.
    actions: ActionTable | None = None
    first: bool = True
    # The area page's pages of panels and of its table.
    page: Page | None = None
    table_page: Page | None = None
    # Which of the area's KPIs the table lists, when not all: "11 to 20 of 333".
    part: str = ""

    @property
    def panels(self) -> list[board.KpiPanel]:
        return self.report.panels

    @property
    def table_anchor(self) -> str:
        return f"area-{self.report.area.pk}-kpis"


def panel_id(scope: str, kpi_pk: int) -> str:
    """The id of a KPI's panel (``KpiPanel.dom_id``), for a link from elsewhere."""
    return f"{scope}kpi-{kpi_pk}-chart-section"


def kpi_links(rows: list[KpiRow], href: Callable[[int], str]) -> list[KpiLink]:
    """Each row with ``href(n)``, n its position among the area's KPIs from 0."""
    return [KpiLink(row, href(n)) for n, row in enumerate(rows)]


def charted(pks: Iterable[int], on: datetime.date) -> list[Kpi]:
    """The KPIs whose panels a page draws, with what their charts show. Seven queries."""
    return list(
        Kpi.objects.filter(pk__in=list(pks))
        .order_by("code")
        .with_history()
        .prefetch_related(board_actions.linked_actions(on))
    )


def action_table(report: board.AreaReport, request: HttpRequest | None) -> ActionTable:
    caption = f"Actions for area {report.area.number}, with their delivery dates"
    if request is None:
        return ActionTable(report.actions, caption=caption, orderable=False)
    table = ActionTable(report.actions, caption=caption)
    RequestConfig(request, paginate=False).configure(table)
    return table


def area_section(
    request: HttpRequest, area: PriorityArea, period: datetime.date, *, today: datetime.date
) -> Section:
    """The area page: every KPI's row, and the panels of the page of them asked for.

    A fixed number of queries; charts are built for the page's panels only.
    """
    on = actions_judged_on(period, today)
    rows = for_board(Kpi.objects.for_area(area).order_by("code"), period, today=today)
    page = paging.page_of(rows, request, per_page=PANELS_PER_PAGE, param=PARAM)
    report = board.area_report(
        area,
        charted((row.kpi.pk for row in page.object_list), on),
        list(area.actions.select_related("owner").as_at(on)),
        period,
        today=today,
        rows=rows,
    )
    table = paging.page_of(rows, request, per_page=ROWS_PER_PAGE, param=TABLE_PARAM)
    query = request.GET.copy()

    def href(n: int) -> str:
        n += table.start_index() - 1
        query[PARAM] = str(n // PANELS_PER_PAGE + 1)
        return f"?{query.urlencode()}#{panel_id('', rows[n].kpi.pk)}"

    return Section(
        report,
        kpi_links(table.object_list, href),
        action_table(report, request),
        page=page,
        table_page=table,
        part=part_of(table.start_index(), table.end_index(), len(rows)),
    )


def part_of(start: int, end: int, count: int) -> str:
    """Which of an area's KPIs a table lists, when not all of them."""
    return "" if start <= 1 and end >= count else f", {start} to {end} of {count}"
