"""Planning the Targets and Benchmarks sheets: a KPI's figures found by KPI and month."""

from metrics import periods
from metrics.importer.cells import (
    COMPARATOR_WORDS,
    read_choice,
    read_figure,
    read_period,
    read_text,
)
from metrics.importer.columns import BENCHMARKS, TARGETS
from metrics.importer.layout import Sheet
from metrics.importer.plan import Change, SheetSummary
from metrics.importer.planning import Row, SheetPlanner, state_of
from metrics.models import Benchmark, Kpi, Target


def _figures(row: Row, kpi: Kpi, given: dict) -> dict:
    """The row's figures in the KPI's units, and its source text."""
    values = {}
    for name, raw in given.items():
        if name == "source":
            values[name] = row.read(name, raw, read_text)
            continue
        figure = row.read(name, raw, read_figure, kpi)
        if figure is not None:
            if problem := kpi.value_problems(figure).get("value"):
                row.reject(name, problem)
            values[name] = figure
    return values


class FigurePlanner(SheetPlanner):
    figure_model = {TARGETS: Target, BENCHMARKS: Benchmark}

    def plan_targets(self, sheet: Sheet, summary: SheetSummary) -> None:
        targets = self.locking(Target.objects.filter(kpi__in=self.kpis.values()))
        self._kpi_figures(
            sheet,
            summary,
            Target,
            {(t.kpi_id, t.starts): t for t in targets},
            keys=[
                (
                    "starts",
                    (read_period,),
                    "Enter the month the target is in force from, like Apr 2021.",
                )
            ],
            label=lambda code, starts: f"{code} from {periods.month_label(starts)}",
        )

    def plan_benchmarks(self, sheet: Sheet, summary: SheetSummary) -> None:
        benchmarks = self.locking(Benchmark.objects.filter(kpi__in=self.kpis.values()))
        self._kpi_figures(
            sheet,
            summary,
            Benchmark,
            {(b.kpi_id, b.comparator, b.period): b for b in benchmarks},
            keys=[
                (
                    "comparator",
                    (read_choice, Benchmark.Comparator, COMPARATOR_WORDS),
                    "Enter the comparator for this benchmark.",
                ),
                ("period", (read_period,), "Enter the period for this benchmark."),
            ],
            label=lambda code, comparator, period: (
                f"{code} {Benchmark.Comparator(comparator).label} {periods.month_label(period)}"
            ),
            required="value",
        )

    def _kpi_figures(self, sheet, summary, model, existing, *, keys, label, required=None):
        """Plan a sheet of a KPI's figures found by KPI and ``keys``: Targets or Benchmarks.

        ``keys`` are (column key, (reader, *arguments), the message when it
        is empty); ``existing`` maps (KPI id, *key values) to stored rows;
        ``required`` names a field a new row must have. Every other column is
        a figure in the KPI's units, except the source, which is text.
        """
        noun = model._meta.verbose_name
        seen: dict[tuple, int] = {}
        for row, given in self.rows(sheet, "kpi"):
            kpi = self.kpi(row, "kpi", given.pop("kpi")) if "kpi" in given else None
            found = [
                row.read(name, given.pop(name), reader, *arguments) if name in given else None
                for name, (reader, *arguments), _ in keys
            ]
            # Ask for a missing key only when nothing in the row is wrong already.
            asks = [("kpi", f"Enter the KPI code for this {noun}.")]
            asks += [(name, missing) for name, _, missing in keys]
            for (name, missing), value in zip(asks, [kpi, *found], strict=True):
                if value is None and not row.rejected:
                    row.reject(name, missing)
            if row.rejected:
                summary.rejected += 1
                continue
            key = (kpi.code, *found)
            title = label(*key)
            if key in seen:
                row.reject(keys[-1][0], f"{title} is already on row {seen[key]}: keep one row.")
                summary.rejected += 1
                continue
            seen[key] = row.number
            values = _figures(row, kpi, given)
            current = existing.get((kpi.pk, *found)) if kpi.pk else None
            if required and current is None and required not in values and not row.rejected:
                row.reject(required, f"{title} is new: enter its {required}.")
            self.remember(model._meta.model_name, key, state_of(current))
            key_values = {name: value for (name, _, _), value in zip(keys, found, strict=True)}
            change = self._plan_simple(row, summary, current, values, title, key_values, kpi.code)
            if change is not False:
                self.record(summary, change)

    def _plan_simple(self, row, summary, current, values, label, key_values, code):
        """Plan a create or update of a Target or Benchmark; False when the row is rejected."""
        model, refs = self.figure_model[row.sheet.kind], {"kpi": code}
        if row.rejected:
            summary.rejected += 1
            return False
        if current is None:
            candidate = model(**key_values, **values)
            change = Change(
                row.sheet.kind, row.number, label, model, None, {**key_values, **values}, {}, refs
            )
        else:
            candidate, old = self.compare(current, values)
            if not old:
                return None
            change = Change(
                row.sheet.kind,
                row.number,
                label,
                model,
                current.pk,
                {k: values[k] for k in old},
                old,
                refs,
                candidate,
            )
        self.validate(row, candidate, ["kpi"])
        if row.rejected:
            summary.rejected += 1
            return False
        return change
