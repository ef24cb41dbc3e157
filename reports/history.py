"""A KPI's change history: who changed its details, targets and figures, and how.

Read from django-simple-history's records in three queries, whatever the
number of changes; each record is compared with the one before it for the
same row in Python, so no query runs per change.
"""

from metrics import periods
from metrics.changes import ACTUAL_HISTORY_FIELDS, Change, record_changes
from metrics.models import Actual, Kpi, Target

KPI_FIELDS = [
    "code",
    "title",
    "definition",
    "unit",
    "polarity",
    "tolerance",
    "tolerance_kind",
    "decimal_places",
    "frequency",
    "numerator_label",
    "denominator_label",
    "reporting_from",
    "reported_until",
]
TARGET_FIELDS = ["starts", "value", "lower", "upper"]


def kpi_changes(kpi: Kpi, *, limit: int = 50) -> tuple[list[Change], int]:
    """The latest changes to the KPI, its targets and its figures, newest first, and how many."""

    changes = [
        *record_changes(Kpi.history.filter(id=kpi.pk), KPI_FIELDS, name=lambda r: "KPI details"),
        *record_changes(
            Target.history.filter(kpi_id=kpi.pk),
            TARGET_FIELDS,
            name=lambda r: f"Target from {periods.month_label(r.starts)}",
        ),
        *record_changes(
            Actual.history.filter(kpi_id=kpi.pk),
            ACTUAL_HISTORY_FIELDS,
            name=lambda r: f"Figure for {kpi.period_label(r.period)}",
        ),
    ]
    changes.sort(key=lambda change: change.when, reverse=True)
    return changes[:limit], len(changes)
