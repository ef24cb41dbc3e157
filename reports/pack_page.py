"""The board pack page, built from a ``reports.pack.Pack``: for the browser and for the PDF.

The page view and ``reports.exports.pdf`` both render ``reports/pack.html``
from ``context(pack)``, so the PDF is the page the board reads, charts and
all, not a second drawing of it.
"""

import datetime

from django.db.models import Count
from django.http import Http404, HttpRequest, QueryDict
from django.template.loader import render_to_string
from django.utils import timezone

from priorities.models import Plan
from reports import board, charts
from reports.pack import Pack
from reports.tables import ActionTable


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


# What context() works out from the pack, which a cached pack page does without.
CONTENT = ("judged_on", "rollup", "plan_line", "reports", "provisional", "sign_off_required")


def context(pack: Pack) -> dict:
    """What ``reports/pack.html`` shows: every area with its action table, and the contents."""
    reports = [
        (
            report,
            ActionTable(
                report.actions,
                caption=f"Actions for area {report.area.number}, with their delivery dates",
                orderable=False,
            ),
        )
        for report in pack.reports
    ]
    return {
        "plan": pack.plan,
        "period": pack.period,
        "pack_title": pack.scope,
        "judged_on": pack.judged_on,
        "rollup": pack.rollup,
        "plan_line": board.AreaLine(None, pack.rollup),
        "reports": reports,
        "provisional": pack.provisional,
        "sign_off_required": pack.sign_off_required,
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
