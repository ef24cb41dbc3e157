"""Planning the Actuals sheet: the one sheet that may hold a hundred thousand figures.

Long (a Period column, one figure a row) or wide (one column per month or
quarter, one KPI a row). A wide sheet's plain numbers take a short way
through ``_wide_row``; every other figure goes through ``_actual``, where
all the messages are.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from openpyxl.utils import get_column_letter

from metrics import display, periods
from metrics.importer.cells import (
    is_blank,
    plain_figure,
    read_code,
    read_figure,
    read_period,
    read_text,
)
from metrics.importer.columns import ACTUALS
from metrics.importer.errors import CellProblem
from metrics.importer.layout import Sheet
from metrics.importer.limits import BATCH
from metrics.importer.plan import ACTUAL_FIELDS, ACTUAL_TEXT, Change, SheetSummary
from metrics.importer.planning import Row, SheetPlanner, same
from metrics.models import Actual, Kpi, PeriodLock

# Actuals are written without the ORM, so field lengths are checked here.


class ActualsPlanner(SheetPlanner):
    def plan_actuals(self, sheet: Sheet, summary: SheetSummary) -> None:
        self._load_actuals(sheet)
        self.seen_actuals: dict[tuple[str, datetime.date], tuple[int, int | None]] = {}
        self.period_ok: dict[tuple, bool] = {}
        self.month_ok: dict[tuple, dict[datetime.date, bool]] = {}
        self.plain_figures: dict[tuple, dict[float | int, Decimal | bool]] = {}
        if sheet.layout == "wide":
            self._wide_actuals(sheet, summary)
        else:
            self._long_actuals(sheet, summary)
        self._note_calculations()

    def _note_calculations(self) -> None:
        """Say which calculated KPIs the planned figures feed: confirming works them out again."""
        changed = {change.refs["kpi"] for change in self.plan.changes if change.model is Actual}
        fed = [
            code
            for code, kpi in self.kpis.items()
            if (formula := getattr(kpi, "formula", None))
            and {formula.first.code, formula.second.code} & changed
        ]
        if fed:
            self.plan.notices.append(
                f"Calculated from these figures, and worked out again when the import is "
                f"confirmed (with any calculated from them): {', '.join(fed)}."
            )

    def _load_actuals(self, sheet: Sheet) -> None:
        """The stored figures of the KPIs the sheet names, and which have figures above 1."""
        codes = set()
        code_column = sheet.columns["kpi"]
        for _, cells in sheet.rows:
            raw = cells.get(code_column)
            if raw is not None and not is_blank(raw):
                try:
                    code = read_code(raw)
                except CellProblem:
                    continue
                codes.add(self.folded.get(code.casefold(), code))
        ids = [self.kpis[c].pk for c in codes if c in self.kpis]
        # KPI id -> month -> (pk, version, value, numerator, ...) of the stored figures.
        self.actuals: dict[int, dict[datetime.date, tuple]] = defaultdict(dict)
        self.history_high: dict[int, bool] = {}
        if ids:
            queryset = Actual.objects.filter(kpi_id__in=ids).order_by()
            rows = self.locking(queryset).values_list(
                "kpi_id", "period", "pk", "version", *ACTUAL_FIELDS
            )
            for record in rows.iterator(chunk_size=BATCH):
                self.actuals[record[0]][record[1]] = record[2:]
                if record[4] > 1:
                    self.history_high[record[0]] = True

    def _wide_actuals(self, sheet: Sheet, summary: SheetSummary) -> None:
        code_column = sheet.columns["kpi"]
        wide = sheet.wide
        for number, cells in sheet.rows:
            filled = [
                (c, v)
                for c, v in cells.items()
                if c in wide and (type(v) is not str or not is_blank(v))
            ]
            raw_code = cells.get(code_column)
            if not filled or self.skip_total(sheet, number, raw_code):
                continue
            row = Row(self, sheet, number)
            kpi = None
            if raw_code is None or is_blank(raw_code):
                row.reject("kpi", "Enter the KPI code for this row of figures.")
            else:
                kpi = self.kpi(row, "kpi", raw_code)
            if kpi is None:
                summary.rejected += len(filled)
                continue
            self._wide_row(row, summary, kpi, filled)

    def _wide_row(self, row: Row, summary: SheetSummary, kpi: Kpi, filled: list) -> None:
        """Plan a wide row's figures, the plain ones here and the rest by _actual.

        A figure takes the short way only when _actual would make exactly
        this decision: a number (not text, a percentage or an error) within
        range, not already given, and either equal to the stored value
        (unchanged) or a new figure that passes the period, value and lock
        checks with no warning. Anything else goes to _actual untouched.
        """
        wide, seen, state = row.sheet.wide, self.seen_actuals, self.state
        changes = self.plan.changes
        stored = self.actuals.get(kpi.id, {})
        code, number, frequency = kpi.code, row.number, kpi.frequency
        # Whether each month may be recorded depends only on these three of the KPI's fields.
        ok = self.month_ok.setdefault((kpi.frequency, kpi.year_ends, kpi.reporting_from), {})
        locked_through, allow_locked = self.locked_through, self.allow_locked
        # A plain number's figure, and whether Kpi.value_problems passes it,
        # depend only on the number and these two of the KPI's fields: real
        # trackers repeat the same figures endlessly, so each is read once.
        figures = self.plain_figures.setdefault((kpi.unit, kpi.decimal_places), {})
        calculated = kpi.calculated_problem() is not None
        for column, raw in filled:
            period = wide[column]
            key = (code, period)
            kind = type(raw)
            if key in seen or (kind is not float and kind is not int):
                self._actual(row, summary, kpi, period, {"value": (column, raw)})
                continue
            value = figures.get(raw)
            if value is None:
                value = figures[raw] = plain_figure(kpi, raw)
            if value is False:
                self._actual(row, summary, kpi, period, {"value": (column, raw)})
                continue
            current = stored.get(period)
            if current is not None:
                if current[2] != value:
                    self._actual(row, summary, kpi, period, {"value": (column, raw)})
                    continue
                seen[key] = (number, column)
                if state is not None:
                    self.remember("actual", key, current)
                summary.unchanged += 1
                continue
            period_ok = ok.get(period)
            if period_ok is None:
                period_ok = ok[period] = kpi.period_problem(period, today=self.today) is None
            locked = locked_through is not None and period <= locked_through
            if calculated or not period_ok or (locked and not allow_locked):
                self._actual(row, summary, kpi, period, {"value": (column, raw)})
                continue
            seen[key] = (number, column)
            if state is not None:
                self.remember("actual", key, None)
            refs = {"kpi": code, "period": period, "frequency": frequency}
            changes.append(
                Change(ACTUALS, number, "", Actual, None, {"value": value}, {}, refs, locked=locked)
            )
            summary.new += 1

    def _long_actuals(self, sheet: Sheet, summary: SheetSummary) -> None:
        columns = sheet.columns
        for number, cells in sheet.rows:
            given = {
                key: (column, cells[column])
                for key, column in columns.items()
                if column in cells and not is_blank(cells[column])
            }
            if not any(key in given for key in ACTUAL_FIELDS):
                continue
            if "kpi" in given and self.skip_total(sheet, number, given["kpi"][1]):
                continue
            row = Row(self, sheet, number)
            kpi = self.kpi(row, "kpi", given.pop("kpi")[1]) if "kpi" in given else None
            period = (
                row.read("period", given.pop("period")[1], read_period)
                if "period" in given
                else None
            )
            if kpi is None and not row.rejected:
                row.reject("kpi", "Enter the KPI code for this figure.")
            if period is None and not row.rejected:
                row.reject("period", f"Enter the period of this figure: {periods.PERIOD_HELP}.")
            if row.rejected:
                summary.rejected += 1
                continue
            self._actual(row, summary, kpi, period, given)

    def _actual(
        self,
        row: Row,
        summary: SheetSummary,
        kpi: Kpi,
        period: datetime.date,
        given: dict[str, tuple[int, object]],
    ) -> None:
        """Plan one figure: ``given`` maps field to (column, cell) for its non-blank cells.

        Run up to a hundred thousand times per import, so it keeps to the
        essentials: read the cells, compare with the stored figure, and ask
        the KPI about the period and the value only when something changes.
        """
        rejections = self.plan.rejections
        before = len(rejections)
        key = (kpi.code, period)
        if key in self.seen_actuals:
            row.reject(
                given.get("value", next(iter(given.values())))[0],
                f"{self._label(kpi, period)} is already given at "
                f"{self._where(self.seen_actuals[key])}: keep one.",
            )
            summary.rejected += 1
            return
        self.seen_actuals[key] = (row.number, given["value"][0] if "value" in given else None)
        new = self._read_figure(row, kpi, given)
        if len(rejections) > before:
            summary.rejected += 1
            return
        # kpi.id, not kpi.pk: this line runs per figure and pk is a property.
        current = self.actuals.get(kpi.id, {}).get(period)
        if self.state is not None:
            self.remember("actual", key, current)
        merged, changed = _merge(kpi, current, new)
        if changed == {}:
            summary.unchanged += 1
            return
        column = given["value"][0] if "value" in given else next(iter(given.values()))[0]
        locked = self._check(row, kpi, period, merged, given, column)
        if len(rejections) > before:
            summary.rejected += 1
            return
        if changed is None or "value" in changed:
            self._warn_fraction(row, kpi, period, merged["value"], column)
        refs = {"kpi": kpi.code, "period": period, "frequency": kpi.frequency}
        if changed is None:
            change = Change(ACTUALS, row.number, "", Actual, None, merged, {}, refs, locked=locked)
            summary.new += 1
        else:
            change = Change(
                ACTUALS, row.number, "", Actual, current[0], merged, changed, refs,
                version=current[1], locked=locked,
            )  # fmt: skip
            summary.changed += 1
        self.plan.changes.append(change)

    def _warn_fraction(self, row: Row, kpi: Kpi, period, value: Decimal, column: int) -> None:
        """A percentage of 1 or less where the KPI's history is above 1 may be a fraction."""
        if 0 < value <= 1 and kpi.unit == Kpi.Unit.PERCENT and self.history_high.get(kpi.id):
            percent = display.exact(value * 100)
            row.warn(
                column,
                f"{self._label(kpi, period)} is {display.exact(value)}, but {kpi.code}'s earlier "
                f"figures are above 1: if this is a fraction, the percentage is {percent}. "
                f"Type {percent}, or format the cell as a percentage.",
            )

    def _read_figure(self, row: Row, kpi: Kpi, given: dict) -> dict:
        """The figure's fields as given in the row, each cell read; problems rejected."""
        new = {}
        for name, (column, raw) in given.items():
            try:
                new[name] = read_text(raw) if name in ACTUAL_TEXT else read_figure(raw, kpi)
            except CellProblem as problem:
                row.reject(column, str(problem))
                continue
            if name in ACTUAL_TEXT and (problem := Actual.text_problems({name: new[name]})):
                row.reject(column, problem[name])
        return new

    def _check(self, row: Row, kpi: Kpi, period, merged: dict, given: dict, column: int) -> bool:
        """Reject a new or changed figure the KPI refuses; whether its month is locked."""
        if problem := kpi.calculated_problem():
            row.reject(column, problem)
            return False
        before = len(self.plan.rejections)
        value = merged.get("value")
        if value is None:
            row.reject(
                column,
                f"{self._label(kpi, period)} is a new figure: enter its value (or numerator and "
                "denominator).",
            )
        if problem := self._period_problem(kpi, period):
            row.reject(given["period"][0] if "period" in given else column, problem)
        problems = kpi.value_problems(value, merged.get("numerator"), merged.get("denominator"))
        for name, message in problems.items():
            if name == "value" and kpi.unit == Kpi.Unit.PERCENT and 0 < value <= 1:
                message += (
                    f" If {display.exact(value)} is a fraction, the percentage is "
                    f"{display.exact(value * 100)}: type that, or format the cell as a percentage."
                )
            row.reject(given[name][0] if name in given else column, message)
        locked = PeriodLock.is_locked(period, self.locked_through)
        if locked and not self.allow_locked and len(self.plan.rejections) == before:
            # Only analysts import; a preview that will ask for a reason plans it anyway.
            refusal = PeriodLock.refusal(
                period,
                kpi.period_label(period),
                locked_through=self.locked_through,
                may_change=True,
                reason="",
            )
            row.reject(given["period"][0] if "period" in given else column, refusal, locked=True)
        return locked

    def _period_problem(self, kpi: Kpi, period: datetime.date) -> str | None:
        # The answer depends only on these four, and a wide sheet asks it
        # for every KPI in every month column: ask the KPI once per month.
        key = (kpi.frequency, kpi.year_ends, kpi.reporting_from, period)
        if key not in self.period_ok:
            self.period_ok[key] = kpi.period_problem(period, today=self.today) is None
        return None if self.period_ok[key] else kpi.period_problem(period, today=self.today)

    def _label(self, kpi: Kpi, period: datetime.date) -> str:
        return f"{kpi.code} {kpi.period_label(period)}"

    def _where(self, seen: tuple[int, int | None]) -> str:
        number, column = seen
        return f"row {number}" + (f" column {get_column_letter(column)}" if column else "")


def _merge(kpi: Kpi, current: tuple | None, new: dict) -> tuple[dict, dict | None]:
    """The figure as it would be stored, and the old value of each changed field.

    ``current`` is the stored (pk, version, value, numerator, denominator,
    texts..., source), or None for a new figure: then the changes are None.
    An empty dict of changes means the figure is unchanged.
    """
    if current is None:
        if "value" not in new and new.get("numerator") is not None and new.get("denominator"):
            new["value"] = kpi.value_from_ratio(new["numerator"], new["denominator"])
        return new, None
    merged = dict(zip(ACTUAL_FIELDS, current[2:], strict=True))
    changed = {}
    for name, value in new.items():
        if not same(merged[name], value):
            changed[name] = merged[name]
            merged[name] = value
    if (
        "value" not in new
        and ("numerator" in changed or "denominator" in changed)
        and merged["numerator"] is not None
        and merged["denominator"]
    ):
        # New counts and no value given: the value follows the counts.
        value = kpi.value_from_ratio(merged["numerator"], merged["denominator"])
        if not same(merged["value"], value):
            changed.setdefault("value", merged["value"])
            merged["value"] = value
    return merged, changed
