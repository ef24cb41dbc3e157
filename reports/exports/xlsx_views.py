"""The scorecard and a KPI as Excel workbooks, for everyone who can read the board pages.

Read-only, like the pages they come from (LoginRequiredMiddleware asks
everyone else to sign in); each reads what its page reads, as it stood at the
month chosen, and names the file after the plan (or KPI) and month.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_safe

from metrics.models import Kpi
from reports import board
from reports.exports import FORMATS, filename, xlsx
from reports.scorecard_views import read_for_download

EXCEL = FORMATS["xlsx"]


def _attachment(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=EXCEL.content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def scorecard_xlsx(request: HttpRequest) -> HttpResponse:
    """The grid the scorecard page shows for the same query string, as a workbook."""
    read = read_for_download(request)
    source = read.saved or read.plan
    content = xlsx.render_scorecard(read.grid, title=source.title, period=read.period)
    return _attachment(content, filename(source.slug, read.period, "scorecard", EXCEL.extension))


@require_safe
def kpi_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """A KPI's page as a workbook: its series, chart, benchmarks and commentary to a month."""
    kpi = get_object_or_404(Kpi.objects.with_history(), pk=pk)
    today = timezone.localdate()
    reported = [actual.period for actual in kpi.recent_actuals]
    period = board.choose_period(request.GET.get("period"), reported, today=today).period
    content = xlsx.render_kpi(kpi, period, today=today)
    return _attachment(content, filename(kpi.code, period, "", EXCEL.extension))
