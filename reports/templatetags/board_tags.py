from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from reports import board

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
