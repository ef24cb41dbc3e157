from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from reports import board, charts

register = template.Library()


@register.filter
def chart_json(figure: dict, chart_id: str) -> SafeString:
    """``json_script`` output marked as chart data, for static/js/charts.js to find.

    The script's id is the chart container's id with "-data" after it.
    """
    script = json_script(figure, f"{chart_id}-data")
    return mark_safe(script.replace("<script ", '<script class="app-chart-data" ', 1))


@register.filter
def figure(value, kpi) -> str:
    """A value at the KPI's decimal places with its unit: {{ actual.value|figure:kpi }}."""
    return charts.show(value, kpi.decimal_places, kpi.unit)


@register.filter
def step(target, kpi) -> str:
    """A target step in force: "95.0%" or a band "40.0 to 50.0"."""
    return charts.step_text(target, kpi.decimal_places, kpi.unit)


@register.filter
def period_of(kpi, period) -> str:
    """{{ kpi|period_of:period }}: "Nov 2020", or "Q2 2021/22" for a quarterly KPI."""
    return kpi.period_label(period)


@register.filter
def direction(row) -> str:
    """A board row's direction of travel in words: {{ row|direction }}."""
    return board.direction_text(row)
