"""The metrics app's models, a module per kind of record."""

from metrics.models.figures import Actual, ActualQuerySet, Benchmark, Target
from metrics.models.formulas import DefinitionChange, KpiFormula
from metrics.models.imports import ImportRun
from metrics.models.kpis import Kpi, KpiQuerySet
from metrics.models.links import FindingKpi
from metrics.models.locks import PeriodLock, PeriodLockQuerySet
from metrics.models.scorecards import Scorecard, ScorecardRow

__all__ = [
    "Actual",
    "ActualQuerySet",
    "Benchmark",
    "DefinitionChange",
    "FindingKpi",
    "ImportRun",
    "Kpi",
    "KpiFormula",
    "KpiQuerySet",
    "PeriodLock",
    "PeriodLockQuerySet",
    "Scorecard",
    "ScorecardRow",
    "Target",
]
