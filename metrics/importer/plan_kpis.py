"""Planning the KPIs sheet: one KPI a row, found by its code."""

from metrics.importer.cells import (
    POLARITY_WORDS,
    UNIT_WORDS,
    read_choice,
    read_code,
    read_number,
    read_period,
    read_text,
    read_whole,
)
from metrics.importer.columns import KPIS
from metrics.importer.layout import Sheet
from metrics.importer.plan import Change, SheetSummary
from metrics.importer.planning import Row, SheetPlanner, state_of
from metrics.models import Kpi

_READERS = {
    "title": read_text,
    "definition": read_text,
    "numerator_label": read_text,
    "denominator_label": read_text,
    "unit": lambda v: read_choice(v, Kpi.Unit, UNIT_WORDS),
    "polarity": lambda v: read_choice(v, Kpi.Polarity, POLARITY_WORDS),
    "frequency": lambda v: read_choice(v, Kpi.Frequency),
    "tolerance_kind": lambda v: read_choice(v, Kpi.ToleranceKind),
    "decimal_places": lambda v: read_whole(v, "Decimal places"),
    "tolerance": lambda v: read_number(v)[0],
    "reporting_from": read_period,
}


class KpiPlanner(SheetPlanner):
    def plan_kpis(self, sheet: Sheet, summary: SheetSummary) -> None:
        seen: dict[str, int] = {}
        for row, given in self.rows(sheet, "code"):
            code = row.read("code", given.pop("code"), read_code) if "code" in given else None
            if "code" in sheet.columns and code is None and not row.rejected:
                row.reject("code", "Enter the KPI code (for example PI.426) for this row.")
            if code is not None and code in seen:
                row.reject("code", f"KPI {code} is already on row {seen[code]}: keep one row.")
            if row.rejected:
                summary.rejected += 1
                continue
            # Codes match whatever their case, as on the other sheets.
            code = self.folded.get(code.casefold(), code)
            seen[code] = row.number
            self._plan_kpi(row, summary, code, given)

    def _plan_kpi(self, row: Row, summary: SheetSummary, code: str, given: dict) -> None:
        values = {}
        for key, raw in given.items():
            if key == "owner":
                values["owner"] = self.officer(row, key, raw)
            else:
                values[key] = row.read(key, raw, _READERS[key])
        existing = self.kpis.get(code)
        self.remember("kpi", code, state_of(existing))
        if existing is None:
            for key, what in (("title", "a Title"), ("polarity", "a Polarity")):
                if values.get(key) in (None, ""):
                    row.reject(
                        key if key in row.sheet.columns else "code",
                        f"{code} is a new KPI: give it {what}.",
                    )
            if row.rejected:
                self.rejected_codes.add(code)
                summary.rejected += 1
                return
            candidate = Kpi(code=code, **values)
            change = Change(KPIS, row.number, code, Kpi, None, {"code": code, **values}, {}, {})
        else:
            if row.rejected:
                summary.rejected += 1
                return
            candidate, old = self.compare(existing, values)
            if not old:
                self.record(summary, None)
                return
            change = Change(
                KPIS, row.number, code, Kpi, existing.pk, {k: values[k] for k in old}, old, {},
                candidate,
            )  # fmt: skip
        self.validate(row, candidate, ["owner"])
        if row.rejected:
            if existing is None:
                self.rejected_codes.add(code)
            summary.rejected += 1
            return
        self.planned[code] = candidate
        self.folded.setdefault(code.casefold(), code)
        self.record(summary, change)
