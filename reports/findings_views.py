"""The findings pages: the register by source, and one finding, each as at a month.

Read-only and open to every signed-in role, like the board pages
(LoginRequiredMiddleware asks everyone else to sign in). The month selector
and its default are the board's; each page runs a fixed number of queries
(tests/reports/test_findings_pages.py holds them to it).
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from metrics import periods
from metrics.summary import actions_judged_on
from priorities.models import Finding
from reports import board, charts, findings
from reports.filters import FindingFilterForm, officers_of
from reports.finding_page import finding_report


@require_safe
def findings_register(request: HttpRequest) -> HttpResponse:
    """Every finding made by the month's end, by source, as it stood then."""
    today = timezone.localdate()
    with_data = findings.board_months()
    choice = board.choose_period(request.GET.get("period"), with_data, today=today)
    on = actions_judged_on(choice.period, today)
    lines = findings.finding_lines(on)
    sources = list({line.finding.source.pk: line.finding.source for line in lines}.values())
    form = FindingFilterForm(request.GET, sources=sources, officers=officers_of(lines))
    shown = form.apply(lines)
    return render(
        request,
        "reports/findings/register.html",
        {
            "period": choice.period,
            "notice": choice.notice,
            "on": on,
            "years": findings.month_links(
                min((s.date for s in sources), default=None), choice.period, with_data
            ),
            "groups": findings.group_by_source(lines, shown),
            "form": form,
            "shown_count": len(shown),
            "total_count": len(lines),
        },
    )


@require_safe
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A finding as it stood at the month's end: its record, actions and KPIs."""
    today = timezone.localdate()
    with_data = findings.board_months()
    choice = board.choose_period(request.GET.get("period"), with_data, today=today)
    on = actions_judged_on(choice.period, today)
    finding = get_object_or_404(
        Finding.objects.as_at(on).select_related(
            "source", "responsible_officer", "area__plan", "area__responsible_officer"
        ),
        pk=pk,
    )
    report = finding_report(finding, choice.period, on, today=today)
    return render(
        request,
        "reports/findings/detail.html",
        {
            "finding": finding,
            "kind": findings.grade_words(finding),
            "report": report,
            "period": choice.period,
            "notice": choice.notice,
            "on": on,
            "month": periods.month_label(choice.period),
            "years": findings.month_links(finding.made_on, choice.period, with_data),
            "has_charts": report.has_charts,
            "plotly_js": charts.PLOTLY_JS,
        },
    )
