"""Which figures a KPI's owner owes: the rule "My updates" and the returns tracker share.

A calculated KPI's figures are worked out from its inputs, so nobody owes
one. Otherwise a figure is owed for a period the KPI reports (every month, a
quarter's last month, the month its year ends) when it was asked for
(``Kpi.asked_for``) and the KPI was reported by then; a figure already saved
counts as owed and received whatever the rules say now.
"""

import datetime

from metrics.models import Kpi, KpiQuerySet


def owned_figures(kpis: KpiQuerySet) -> KpiQuerySet:
    """The KPIs whose figures someone types in: not calculated ones."""
    return kpis.filter(formula__isnull=True)


def is_reporting_month(kpi: Kpi, month: datetime.date) -> bool:
    """Whether a figure is recorded on this month: any month, a quarter's or a year's last."""
    return kpi.period_end(month) == month


def owes(kpi: Kpi, period: datetime.date, *, saved: bool) -> bool:
    """Whether the KPI's owner owes its figure for the period (reads the prefetched areas)."""
    if saved:
        return True
    if kpi.reporting_from and period < kpi.reporting_from:
        return False
    return kpi.asked_for(period)
