from django import template

from metrics import display

register = template.Library()


@register.filter
def period_label(kpi, period) -> str:
    """{{ kpi|period_label:period }}: "Aug 2021", or "Q2 2021/22" for a quarterly KPI."""
    return kpi.period_label(period)


@register.filter
def overdue_on(action, day) -> bool:
    return action.is_overdue(day)


@register.filter
def figure(value, kpi) -> str:
    """A figure as the KPI reports it, places and unit: {{ actual.value|figure:kpi }} is "90.3%"."""
    return display.figure(value, kpi.decimal_places, kpi.unit)


@register.filter
def step(target, kpi) -> str:
    """The target step in force: "95.0%", a band "40.0 to 50.0", or a neutral KPI's reference."""
    return display.step(target, kpi.decimal_places, kpi.unit, kpi.polarity)


@register.filter
def against(row) -> str:
    """What a board row's figure is read against, to follow it in a sentence: {{ row|against }}."""
    kpi = row.kpi
    return display.against(row.target, kpi.decimal_places, kpi.unit, kpi.polarity)


@register.filter
def anchor(bound_field) -> str:
    """The id an error summary links to: the input, or a radio group's first option."""
    return bound_field.id_for_label or f"{bound_field.auto_id}_0"
