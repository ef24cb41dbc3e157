"""The board pack page: a page at a time in the browser, whole for the PDF.

``reports.exports.pdf`` renders ``reports/pack.html`` from ``context(pack)``,
every area of a ``reports.pack.Pack`` on one page; the browser reads the same
template a page at a time (``reports.pack_pages``), so the PDF is the pages
the board reads, charts and all, not a second drawing of them.
"""

import datetime

from django.db.models import Count
from django.http import Http404, HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from priorities.models import Plan
from reports import area_page, board, charts
from reports.pack import Pack
from reports.pack import area_scope as pack_scope


def choose(request: HttpRequest) -> tuple[Plan, board.PeriodChoice, datetime.date]:
    """The plan and month a pack page or download asks for, as the overview chooses them."""
    plans = list(Plan.objects.annotate(kpi_count=Count("areas__kpis", distinct=True)))
    if not plans:
        raise Http404("There are no plans yet.")
    plan = board.choose_plan(request.GET.get("plan"), plans)
    today = timezone.localdate()
    choice = board.choose_period(
        request.GET.get("period"), board.months_with_data(plan), today=today
    )
    return plan, choice, today


def query(pack: Pack) -> str:
    """The pack page's query string for this plan and month."""
    return f"plan={pack.plan.pk}&period={pack.period:%Y-%m}"


# What the page's build works out, which a cached pack page does without.
CONTENT = (
    "judged_on",
    "rollup",
    "plan_line",
    "contents",
    "sections",
    "provisional",
    "sign_off_required",
    "front",
    "pack_page",
    "provisional_page",
)


def _whole_section(report: board.AreaReport) -> area_page.Section:
    def href(n: int) -> str:
        return f"#{area_page.panel_id(pack_scope(report.area.pk), report.rows[n].kpi.pk)}"

    return area_page.Section(
        report, area_page.kpi_links(report.rows, href), area_page.action_table(report, None)
    )


def context(pack: Pack) -> dict:
    """What ``reports/pack.html`` shows of the whole pack on one page, for the PDF."""
    return {
        "plan": pack.plan,
        "period": pack.period,
        "pack_title": pack.scope,
        "judged_on": pack.judged_on,
        "rollup": pack.rollup,
        "plan_line": board.AreaLine(None, pack.rollup),
        "contents": [(r.line, f"#area-{r.area.pk}") for r in pack.reports],
        "sections": [_whole_section(report) for report in pack.reports],
        "provisional": pack.provisional,
        "sign_off_required": pack.sign_off_required,
        "front": True,
        "pack_page": None,
        "provisional_page": None,
        "has_charts": pack.has_charts,
        "plotly_js": charts.PLOTLY_JS,
    }


def render_html(pack: Pack) -> str:
    """The pack page as printed to PDF: no request, so no menu, messages or forms."""
    request = HttpRequest()
    request.method = "GET"
    request.GET = QueryDict(query(pack))
    # django-tables2 reads the query string from "request"; no context processor runs.
    return render_to_string("reports/pack.html", {**context(pack), "pdf": True, "request": request})
