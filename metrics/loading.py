"""Loading the council's record from the fixtures: plans, actions, KPIs, figures and findings.

Each load runs in the caller's transaction; an existing row is never
overwritten (see ``_get_or_create``).
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models, transaction

from metrics import calculated, periods
from metrics.models import (
    Actual,
    Benchmark,
    DefinitionChange,
    FindingKpi,
    Kpi,
    KpiFormula,
    Scorecard,
    ScorecardRow,
    Target,
)
from priorities.models import (
    UPGRADE_SOURCE,
    Action,
    ActionStatus,
    Finding,
    FindingAction,
    FindingSource,
    FindingStatus,
    Officer,
    Plan,
    PriorityArea,
)
from priorities.services import STATE_FIELDS, record_finding_status, record_status


class FixtureError(ValueError):
    """The fixture file is wrong; the message says where."""


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, model: type[models.Model], created: bool) -> None:
        bucket = self.created if created else self.existing
        name = model._meta.verbose_name_plural
        bucket[name] = bucket.get(name, 0) + 1


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _day(value: str | None) -> datetime.date | None:
    return None if not value else datetime.date.fromisoformat(value)


def _month(value: str | None) -> datetime.date | None:
    return None if not value else periods.parse_month(value)


def _get_or_create(report: LoadReport, where: str, model, lookup: dict, defaults: dict):
    """Create the row if it is missing; never overwrite one that exists.

    Figures that analysts have corrected since the last load are theirs, so a
    second load leaves every existing row exactly as it is.
    """
    instance = model.objects.filter(**lookup).first()
    if instance is not None:
        report.count(model, created=False)
        return instance
    instance = model(**lookup, **defaults)
    try:
        instance.full_clean()
    except ValidationError as error:
        raise FixtureError(f"{where}: {'; '.join(error.messages)}") from error
    if model is Actual:
        instance._change_reason = "Published figure loaded from the fixtures: signed off"
    instance.save()
    report.count(model, created=True)
    return instance


def _dated_only_by_upgrade(action: Action, row: dict) -> bool:
    """Whether the action's one dated status is the upgrade's, with the fixture's state unchanged.

    Then nobody has changed it since it was loaded, and the fixture's dated
    statuses replace the upgrade's guess (the day the row was typed in).
    """
    statuses = list(action.statuses.all()[:2])
    if len(statuses) != 1 or statuses[0].source != UPGRADE_SOURCE:
        return False
    loaded = {}
    for dated in [row, *row.get("later_statuses", [])]:
        loaded |= {name: dated[name] for name in STATE_FIELDS if name in dated}
    loaded["status"] = loaded.get("status") or Action.Status.NOT_STARTED
    for name in ("current_delivery_date", "completed_date"):
        loaded[name] = _day(loaded.get(name))
    if any(getattr(action, name) != loaded[name] for name in STATE_FIELDS):
        return False
    statuses[0].delete()
    action.status_as_at = None
    return True


def _date_statuses(report: LoadReport, action: Action, row: dict, plan_row: dict, where: str):
    """Record an action's status as at the day its source gives, then each later one.

    The row's own status is what the plan recorded (as at the plan's
    ``status_as_at``); ``later_statuses`` are what later papers report, each
    at its own date and quoting its source. An action with no as-at date
    given stays undated.
    """
    as_at = _day(row.get("status_as_at") or plan_row.get("status_as_at"))
    if as_at is None:
        return
    first = {"as_at": as_at.isoformat(), "source": plan_row.get("status_source", "")}
    first |= {name: row.get(name) for name in STATE_FIELDS}
    first["status"] = first["status"] or Action.Status.NOT_STARTED
    for dated in [first, *row.get("later_statuses", [])]:
        for name in STATE_FIELDS:
            if name in dated:
                value = dated[name]
                setattr(action, name, _day(value) if name != "status" else value)
        try:
            action.full_clean(validate_unique=False)
            action._change_reason = f"Status as at {dated['as_at']}"
            record_status(action, as_at=_day(dated["as_at"]), source=dated.get("source", ""))
        except ValidationError as error:
            raise FixtureError(
                f"{where} as at {dated['as_at']}: {'; '.join(error.messages)}"
            ) from error
        action.save()
        report.count(ActionStatus, created=True)


@transaction.atomic
def load_plan_data(data: dict, report: LoadReport | None = None) -> LoadReport:
    """Load officers, plans, areas, actions, KPIs and findings from a fixture dict."""
    load = _Load(report or LoadReport())
    for row in data.get("officers", []):
        load.officers[row["role_title"]] = _get_or_create(
            load.report,
            f"officer {row['role_title']!r}",
            Officer,
            {"role_title": row["role_title"]},
            {"name": row.get("name", "")},
        )
    for plan_row in data.get("plans", []):
        load.plan(plan_row)
    for kpi_row in data.get("kpis", []):
        load.kpi(kpi_row)
    for kpi_row in data.get("kpis", []):
        # Once every KPI is there: a calculation may name a KPI listed after it.
        load.calculation(kpi_row)
    for scorecard_row in data.get("scorecards", []):
        load.scorecard(scorecard_row)
    for source_row in data.get("sources", []):
        load.source(source_row)
    for finding_row in data.get("findings", []):
        load.finding(finding_row)
    for link in data.get("action_kpis", []):
        action = load.find_action(link, f"action_kpis {link}")
        for code in link["kpis"]:
            load.find_kpi(code, f"action {link['ref']}").actions.add(action)
    # Once every figure is in: each calculated KPI's figures, from its inputs'.
    calculated.recalculate(kpi_ids=KpiFormula.objects.values_list("kpi_id", flat=True))
    return load.report


@dataclass
class _Load:
    """One fixture load: what it has counted, and the officers and areas rows refer to."""

    report: LoadReport
    officers: dict[str, Officer] = field(default_factory=dict)
    areas: dict[tuple[str, int], PriorityArea] = field(default_factory=dict)

    def officer(self, title: str | None, where: str) -> Officer | None:
        if not title:
            return None
        if title not in self.officers:
            # A post loaded from another fixture file.
            officer = Officer.objects.filter(role_title=title).first()
            if officer is None:
                raise FixtureError(f"{where}: officer {title!r} is not in the officers list.")
            self.officers[title] = officer
        return self.officers[title]

    def plan(self, row: dict) -> None:
        plan = _get_or_create(
            self.report,
            f"plan {row['slug']}",
            Plan,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "description": row.get("description", ""),
                "start": _month(row.get("start")),
                "end": _month(row.get("end")),
                "source": row.get("source", ""),
            },
        )
        for area_row in row.get("areas", []):
            where = f"plan {plan.slug} area {area_row['number']}"
            area = _get_or_create(
                self.report,
                where,
                PriorityArea,
                {"plan": plan, "number": area_row["number"]},
                {
                    "title": area_row["title"],
                    "what_needs_to_improve": area_row.get("what_needs_to_improve", ""),
                    "responsible_officer": self.officer(area_row.get("responsible_officer"), where),
                },
            )
            self.areas[(plan.slug, area.number)] = area
            for action_row in area_row.get("actions", []):
                self.action(area, action_row, row, f"{where} action {action_row['ref']}")

    def action(self, area: PriorityArea, row: dict, plan_row: dict, where: str) -> None:
        action = _get_or_create(
            self.report,
            where,
            Action,
            {"area": area, "ref": row["ref"]},
            {
                "theme": row.get("theme") or "",
                "description": row["description"],
                "owner": self.officer(row.get("owner"), where),
                "original_delivery_date": _day(row.get("original_delivery_date")),
                "current_delivery_date": _day(row.get("current_delivery_date")),
                "expected_outputs": row.get("expected_outputs", ""),
                "status": row.get("status") or Action.Status.NOT_STARTED,
                "evidence_of_impact": row.get("evidence_of_impact", ""),
                "notes": row.get("notes", ""),
                "completed_date": _day(row.get("completed_date")),
            },
        )
        if action.status_as_at is None or _dated_only_by_upgrade(action, row):
            _date_statuses(self.report, action, row, plan_row, where)

    def kpi(self, row: dict) -> None:
        where = f"KPI {row['code']}"
        kpi = _get_or_create(
            self.report,
            where,
            Kpi,
            {"code": row["code"]},
            {
                "title": row["title"],
                "definition": row.get("definition", ""),
                "unit": row["unit"],
                "polarity": row["polarity"],
                "tolerance": _decimal(row.get("tolerance")),
                "tolerance_kind": row.get("tolerance_kind") or Kpi.ToleranceKind.ABSOLUTE,
                "decimal_places": row.get("decimal_places", 1),
                "frequency": row.get("frequency") or Kpi.Frequency.MONTHLY,
                "year_ends": row.get("year_ends") or 3,
                "owner": self.officer(row.get("owner"), where),
                "numerator_label": row.get("numerator_label", ""),
                "denominator_label": row.get("denominator_label", ""),
                "reporting_from": min(
                    (_month(actual["period"]) for actual in row.get("actuals", [])), default=None
                ),
                "reported_until": _month(row.get("reported_until")),
            },
        )
        for ref in row.get("areas", []):
            # The area may come from an earlier fixture file.
            kpi.areas.add(self.find_area(ref, where))
        self.figures(kpi, row, where)

    def figures(self, kpi: Kpi, row: dict, where: str) -> None:
        for target in row.get("targets", []):
            _get_or_create(
                self.report,
                f"{where} target from {target['from']}",
                Target,
                {"kpi": kpi, "starts": _month(target["from"])},
                {name: _decimal(target.get(name)) for name in ("value", "lower", "upper")}
                | {"source": target.get("source", "")},
            )
        for actual in row.get("actuals", []):
            _get_or_create(
                self.report,
                f"{where} actual for {actual['period']}",
                Actual,
                {"kpi": kpi, "period": _month(actual["period"])},
                {name: _decimal(actual.get(name)) for name in ("value", "numerator", "denominator")}
                | {name: actual.get(name, "") for name in (*Actual.COMMENTARY, "source", "note")}
                # The council's published figures are signed off by loading them.
                | {"state": Actual.State.SIGNED_OFF},
            )
        for benchmark in row.get("benchmarks", []):
            _get_or_create(
                self.report,
                f"{where} {benchmark['comparator']} benchmark for {benchmark['period']}",
                Benchmark,
                {
                    "kpi": kpi,
                    "comparator": benchmark["comparator"],
                    "period": _month(benchmark["period"]),
                },
                {"value": _decimal(benchmark["value"]), "source": benchmark.get("source", "")},
            )

    def find_area(self, ref: dict, where: str) -> PriorityArea:
        key = (ref["plan"], ref.get("number", ref.get("area")))
        if key not in self.areas:
            area = PriorityArea.objects.filter(plan__slug=key[0], number=key[1]).first()
            if area is None:
                raise FixtureError(f"{where}: no priority area {key[1]} in {key[0]}.")
            self.areas[key] = area
        return self.areas[key]

    def find_action(self, ref: dict, where: str) -> Action:
        area = self.find_area(ref, where)
        action = Action.objects.filter(area=area, ref=ref["ref"]).first()
        if action is None:
            raise FixtureError(f"{where}: no action {ref['ref']} in area {area.number}.")
        return action

    def find_kpi(self, code: str, where: str) -> Kpi:
        kpi = Kpi.objects.filter(code=code).first()
        if kpi is None:
            raise FixtureError(f"{where}: no KPI {code}.")
        return kpi

    def source(self, row: dict) -> None:
        _get_or_create(
            self.report,
            f"finding source {row['slug']}",
            FindingSource,
            {"slug": row["slug"]},
            {name: row.get(name, "") for name in ("body", "kind", "title", "document")}
            | {"date": _day(row["date"]), "published": _day(row.get("published"))},
        )

    def finding(self, row: dict) -> None:
        where = f"finding {row['source']} {row['ref']}"
        source = FindingSource.objects.filter(slug=row["source"]).first()
        if source is None:
            raise FixtureError(f"{where}: no finding source {row['source']!r}.")
        text_fields = ("kind", "grade", "title", "text", "required_outcomes", "cited")
        finding = _get_or_create(
            self.report,
            where,
            Finding,
            {"source": source, "ref": row["ref"]},
            {name: row.get(name) or "" for name in text_fields}
            | {
                "area": self.find_area(row["area"], where) if row.get("area") else None,
                "responsible_officer": self.officer(row.get("responsible_officer"), where),
            },
        )
        if finding.status_as_at is None:
            self.finding_statuses(finding, row, where)
        for link in row.get("actions", []):
            action = self.find_action(link, where)
            lookup = {"finding": finding, "action": action, "since": _day(link["since"])}
            _get_or_create(self.report, f"{where} action {link['ref']}", FindingAction, lookup, {})
        for link in row.get("kpis", []):
            kpi = self.find_kpi(link["code"], where)
            lookup = {"finding": finding, "kpi": kpi, "since": _day(link["since"])}
            _get_or_create(self.report, f"{where} KPI {link['code']}", FindingKpi, lookup, {})

    def finding_statuses(self, finding: Finding, row: dict, where: str) -> None:
        for dated in row.get("statuses", []):
            try:
                record_finding_status(
                    finding,
                    status=dated["status"],
                    evidence=dated.get("evidence", ""),
                    as_at=_day(dated["as_at"]),
                    source=dated.get("source", ""),
                )
            except ValidationError as error:
                raise FixtureError(
                    f"{where} as at {dated['as_at']}: {'; '.join(error.messages)}"
                ) from error
            finding._change_reason = f"Status as at {dated['as_at']}"
            finding.save()
            self.report.count(FindingStatus, created=True)

    def calculation(self, row: dict) -> None:
        where = f"KPI {row['code']}"
        kpi = self.find_kpi(row["code"], where)
        if formula := row.get("formula"):
            if row.get("actuals"):
                raise FixtureError(
                    f"{where} is calculated: its figures are worked out from "
                    f"{formula['first']} and {formula['second']}, never listed: remove its actuals."
                )
            _get_or_create(
                self.report,
                f"{where} calculation",
                KpiFormula,
                {"kpi": kpi},
                {
                    "kind": formula["kind"],
                    "first": self.find_kpi(formula["first"], where),
                    "second": self.find_kpi(formula["second"], where),
                },
            )
        for change in row.get("definition_changes", []):
            _get_or_create(
                self.report,
                f"{where} definition change from {change['from']}",
                DefinitionChange,
                {"kpi": kpi, "starts": _month(change["from"])},
                {
                    "old_definition": change["old"],
                    "new_definition": change["new"],
                    "source": change.get("source", ""),
                },
            )

    def scorecard(self, row: dict) -> None:
        where = f"scorecard {row['slug']}"
        scorecard = _get_or_create(
            self.report,
            where,
            Scorecard,
            {"slug": row["slug"]},
            {name: row.get(name, "") for name in ("title", "description", "source")}
            | {
                "columns": row.get("columns") or Scorecard.Columns.MONTHLY,
                "periods": row.get("periods") or 6,
                "as_at": _month(row.get("as_at")),
            },
        )
        for position, line in enumerate(row.get("rows", []), start=1):
            _get_or_create(
                self.report,
                f"{where} row {line['kpi']}",
                ScorecardRow,
                {"scorecard": scorecard, "kpi": self.find_kpi(line["kpi"], where)},
                {"group": line.get("group", ""), "position": position},
            )
