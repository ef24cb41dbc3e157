"""The board pages: the plan at a glance, a priority area, a KPI.

Read-only and open to every signed-in role (LoginRequiredMiddleware asks
everyone else to sign in). Each page runs a fixed number of queries whatever
the number of KPIs and months; tests/reports/test_queries.py holds them to it.
"""

import functools

from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from metrics import stamps
from metrics.models import Actual, Benchmark, Kpi, Target
from metrics.summary import actions_judged_on, kpi_row, summarise_plan
from priorities.models import Plan, PriorityArea
from reports import (
    area_page,
    board,
    board_actions,
    charts,
    history,
    pack,
    pack_page,
    pack_pages,
    page_cache,
    paging,
)
from reports.exports import pdf
from reports.exports import views as export_views
from reports.filters import KpiFilterForm, owners_of
from reports.tables import KpiTable


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The plan's status at a glance for a month: its areas, then its KPIs a page at a time."""
    plans = list(Plan.objects.annotate(kpi_count=Count("areas__kpis", distinct=True)))
    today = timezone.localdate()
    if not plans:
        return render(
            request,
            "reports/overview.html",
            {"plans": plans, **page_cache.key_parts(request, today, None)},
        )
    plan = board.choose_plan(request.GET.get("plan"), plans)
    with_data = board.months_with_data(plan)
    choice = board.choose_period(request.GET.get("period"), with_data, today=today)

    def build() -> dict:
        summary = summarise_plan(plan, choice.period, today=today)
        form = KpiFilterForm(
            request.GET,
            areas=[s.area for s in summary.areas],
            owners=owners_of([row.kpi for row in summary.rows]),
        )
        lines = board.board_lines(summary)
        shown = form.apply(lines)
        table = KpiTable(shown, period=choice.period)
        # Filtered and sorted as a whole, then a page of it drawn.
        RequestConfig(request, paginate=False).configure(table)
        table.show_page(request, total=len(lines), filtered=form.active)
        return {
            "summary": summary,
            "plan_line": board.AreaLine(None, summary.rollup),
            "areas": board.area_lines(summary),
            "form": form,
            "table": table,
        }

    return render(
        request,
        "reports/overview.html",
        {
            "plans": plans,
            "plan": plan,
            "period": choice.period,
            "notice": choice.notice,
            "years": board.months_by_year(board.selectable_months(plan, with_data), with_data),
            "judged_on": actions_judged_on(choice.period, today),
            "downloads": export_views.pack_links(plan, choice.period),
            "pdf_ready": pdf.available(),
            **page_cache.lazy(build, "summary", "plan_line", "areas", "form", "table"),
            # Figures for later months leave the page warm, but not a new month to choose.
            **page_cache.key_parts(
                request, today, stamps.for_plan(plan.pk, until=choice.period), also=(with_data,)
            ),
        },
    )


@require_safe
def area_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A priority area for a month: its status, each KPI's trajectory, its actions."""
    today = timezone.localdate()
    areas = PriorityArea.objects.select_related("plan", "responsible_officer")
    area = get_object_or_404(areas, pk=pk)
    choice = board.choose_period(
        request.GET.get("period"), board.months_with_data(area.plan_id), today=today
    )

    def build() -> dict:
        # Counting the area's actions builds a large query (a few ms even
        # cached): only a page not served from the cache reads them.
        counted = areas.with_action_counts(actions_judged_on(choice.period, today)).get(pk=pk)
        return {"section": area_page.area_section(request, counted, choice.period, today=today)}

    return render(
        request,
        "reports/area.html",
        {
            "area": area,
            "period": choice.period,
            "notice": choice.notice,
            **page_cache.lazy(build, "section"),
            # Loaded whenever the area has KPIs: a page served from the cache
            # does not know whether they have figures, and the file is cached.
            "has_charts": Kpi.objects.for_area(area).exists(),
            "plotly_js": charts.PLOTLY_JS,
            "downloads": export_views.area_links(area, choice.period),
            "pdf_ready": pdf.available(),
            **page_cache.key_parts(request, today, stamps.for_area(area.pk)),
        },
    )


