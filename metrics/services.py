"""Writes that touch several rows at once. Each runs in one transaction."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from metrics import periods
from metrics.models import Actual, Benchmark, Kpi, PeriodLock, Target
from priorities import roles
from priorities.models import UPGRADE_SOURCE, Action, ActionStatus, Officer, Plan, PriorityArea
from priorities.services import STATE_FIELDS, record_status


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
def load_plan_data(data: dict) -> LoadReport:
    """Load officers, plans, areas, actions and KPIs from a fixture dict."""
    load = _Load(LoadReport())
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
            raise FixtureError(f"{where}: officer {title!r} is not in the officers list.")
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
            key = (ref["plan"], ref["number"])
            if key not in self.areas:
                raise FixtureError(f"{where}: no priority area {ref['number']} in {ref['plan']}.")
            kpi.areas.add(self.areas[key])
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
                | {name: actual.get(name, "") for name in (*Actual.COMMENTARY, "source")},
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


class StaleEdit(Exception):
    """Someone saved this figure after the form was opened."""

    def __init__(self, current: Actual):
        self.current = current
        super().__init__(f"{current} was changed to version {current.version}.")


class PeriodLocked(Exception):
    """The period is locked and this user may not change it."""


def save_actual(
    *,
    kpi: Kpi,
    period: datetime.date,
    user,
    expected_version: int | None,
    reason: str = "",
    **fields,
) -> Actual:
    """Create or change a KPI's figure for a period, refusing a stale or locked edit.

    ``expected_version`` is the version the user saw (None or 0: there was no
    figure yet). The row is locked while it is checked and written, so of
    two people saving the same figure one succeeds and the other gets
    StaleEdit with what is now stored. Raises PeriodLocked when the period is
    locked and ``user`` may not change locked periods, or gives no reason, and
    ValidationError (by field) when the figure breaks a rule of ``Actual.clean``.
    The entry page and the data admin both save through here.
    """
    with transaction.atomic():
        # Read the lock inside the transaction that writes, so a lock made
        # a moment ago is seen.
        if refusal := PeriodLock.refusal(
            period,
            kpi.period_label(period),
            locked_through=PeriodLock.objects.locked_through(),
            may_change=roles.edits_everything(user),
            reason=reason,
        ):
            raise PeriodLocked(refusal)
        actual = Actual.objects.select_for_update().filter(kpi=kpi, period=period).first()
        if actual is None:
            if expected_version:
                raise StaleEdit(Actual(kpi=kpi, period=period, version=0))
            actual = Actual(kpi=kpi, period=period)
        elif actual.version != expected_version:
            raise StaleEdit(actual)
        for name, value in fields.items():
            setattr(actual, name, value)
        actual.full_clean(exclude=["kpi", "period", "version"], validate_unique=False)
        actual.updated_by = user
        actual._change_reason = reason.strip() or None
        try:
            with transaction.atomic():
                actual.save()
        except IntegrityError:
            # Another save created the figure between our read and our insert.
            raise StaleEdit(Actual.objects.get(kpi=kpi, period=period)) from None
    return actual
