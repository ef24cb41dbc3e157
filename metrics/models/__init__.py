"""The metrics app's models, a module per kind of record."""

from metrics.models.imports import ImportRun
from metrics.models.kpis import Actual, ActualQuerySet, Benchmark, Kpi, KpiQuerySet, Target
from metrics.models.links import FindingKpi
from metrics.models.locks import PeriodLock, PeriodLockQuerySet

__all__ = [
    "Actual",
    "ActualQuerySet",
    "Benchmark",
    "FindingKpi",
    "ImportRun",
    "Kpi",
    "KpiQuerySet",
    "PeriodLock",
    "PeriodLockQuerySet",
    "Target",
]