@require_safe
def board_pack(request: HttpRequest) -> HttpResponse:
    """A plan's priority areas for a month, a page at a time, to print one area a page.

    The first page holds the plan's summary, contents and sign-off list; the
    downloads hold the whole pack in one file.
    """
    plan, choice, today = pack_page.choose(request)

    def build() -> dict:
        return pack_pages.context(request, plan, choice.period, today=today)

    shown = stamps.for_plan(plan.pk)
    return render(
        request,
        "reports/pack.html",
        {
            "plan": plan,
            "period": choice.period,
            "pack_title": pack.WHOLE_PLAN,
            **page_cache.lazy(build, *pack_page.CONTENT),
            # Loaded for a page of areas whenever the plan has KPIs; the first page has no charts.
            "has_charts": bool(shown.kpis)
            and not paging.asks_first(request, param=pack_pages.PARAM),
            "plotly_js": charts.PLOTLY_JS,
            "notice": choice.notice,
            "downloads": export_views.pack_links(plan, choice.period),
            "pdf_ready": pdf.available(),
            **page_cache.key_parts(request, today, shown),
        },
    )


@require_safe
def kpi_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A KPI: what it measures, its rules in words, its chart, every figure and its history.

    Cached like the other board pages, keyed by the stamps of the KPI, the KPIs
    it is worked out from and the areas it evidences (``stamps.for_kpi``).
    """
    heading = get_object_or_404(
        Kpi.objects.only("pk", "code", "title").annotate(
            has_charts=Exists(Actual.objects.filter(kpi=OuterRef("pk")))
            | Exists(Target.objects.filter(kpi=OuterRef("pk")))
            | Exists(Benchmark.objects.filter(kpi=OuterRef("pk")))
        ),
        pk=pk,
    )
    today = timezone.localdate()
    return render(
        request,
        "reports/kpi.html",
        {
            "heading": heading,
            # Whenever the KPI has anything to chart: a page served from the
            # cache does not know its chart, and the file is cached.
            "has_charts": heading.has_charts,
            "plotly_js": charts.PLOTLY_JS,
            **page_cache.lazy(
                functools.partial(_kpi_page, pk, today, request.GET.get("period")), *KPI_PAGE
            ),
            **page_cache.key_parts(request, today, stamps.for_kpi(pk)),
        },
    )


# What _kpi_page works out, which a cached KPI page does without.
KPI_PAGE = (
    "kpi", "period", "notice", "row", "panel", "series", "series_provisional", "commentary",
    "areas", "plan", "polarity", "tolerance", "changes", "change_count", "definition_changes",
)  # fmt: skip


def _kpi_page(pk: int, today, raw_period: str | None = None) -> dict:
    kpis = Kpi.objects.with_history().select_related("formula__first", "formula__second")
    kpi = kpis.get(pk=pk)
    reported = [actual.period for actual in kpi.recent_actuals]
    choice = board.choose_period(raw_period, reported, today=today)
    period = choice.period
    row = kpi_row(kpi, period, today=today)

    areas = sorted(kpi.areas.all(), key=lambda a: (a.plan.start or today, a.number))
    marks = board_actions.kpi_page_marks(kpi, areas, actions_judged_on(period, today))
    panel = board.KpiPanel(row, board.chart_for(kpi, row, until=period, actions=marks))
    changes, change_count = history.kpi_changes(kpi)
    series = board.kpi_series(kpi, row.period, today=today)
    return {
        "kpi": kpi,
        "period": period,
        "notice": choice.notice,
        "row": row,
        "panel": panel,
        "series": series,
        "series_provisional": any(item.provisional for item in series),
        "commentary": board.commentary(kpi, row.period),
        "areas": areas,
        "plan": areas[0].plan if areas else None,
        "polarity": board.polarity_in_words(kpi),
        "tolerance": board.tolerance_in_words(kpi),
        "changes": changes,
        "change_count": change_count,
        "definition_changes": list(kpi.definition_changes.all()),
    }
