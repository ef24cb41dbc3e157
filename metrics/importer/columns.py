"""Every sheet's columns: what the import reads, and what the template writes.

One ``Column`` per column holds its heading, the other headings accepted,
the note on the Instructions sheet and how the template fills it from a
record, so adding a column is one edit here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

KPIS, TARGETS, ACTUALS, BENCHMARKS, ACTIONS = "KPIs", "Targets", "Actuals", "Benchmarks", "Actions"
SHEETS = [KPIS, TARGETS, ACTUALS, BENCHMARKS, ACTIONS]
INSTRUCTIONS = "Instructions"

MONTH_FORMAT = "mmm yyyy"
DATE_FORMAT = "dd/mm/yyyy"


def fold(text: str) -> str:
    """A heading or name as it is matched: case, spaces, underscores and trailing marks ignored."""
    return " ".join(str(text).replace("_", " ").split()).casefold().strip(" :*?.")


def places_format(places: int) -> str:
    return "0" if places == 0 else "0." + "0" * places


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    width: int = 16
    note: str = ""
    # What the template writes for a record: by default the record's field
    # named by the key. The number format is a text or depends on the record.
    export: Callable | None = None
    number_format: str | Callable | None = None

    def matches(self, heading: str) -> bool:
        return heading == fold(self.header) or heading in self.aliases

    def value_of(self, record) -> object:
        return self.export(record) if self.export else getattr(record, self.key)

    def format_of(self, record) -> str | None:
        number_format = self.number_format
        return number_format(record) if callable(number_format) else number_format


_CODE_ALIASES = ("code", "pi code", "pi", "kpi ref", "kpi reference")


def _code(record) -> str:
    return record.kpi.code


def _kpi_places(record) -> str:
    return places_format(record.kpi.decimal_places)


def _role(officer) -> str | None:
    return officer.role_title if officer else None


def _period(actual):
    kpi = actual.kpi
    return kpi.period_label(actual.period) if kpi.is_quarterly else actual.period


# One row per column: key, heading as exported, other headings accepted,
# required, width in the template, note for the Instructions sheet, then how
# the template fills it.
# fmt: off
COLUMNS: dict[str, tuple[Column, ...]] = {
    KPIS: (
        Column("code", "KPI code", _CODE_ALIASES, True, 12, "Required. For example PI.426."),
        Column("title", "Title", ("kpi title", "kpi", "measure", "indicator", "kpi name"),
               False, 50, "Required for a new KPI."),
        Column("unit", "Unit", (), False, 14,
               "percent, rate_per_10000, count, days, fte or number. New KPIs: percent."),
        Column("polarity", "Polarity", ("direction",), False, 12,
               "higher, lower or neutral (higher or lower is better). Required for a new KPI."),
        Column("frequency", "Frequency", (), False, 12, "monthly or quarterly. New KPIs: monthly."),
        Column("decimal_places", "Decimal places", ("dp", "decimals"), False, 10, "0 to 4."),
        Column("tolerance", "Tolerance", (), False, 10,
               "How far from target is amber. Empty: the documented default."),
        Column("tolerance_kind", "Tolerance kind", (), False, 12, "absolute or relative."),
        Column("owner", "Owner", ("owner role", "responsible officer"), False, 30,
               "An officer's role title (or name), as listed under Officers in the admin.",
               export=lambda kpi: _role(kpi.owner)),
        Column("numerator_label", "Numerator label", (), False, 20),
        Column("denominator_label", "Denominator label", (), False, 20),
        Column("reporting_from", "Reporting from", ("reported from", "first period"), False, 12,
               "First month the KPI is reported for.", number_format=MONTH_FORMAT),
        Column("definition", "Definition", ("description",), False, 50),
    ),
    TARGETS: (
        Column("kpi", "KPI code", _CODE_ALIASES, True, 12, export=_code),
        Column("starts", "In force from", ("from", "starts", "start", "month", "period"), True,
               14, "The month the target applies from, until the next step.",
               number_format=MONTH_FORMAT),
        Column("value", "Target", ("value", "target value"), False, 10,
               number_format=_kpi_places),
        Column("lower", "Band lower", ("lower",), False, 10, "Neutral KPIs: a band instead.",
               number_format=_kpi_places),
        Column("upper", "Band upper", ("upper",), False, 10, number_format=_kpi_places),
        Column("source", "Source", (), False, 40),
    ),
    ACTUALS: (
        Column("kpi", "KPI code", _CODE_ALIASES, True, 12, export=_code),
        Column("period", "Period", ("month", "quarter"), True, 12,
               "A month (Aug 2021, 2021-08, 01/08/2021) or a quarter (Q2 2021/22).",
               export=_period,
               number_format=lambda actual: None if actual.kpi.is_quarterly else MONTH_FORMAT),
        Column("value", "Value", ("actual", "figure", "result"), False, 10,
               "Empty with a numerator and denominator: worked out from them.",
               number_format=_kpi_places),
        Column("numerator", "Numerator", (), False, 11, number_format="0"),
        Column("denominator", "Denominator", (), False, 11, number_format="0"),
        Column("what_data_tells_us", "What is the data telling us", (), False, 40),
        Column("issues_and_risks", "What are the issues and risks", (), False, 40),
        Column("evidence_of_impact", "What evidence shows the actions are working", (), False, 40),
        Column("source", "Source", (), False, 30),
    ),
    BENCHMARKS: (
        Column("kpi", "KPI code", _CODE_ALIASES, True, 12, export=_code),
        Column("comparator", "Comparator", ("comparison", "benchmark"), True, 24,
               "Statistical neighbours, West Midlands region or England.",
               export=lambda benchmark: benchmark.get_comparator_display()),
        Column("period", "Period", ("month", "year"), True, 12, number_format=MONTH_FORMAT),
        Column("value", "Value", ("figure",), True, 10, number_format=_kpi_places),
        Column("source", "Source", (), False, 40),
    ),
    ACTIONS: (
        Column("plan", "Plan", (), True, 24, "The plan's short name (slug) or title.",
               export=lambda action: action.area.plan.slug),
        Column("area", "Area", ("priority area", "area of weakness", "area number"), True, 10,
               "The area's number (or its exact title).",
               export=lambda action: action.area.number),
        Column("ref", "Ref", ("reference", "action ref", "no"), False, 8,
               "The plan's number for the action. Empty: matched on the action text."),
        Column("description", "Action", ("actions", "action description"), True, 60),
        Column("sro", "Senior responsible officer", ("sro",), False, 26,
               "Shown for reference: the SRO is the priority area's responsible officer.",
               export=lambda action: _role(action.area.responsible_officer) or ""),
        Column("owner", "Lead officer", ("lead",), False, 26,
               export=lambda action: _role(action.owner)),
        Column("original_delivery_date", "Original delivery date", ("original date",), False,
               14, "Never changed once set.", number_format=DATE_FORMAT),
        Column("current_delivery_date", "Current delivery date",
               ("current date", "revised delivery date"), False, 14, number_format=DATE_FORMAT),
        Column("expected_outputs", "Outputs",
               ("outputs/products", "outputs / products", "expected outputs", "products"),
               False, 40),
        Column("status", "Status", (), False, 12, "Not started, In progress or Completed.",
               export=lambda action: action.get_status_display()),
        Column("evidence_of_impact", "Evidence of impact", (), False, 40),
    ),
}
# Headings a wide Actuals sheet may carry for people, which the import skips.
WIDE_REFERENCE_HEADINGS = {
    "title", "kpi title", "kpi", "kpi name", "measure", "indicator", "description",
    "definition", "unit", "owner", "polarity", "frequency", "target", "notes", "note",
    "comments", "comment", "rag", "area", "priority area", "source",
}
# fmt: on

# The column that finds the header row: the first of each sheet.
ANCHOR = {KPIS: "code", TARGETS: "kpi", ACTUALS: "kpi", BENCHMARKS: "kpi", ACTIONS: "description"}
STATUS_HEADING = re.compile(r"^status( at .*)?$")


def column(kind: str, key: str) -> Column:
    return next(spec for spec in COLUMNS[kind] if spec.key == key)
