"""/returns/: who has reported for a month, each area's completeness, and on-time rates.

For analysts, administrators and board members (``returns.may_see_returns``);
a head of service who is none of these is refused. The month is chosen as on
the board (``?period=YYYY-MM``, or ``?month=``), by default the last full
month, whose deadline has passed or is this month. A fixed number of queries
whatever the number of KPIs (tests/reports/test_returns.py).
"""

import csv
import datetime

import django_tables2 as tables
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from metrics import periods
from metrics.importer import escape_cell_text
from priorities.models import Plan
from reports import board
from reports.returns import OwnerLine, may_see_returns, read_returns
from reports.tables import GovukTable, _secondary


def _check_may_see(request: HttpRequest) -> None:
    if not may_see_returns(request.user):
        raise PermissionDenied(
            "Returns are for analysts, administrators and board members. "
            "Your own figures are on My updates."
        )


def _count(header: str) -> tables.Column:
    return tables.Column(header, empty_values=())


class OwnerTable(GovukTable):
    owner = tables.Column("Owner", accessor="owner_key", empty_values=())
    due = _count("Figures due")
    on_time = _count("On time")
    late = _count("Late")
    to_come = _count("Not in yet")
    missing = _count("Missing")
    awaiting = _count("Awaiting sign-off")
    signed_off = _count("Signed off")
    rate = tables.Column("On time, last 12 months", accessor="rate_key", empty_values=())

    class Meta(GovukTable.Meta):
        order_by = ("owner",)
        empty_text = "No KPIs in this plan have an owner who types in their figures."
        row_attrs = {"class": "govuk-table__row", "id": lambda record: _owner_id(record)}

    def render_owner(self, record: OwnerLine) -> str:
        contact = ", ".join(part for part in (record.login_name, record.email) if part)
        unreachable = (
            format_html(
                '<span class="app-secondary"><strong class="govuk-tag govuk-tag--orange">'
                "Unreachable</strong> {}: reminders cannot reach them.</span>",
                record.unreachable,
            )
            if record.unreachable
            else ""
        )
        return format_html("{} {} {}", record.owner_name, _secondary(contact), unreachable)

    def render_awaiting(self, record: OwnerLine) -> str:
        if not record.returned:
            return str(record.awaiting)
        return format_html(
            '{} <span class="app-secondary">({} returned)</span>', record.awaiting, record.returned
        )

    def render_rate(self, record: OwnerLine) -> str:
        return record.rate_text


def _owner_id(record: OwnerLine) -> str:
    return f"owner-{record.officer.pk}" if record.officer else "owner-none"


def _months(plan: Plan, chosen: datetime.date, latest: datetime.date) -> list:
    """The month selector's months: the plan's, up to the last full month, and the one shown."""
    with_data = board.months_with_data(plan)
    offered = {m for m in board.selectable_months(plan, with_data) if m <= latest}
    return board.months_by_year(sorted({*offered, latest, chosen}), with_data)


def _read(request: HttpRequest) -> dict:
    """What the page and its CSV both show, for the query string's plan and month."""
    today = timezone.localdate()
    plans = list(Plan.objects.annotate(kpi_count=Count("areas__kpis", distinct=True)))
    if not plans:
        return {"plans": plans}
    plan = board.choose_plan(request.GET.get("plan"), plans)
    raw = request.GET.get("period") or request.GET.get("month")
    choice = board.choose_period(raw, [], today=today)
    returns = read_returns(plan, choice.period, today=today)
    hidden = [] if today <= returns.deadline else ["to_come"]
    if not settings.SIGN_OFF_REQUIRED:
        hidden += ["awaiting", "signed_off"]
    table = OwnerTable(
        returns.owners,
        caption=f"Returns for {periods.month_label(choice.period)} by KPI owner",
        exclude=hidden,
    )
    RequestConfig(request, paginate=False).configure(table)
    return {
        "plans": plans,
        "plan": plan,
        "period": choice.period,
        "notice": choice.notice,
        "returns": returns,
        "table": table,
        "today": today,
        "latest": periods.latest_completed_month(today),
        "sign_off": settings.SIGN_OFF_REQUIRED,
    }


@require_safe
def returns_page(request: HttpRequest) -> HttpResponse:
    _check_may_see(request)
    context = _read(request)
    if "plan" in context:
        context["years"] = _months(context["plan"], context["period"], context["latest"])
    return render(request, "reports/returns.html", context)


CSV_HEAD = [
    "owner", "login name", "email", "unreachable", "figures due", "on time", "late",
    "not in yet", "missing", "awaiting sign-off", "of which returned", "signed off",
    "due in the last 12 months", "on time in the last 12 months", "on-time rate (%)",
]  # fmt: skip


def csv_rows(lines: list[OwnerLine]) -> list[list]:
    """The owners' table as shown, sorted the same, one row an owner."""
    rows: list[list] = [CSV_HEAD]
    for line in lines:
        texts = [line.owner_name, line.login_name, line.email, line.unreachable]
        counts = [line.due, line.on_time, line.late, line.to_come, line.missing, line.awaiting]
        counts += [line.returned, line.signed_off, line.year_due, line.year_on_time]
        rate = "" if line.rate is None else line.rate
        rows.append([*(escape_cell_text(text) for text in texts), *counts, rate])
    return rows


@require_safe
def returns_csv(request: HttpRequest) -> HttpResponse:
    """The owners' table the page shows for the same query string, as a CSV file."""
    _check_may_see(request)
    context = _read(request)
    if "plan" not in context:
        raise Http404("There is no plan to report on yet.")
    month = periods.MonthConverter().to_url(context["period"])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"returns-{context['plan'].slug}-{month}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    lines = [row.record for row in context["table"].rows]
    csv.writer(response).writerows(csv_rows(lines))
    return response
