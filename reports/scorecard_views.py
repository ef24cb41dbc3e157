"""The scorecard page and its CSV: a plan's KPIs, or a saved scorecard's, across periods.

Read-only and open to every signed-in role, like the board pages
(LoginRequiredMiddleware asks everyone else to sign in). The month selector,
its default and the "as it stood" rule are the board's. A fixed number of
queries whatever the number of KPIs and months (tests/reports/test_scorecard.py).
"""

import csv
import datetime
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from metrics import display, periods, stamps
from metrics.importer import escape_cell_text
from metrics.models import Kpi, Scorecard
from priorities.models import Plan, PriorityArea
from reports import board, page_cache, paging, scorecard
from reports.filters import KpiFilterForm, owners_of


@dataclass
class Read:
    """What the page and its CSV both show."""

    plans: list[Plan]
    saved_list: list[Scorecard]
    plan: Plan | None = None
    saved: Scorecard | None = None
    period: datetime.date | None = None
    notices: tuple[str, ...] = ()
    selectable: list[datetime.date] | None = None
    with_data: list[datetime.date] | None = None
    grid: scorecard.Grid | None = None
    form: KpiFilterForm | None = None
    options: scorecard.Options | None = None
    total: int = 0
    shown: int = 0
    page: Page | None = None  # the page of the grid drawn; None for a download

    @property
    def showing(self) -> str:
        """What the caption adds: how many the filters leave, and which this page shows."""
        text = f" (showing {self.shown} of {self.total})" if self.shown != self.total else ""
        if self.page is not None and self.page.paginator.num_pages > 1:
            page = self.page
            text += f": {page.start_index()} to {page.end_index()} of {page.paginator.count:,}"
        return text


def _areas_for(kpi: Kpi, plan: Plan | None) -> tuple[PriorityArea, ...]:
    areas = [a for a in kpi.areas.all() if plan is None or a.plan_id == plan.pk]
    return tuple(sorted(areas, key=lambda a: (a.plan.start or datetime.date.min, a.number)))


def _scope(request: HttpRequest, read: Read) -> tuple[object, list[tuple[int, str, int]]]:
    """The KPIs asked for (a saved scorecard's, or a plan's) and a saved scorecard's rows."""
    slug = request.GET.get("scorecard")
    if slug:
        read.saved = next((s for s in read.saved_list if s.slug == slug), None)
        if read.saved is None:
            raise Http404(f"There is no saved scorecard “{slug}”.")
        rows = scorecard.saved_rows(read.saved)
        ids = [kpi_id for kpi_id, _, _ in rows]
        read.with_data = scorecard.months_with_figures(ids)
        as_at = [read.saved.as_at] if read.saved.as_at else []
        read.selectable = sorted(set(read.with_data) | set(as_at))
        return Kpi.objects.filter(pk__in=ids), rows
    read.plan = board.choose_plan(request.GET.get("plan"), read.plans)
    read.with_data = board.months_with_data(read.plan)
    read.selectable = board.selectable_months(read.plan, read.with_data)
    return Kpi.objects.for_plan(read.plan), []


def read_scorecard(request: HttpRequest, today: datetime.date, *, paged: bool = False) -> Read:
    """The grid the query string asks for, as it stood at the month chosen.

    ``paged``: only the page of it the query string asks for (the page's
    figures read whole, every other KPI's only enough to sort and filter).
    """
    read = Read(
        plans=list(Plan.objects.annotate(kpi_count=Count("areas__kpis", distinct=True))),
        saved_list=list(Scorecard.objects.order_by("title")),
    )
    if not read.plans and not request.GET.get("scorecard"):
        return read
    kpis, rows = _scope(request, read)
    read.options = scorecard.read_options(request.GET, read.saved)
    raw = request.GET.get("period")
    if not raw and read.saved and read.saved.as_at:
        raw = f"{read.saved.as_at:%Y-%m}"
    choice = board.choose_period(raw, read.with_data, today=today)
    read.period = choice.period
    read.notices = tuple(n for n in (choice.notice, *read.options.problems) if n)
    columns = scorecard.column_periods(read.period, read.options.columns, read.options.count)
    placed = {kpi_id: (group, position) for kpi_id, group, position in rows}
    lines = []
    for kpi in scorecard.scorecard_kpis(kpis.order_by("code"), columns, read.period, lean=paged):
        line = scorecard.kpi_line(
            kpi,
            columns,
            read.options.columns,
            until=read.period,
            today=today,
            areas=_areas_for(kpi, read.plan),
        )
        line.group, line.position = placed.get(kpi.pk, ("", 0))
        lines.append(line)
    areas = {area.pk: area for line in lines for area in line.areas}
    read.form = KpiFilterForm(
        request.GET,
        areas=sorted(areas.values(), key=lambda a: (a.plan.start or datetime.date.min, a.number)),
        owners=owners_of([line.kpi for line in lines]),
    )
    shown = read.form.apply(lines)
    read.total, read.shown = len(lines), len(shown)
    if paged:
        read.page = paging.page_of(scorecard.ordered(shown, read.options), request, per_page=50)
        shown = list(read.page.object_list)
        scorecard.full_figures([line.kpi for line in shown], columns, read.period)
    read.grid = scorecard.build_grid(shown, columns, read.options)
    return read


