"""Calculated KPIs' figures, worked out from their inputs in the transaction that writes one.

A calculated KPI (one with a ``KpiFormula``) has, for each month, exactly
the figure its calculation gives from its two inputs' figures for that
month, and no figure where an input has none or the calculation has no
value (a percentage of nothing). Every write path calls ``recalculate``
once, after writing, inside its own transaction: the entry page and the
data admin through ``services.save_actual``, a figure deleted in the admin,
the workbook import, the fixture loader, and a calculation set or changed
on a KPI's admin page. Nobody types a calculated figure in
(``Kpi.calculated_problem``); only this module writes them.

A locked month (``PeriodLock``) is left as it stood, even when an analyst
corrects an input there with a reason: what the board was shown for the
month does not move without someone deciding it should. To carry such a
correction through, unlock the month and save the calculation on the KPI's
admin page again, which works out every month afresh.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from metrics.models import Actual, KpiFormula, PeriodLock


def recalculate(
    *,
    kpi_ids: Iterable[int],
    periods: Iterable[datetime.date] | None = None,
    user=None,
) -> int:
    """Work out again the figures of every calculated KPI that ``kpi_ids`` feed; how many
    figures were added, changed or removed.

    A calculated KPI named in ``kpi_ids`` is worked out too, as is a
    calculation of a calculation, inputs first. ``periods`` limits the months
    (None: every month any input or the KPI itself has a figure). Each change
    goes into the figure's history with ``user`` and a reason naming the
    inputs. Three queries whatever the number of KPIs and months, plus the
    writes; call it inside the transaction that wrote the inputs.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("recalculate must run inside the transaction that wrote the inputs.")
    formulas = _in_order(set(kpi_ids))
    if not formulas:
        return 0
    wanted = {pk for formula in formulas for pk in (formula.kpi_id, *_inputs(formula))}
    # Locked, so two saves of different inputs at once cannot each work from the other's old figure.
    actuals = Actual.objects.select_for_update().filter(kpi_id__in=wanted).order_by("pk")
    if periods is not None:
        periods = set(periods)
        actuals = actuals.filter(period__in=periods)
    stored = {(actual.kpi_id, actual.period): actual for actual in actuals}
    locked_through = PeriodLock.objects.locked_through()
    today = timezone.localdate()
    written = 0
    for formula in formulas:
        own = {formula.kpi_id, *_inputs(formula)}
        months = periods if periods is not None else {p for kpi, p in stored if kpi in own}
        for month in sorted(months):
            if not PeriodLock.is_locked(month, locked_through):
                written += _work_out(formula, month, stored, user=user, today=today)
    return written


def _inputs(formula: KpiFormula) -> tuple[int, int]:
    return formula.first_id, formula.second_id


def _in_order(kpi_ids: set[int]) -> list[KpiFormula]:
    """The calculations ``kpi_ids`` feed, directly or through another, each after its inputs'."""
    formulas = KpiFormula.objects.select_related("kpi", "first", "second")
    by_kpi = {formula.kpi_id: formula for formula in formulas}
    feeds: dict[int, list[KpiFormula]] = defaultdict(list)
    for formula in by_kpi.values():
        for pk in _inputs(formula):
            feeds[pk].append(formula)
    todo = [by_kpi[pk] for pk in kpi_ids if pk in by_kpi]
    todo += [formula for pk in kpi_ids for formula in feeds[pk]]
    waiting: dict[int, KpiFormula] = {}
    while todo:
        formula = todo.pop()
        if formula.kpi_id not in waiting:
            waiting[formula.kpi_id] = formula
            todo.extend(feeds[formula.kpi_id])
    ordered = []
    while waiting:
        ready = [f for f in waiting.values() if not set(_inputs(f)) & waiting.keys()]
        if not ready:
            break  # a circle written straight into the database (clean refuses one): left alone
        for formula in sorted(ready, key=lambda f: f.kpi.code):
            ordered.append(formula)
            del waiting[formula.kpi_id]
    return ordered


def _work_out(formula: KpiFormula, month: datetime.date, stored: dict, *, user, today) -> int:
    """Bring the calculated KPI's figure for the month into line with its inputs; 1 if it moved.

    ``stored`` maps (KPI id, month) to figures and is kept up to date, so a
    calculation of this one sees the new figure.
    """
    first, second = (stored.get((pk, month)) for pk in _inputs(formula))
    value = None
    if first and second and formula.kpi.period_problem(month, today=today) is None:
        value = formula.compute(first.value, second.value)
        if value is not None and Actual.size_problem(value):
            value = None  # too large to store: as good as no value
    key = (formula.kpi_id, month)
    current = stored.get(key)
    if value is None and current is None:
        return 0
    if value is None:
        _for_history(current, formula, user).delete()
        del stored[key]
        return 1
    source = f"Calculated: {formula.describe(first.value, second.value)}"
    # Signed off when both inputs are; otherwise provisional, as its inputs are.
    state = (
        Actual.State.SIGNED_OFF
        if first.state == second.state == Actual.State.SIGNED_OFF
        else Actual.State.SUBMITTED
    )
    if current is not None and (current.value, current.source, current.state) == (
        value,
        source,
        state,
    ):
        return 0
    actual = current or Actual(kpi=formula.kpi, period=month)
    actual.value, actual.source, actual.numerator, actual.denominator = value, source, None, None
    actual.state = state
    actual.updated_by = user
    _for_history(actual, formula, user).save()
    stored[key] = actual
    return 1


def _for_history(actual: Actual, formula: KpiFormula, user) -> Actual:
    # simple_history keeps 100 characters of a reason.
    actual._change_reason = f"Calculated from {formula.describe()}"[:100]
    if user is not None:
        actual._history_user = user
    return actual
