"""Every sheet's columns: what the import reads, and what the template writes.

One ``Column`` per column holds its heading, the other headings accepted,
the note on the Instructions sheet and how the template fills it from a
record, so adding a column is one edit here.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

KPIS, TARGETS, ACTUALS, BENCHMARKS, ACTIONS = "KPIs", "Targets", "Actuals", "Benchmarks", "Actions"
FINDINGS = "Findings"
SHEETS = [KPIS, TARGETS, ACTUALS, BENCHMARKS, ACTIONS, FINDINGS]
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


def action_key(action) -> str:
    """How a Findings row names an action: plan/area number/ref."""
    return f"{action.area.plan.slug}/{action.area.number}/{action.ref}"


def listed(names) -> str | None:
    """Several codes or keys in one cell, sorted; None (an empty cell) for none."""
    return "; ".join(sorted(names)) or None


def _label(field: str):
    return lambda record: getattr(record, f"get_{field}_display")() or None


def _status_source(finding) -> str | None:
    # The template prefetches the latest dated status alone.
    latest = finding.latest_statuses
    return latest[0].source or None if latest else None


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
        Column("frequency", "Frequency", (), False, 12,
               "monthly, quarterly or annual. New KPIs: monthly."),
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
        Column("note", "Note", ("footnote",), False, 30,
               "A footnote to the figure, shown beside it: never part of the number."),
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
        Column("kpis", "KPIs", ("kpi codes", "kpis it moves"), False, 20,
               "The KPIs the action is meant to move, by code, separated by ; or , (none "
               "removes them all).",
               export=lambda action: listed(kpi.code for kpi in action.kpis.all())),
    ),
    FINDINGS: (
        Column("source", "Source", ("source slug",), True, 24,
               "The source's short name (slug), as listed under Finding sources in the admin: "
               "add a new inspection, review or meeting there first.",
               export=lambda finding: finding.source.slug),
        Column("ref", "Ref", ("reference", "finding ref", "no"), True, 8,
               "The finding's own reference within its source."),
        Column("kind", "Kind", ("type",), False, 18,
               "Judgement, Improvement (recommendation / what needs to improve), Weakness (area "
               "of weakness) or Committee action. Required for a new finding.",
               export=_label("kind")),
        Column("grade", "Grade", (), False, 16,
               "Judgements only: Outstanding, Good, Requires improvement or Inadequate.",
               export=_label("grade")),
        Column("title", "Title", ("finding", "subject"), False, 40, "Required for a new finding."),
        Column("text", "Text", ("finding text", "what the source said"), False, 60,
               "What the source said. Empty when the plan area holds it."),
        Column("required_outcomes", "Required outcomes", ("outcomes",), False, 40),
        Column("area", "Plan area", ("area", "priority area"), False, 22,
               "The plan area that is this finding, as plan/area number (for example "
               "improvement-plan-2021/3): its actions and KPIs then answer it.",
               export=lambda finding: finding.area and
               f"{finding.area.plan.slug}/{finding.area.number}"),
        Column("responsible_officer", "Responsible officer", ("owner", "lead officer"), False,
               26, "An officer's role title (or name). Empty: the plan area's officer.",
               export=lambda finding: _role(finding.responsible_officer)),
        Column("cited", "Where in the source", ("cited", "citation", "section"), False, 40,
               "Required for a new finding: the document's section or page."),
        Column("status", "Status", (), False, 14,
               "Open, In progress, Done or Closed (closing needs the evidence).",
               export=_label("status")),
        Column("status_as_at", "Status as at", ("as at",), False, 14,
               "The day a new status took effect. Empty: the day of the import. Never before "
               "the source's date or the status already recorded.", number_format=DATE_FORMAT),
        Column("evidence", "Evidence", (), False, 40, "What shows it is done or closed."),
        Column("status_source", "Status source", ("where the status is known from",), False,
               30, "Where a new status is known from.", export=_status_source),
        Column("actions", "Actions", ("linked actions", "answered by"), False, 30,
               "The actions that answer it, as plan/area number/ref (for example "
               "send-written-statement-of-action/1/4), separated by ; or , (none ends them all).",
               export=lambda finding: listed(
                   action_key(link.action) for link in finding.open_action_links)),
        Column("kpis", "KPIs", ("kpi codes", "linked kpis"), False, 20,
               "The KPIs that show whether it worked, by code, separated by ; or , (none ends "
               "them all).",
               export=lambda finding: listed(link.kpi.code for link in finding.open_kpi_links)),
        Column("since", "Links from", ("linked from",), False, 14,
               "The day new links take effect and links no longer listed end. Empty: the day "
               "of the import.", export=lambda finding: None, number_format=DATE_FORMAT),
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
ANCHOR = {
    KPIS: "code", TARGETS: "kpi", ACTUALS: "kpi", BENCHMARKS: "kpi", ACTIONS: "description",
    FINDINGS: "source",
}  # fmt: skip
STATUS_HEADING = re.compile(r"^status( at .*)?$")


def column(kind: str, key: str) -> Column:
    return next(spec for spec in COLUMNS[kind] if spec.key == key)