def _sort_links(options: scorecard.Options) -> dict[str, dict]:
    """Each sortable column's next sort and its aria-sort, as the overview's table does."""
    links = {}
    for key in scorecard.SORTS:
        current = options.sort_key == key
        links[key] = {
            "next": f"-{key}" if current and not options.descending else key,
            "aria": ("descending" if options.descending else "ascending") if current else "",
        }
    return links


# What scorecard_page works out, which a page served from the cache does without.
PAGE = (
    "read", "plans", "saved_list", "plan", "saved", "period", "notices", "years", "grid", "form",
    "options", "sorts",
)  # fmt: skip


def _stamp(request: HttpRequest) -> str:
    """What a scorecard page's cache is keyed by, with its full path and the day.

    A plan's stamps, or for a saved scorecard (which may gather KPIs from any
    plan) the data stamp; and the saved scorecards' newest change, as every
    page lists them.
    """
    saved = Scorecard.history.aggregate(newest=Max("history_id"))["newest"]
    plans = list(Plan.objects.annotate(kpi_count=Count("areas__kpis", distinct=True)))
    if request.GET.get("scorecard") or not plans:
        return stamps.digest(stamps.data_stamp(), saved)
    plan = board.choose_plan(request.GET.get("plan"), plans)
    return stamps.digest(stamps.for_plan(plan.pk).key, saved)


@require_safe
def scorecard_page(request: HttpRequest) -> HttpResponse:
    """KPIs as rows and periods across, for a plan or a saved scorecard, as it stood at a month.

    Cached like the board pages (``_stamp`` says what by).
    """
    today = timezone.localdate()

    def build() -> dict:
        read = read_scorecard(request, today, paged=True)
        years = []
        if read.period is not None:
            years = board.months_by_year(read.selectable, read.with_data)
        return {
            "read": read,
            "plans": read.plans,
            "saved_list": read.saved_list,
            "plan": read.plan,
            "saved": read.saved,
            "period": read.period,
            "notices": read.notices,
            "years": years,
            "grid": read.grid,
            "form": read.form,
            "options": read.options,
            "sorts": _sort_links(read.options) if read.options else {},
        }

    return render(
        request,
        "reports/scorecard/page.html",
        {
            **page_cache.lazy(build, *PAGE),
            "max_periods": scorecard.MAX_PERIODS,
            **page_cache.key_parts(request, today, None, stamp=_stamp(request)),
        },
    )


def csv_rows(grid: scorecard.Grid) -> list[list[str]]:
    """The grid as shown, a row per KPI: figures and statuses by column, then the rest."""
    head = ["group", "code", "title", "unit", "calculated from"]
    for label in grid.labels:
        head += [f"{label} figure", f"{label} status", f"{label} note", f"{label} sign-off"]
    head += ["target in force", "benchmarks", "direction of travel", "trajectory"]
    rows = [head]
    for line in grid.lines:
        kpi = line.kpi
        places = kpi.decimal_places
        cells = []
        for cell in line.cells:
            row = cell.row
            cells += [
                display.number(row.value, places, grouping=False) if row else "",
                row.status.value if row else cell.reason,
                escape_cell_text(cell.note),
                display.sign_off(row.provisional) if row and row.actual else "",
            ]
        benchmarks = "; ".join(
            f"{b.name} {display.number(b.benchmark.value, places, grouping=False)} ({b.label})"
            for b in line.benchmarks
        )
        rows.append(
            [
                escape_cell_text(line.group),
                escape_cell_text(kpi.code),
                escape_cell_text(kpi.title),
                kpi.unit,
                escape_cell_text(line.formula.describe() if line.formula else ""),
                *cells,
                display.step(line.row.target, places, grouping=False),
                escape_cell_text(benchmarks),
                line.direction_text,
                line.row.trajectory.verdict.value,
            ]
        )
    return rows


def read_for_download(request: HttpRequest) -> Read:
    """The grid the page shows for the same query string; 404 while there is none."""
    read = read_scorecard(request, timezone.localdate())
    if read.grid is None:
        raise Http404("There is no plan or saved scorecard to download yet.")
    return read


@require_safe
def scorecard_csv(request: HttpRequest) -> HttpResponse:
    """The grid the page shows for the same query string, as a CSV file."""
    read = read_for_download(request)
    name = read.saved.slug if read.saved else read.plan.slug
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    month = periods.MonthConverter().to_url(read.period)
    response["Content-Disposition"] = f'attachment; filename="scorecard-{name}-{month}.csv"'
    csv.writer(response).writerows(csv_rows(read.grid))
    return response
