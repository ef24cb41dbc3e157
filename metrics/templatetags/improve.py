from django import template

from metrics import rag

register = template.Library()


@register.filter
def period_label(kpi, period) -> str:
    """{{ kpi|period_label:period }}: "Aug 2021", or "Q2 2021/22" for a quarterly KPI."""
    return kpi.period_label(period)


@register.filter
def overdue_on(action, day) -> bool:
    return action.is_overdue(day)


@register.filter
def figure(value, places=1) -> str:
    """A figure at the KPI's decimal places: {{ actual.value|figure:kpi.decimal_places }}."""
    return rag.fmt(value, int(places))


@register.filter
def anchor(bound_field) -> str:
    """The id an error summary links to: the input, or a radio group's first option."""
    return bound_field.id_for_label or f"{bound_field.auto_id}_0"
