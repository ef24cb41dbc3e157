from django import template
from django.http import QueryDict
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from metrics import display
from reports import board, paging

register = template.Library()


@register.filter
def chart_json(figure: dict, chart_id: str) -> SafeString:
    """``json_script`` output marked as chart data, for static/js/charts.js to find.

    The script's id is the chart container's id with "-data" after it.
    """
    script = json_script(figure, f"{chart_id}-data")
    return mark_safe(script.replace("<script ", '<script class="app-chart-data" ', 1))


@register.filter
def direction(row) -> str:
    """A board row's direction of travel in words: {{ row|direction }}."""
    return board.direction_text(row)


@register.filter
def written_by(actual) -> str:
    """Who wrote a figure's commentary and when: {{ actual|written_by }}."""
    return board.written_by(actual)


@register.inclusion_tag("reports/includes/provisional.html")
def provisional(flag: bool, either: bool = False) -> dict:
    """A "Provisional" tag after a figure not yet signed off: {% provisional row.provisional %}.

    With ``either``, a signed-off figure says so ("Signed off"), for a sign-off column.
    """
    return {
        "provisional": bool(flag),
        "words": display.PROVISIONAL,
        "meaning": display.PROVISIONAL_MEANING,
        "signed_off": display.SIGNED_OFF if either else "",
    }


@register.filter
def kpi_stamp(shown, pk: int) -> str:
    """A KPI's part of a {% cache %} key: {{ panel_stamps|kpi_stamp:kpi.pk }} (metrics.stamps)."""
    return shown.kpi(pk)


@register.filter
def area_stamp(shown, pk: int) -> str:
    """An area's part of a {% cache %} key: {{ panel_stamps|area_stamp:area.pk }}."""
    return shown.area(pk)


@register.inclusion_tag("reports/includes/pagination.html", takes_context=True)
def pagination(context, page, label: str, param: str = "page", anchor: str = "") -> dict:
    """GOV.UK pagination for a ``reports.paging`` page: {% pagination page "KPIs" %}.

    Each link keeps the request's query string with only ``param`` changed, and
    goes to ``anchor`` (an id on the page) if one is given.
    """
    request = context.get("request")
    query = request.GET if request is not None else QueryDict()
    return {**paging.links(page, query, param=param, anchor=anchor), "label": label}
