"""Downloads of the board pack and of an area, in each of the pack's file formats.

Open to everyone who can read the board pages (LoginRequiredMiddleware asks
everyone else to sign in); GET only. The plan and month are chosen exactly
as the pack page chooses them.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from priorities.models import Plan, PriorityArea
from reports import board, pack, pack_page
from reports.exports import FORMATS, Format, filename, pdf

# How long each format takes, to say beside its link: the whole pack's PDF
# prints every chart in a browser; the rest are quick.
HINTS = {
    ("pdf", "pack"): "takes up to half a minute",
    ("pdf", "area"): "takes a few seconds",
}
QUICK = "takes a few seconds"


@dataclass(frozen=True)
class DownloadLink:
    title: str
    format: Format
    url: str
    hint: str
    unavailable: bool = False

    @property
    def preparing(self) -> str:
        """What the page says once the link is clicked (static/js/downloads.js)."""
        if self.format.key != "pdf":
            return ""
        return f"Preparing the PDF… it {self.hint}. Your browser will save it when it is ready."


def _links(title: str, scope: str, url: Callable, query: str) -> list[DownloadLink]:
    ready = pdf.available()
    return [
        DownloadLink(
            title,
            fmt,
            f"{url(fmt.key)}?{query}",
            HINTS.get((fmt.key, scope), QUICK),
            unavailable=fmt.key == "pdf" and not ready,
        )
        for fmt in FORMATS.values()
    ]


def pack_links(plan: Plan, period: datetime.date) -> list[DownloadLink]:
    return _links(
        "Board pack",
        "pack",
        lambda key: reverse("pack-download", args=[key]),
        f"plan={plan.pk}&period={period:%Y-%m}",
    )


def area_links(area: PriorityArea, period: datetime.date) -> list[DownloadLink]:
    return _links(
        f"Area {area.number}",
        "area",
        lambda key: reverse("area-download", args=[area.pk, key]),
        f"period={period:%Y-%m}",
    )


def _format(key: str) -> Format:
    try:
        return FORMATS[key]
    except KeyError:
        raise Http404(f"There is no “{key}” download: try {', '.join(FORMATS)}.") from None


def _file(request: HttpRequest, fmt: Format, content: pack.Pack, name: str) -> HttpResponse:
    try:
        data = fmt.render_pack(content)
    except pdf.PdfError as error:
        return render(
            request,
            "reports/pdf_unavailable.html",
            {"reason": str(error), "others": [f for f in FORMATS.values() if f.key != "pdf"]},
            status=503,
        )
    response = HttpResponse(data, content_type=fmt.content_type)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@require_safe
def pack_download(request: HttpRequest, fmt: str) -> HttpResponse:
    """The board pack for a plan and month (``?plan=&period=``, as the pack page)."""
    export = _format(fmt)
    plan, choice, today = pack_page.choose(request)
    content = pack.build(plan, choice.period, today=today)
    name = filename(plan.slug, choice.period, "board-pack", export.extension)
    return _file(request, export, content, name)


@require_safe
def area_download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """One priority area's part of the pack for a month (``?period=``, as the area page)."""
    export = _format(fmt)
    area = get_object_or_404(PriorityArea.objects.select_related("plan"), pk=pk)
    today = timezone.localdate()
    choice = board.choose_period(
        request.GET.get("period"), board.months_with_data(area.plan), today=today
    )
    content = pack.build(area.plan, choice.period, today=today, areas=[area.pk])
    name = filename(area.plan.slug, choice.period, f"area-{area.number}", export.extension)
    return _file(request, export, content, name)
