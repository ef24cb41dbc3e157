"""The findings register as it stood at a month's end: what each source found, what answers it.

Everything here reads a day, ``on`` (``actions_judged_on`` for the month
chosen), and shows only what was in force then: a finding's status at the
end of that day, the links to actions and KPIs that had begun and not yet
ended, each action's status and dates as they stood. A finding whose source
is dated after the day was not yet made, so it is not read at all.

A finding built on a plan area takes the area's actions and KPIs as well as
its own links. Each read is a fixed number of queries whatever the count.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db.models import Count, Q

from metrics import periods
from metrics.models import FindingKpi, Kpi
from priorities.models import (
    Action,
    Finding,
    FindingAction,
    FindingSource,
    FindingState,
    Officer,
    Plan,
    in_force,
)
from reports import board, board_actions

# A finding's status is not a RAG rating, so its tag never borrows red, amber
# or green from the board: the words say the status, the colour only groups.
_TAG_CLASSES = {
    Finding.Status.OPEN: "govuk-tag--grey",
    Finding.Status.IN_PROGRESS: "govuk-tag--blue",
    Finding.Status.DONE: "govuk-tag--turquoise",
    Finding.Status.CLOSED: "govuk-tag--purple",
}


@dataclass(frozen=True)
class Tag:
    """What templates/reports/includes/status.html draws: words, and a class beside them."""

    label: str
    css_class: str


def status_tag(state: FindingState | None) -> Tag:
    if state is None:
        return Tag("No status recorded yet", "govuk-tag--grey")
    return Tag(state.status_label, _TAG_CLASSES.get(state.status, "govuk-tag--grey"))


def grade_words(finding: Finding) -> str:
    """A judgement with its grade in words; other findings by their kind."""
    if finding.kind == Finding.Kind.JUDGEMENT and finding.grade:
        return f"Judgement: {finding.get_grade_display()}"
    return finding.get_kind_display()


# Actions as they stood -----------------------------------------------------------


@dataclass(frozen=True)
class ActionCounts:
    """How many actions stood at each status on a day, and how many were overdue then.

    ``not_reported`` counts actions with no status recorded by that day.
    """

    completed: int = 0
    in_progress: int = 0
    not_started: int = 0
    not_reported: int = 0
    overdue: int = 0

    @classmethod
    def of(cls, lines: Iterable[board_actions.ActionLine]) -> "ActionCounts":
        tally = {"completed": 0, "in_progress": 0, "not_started": 0, "not_reported": 0}
        overdue = 0
        for line in lines:
            tally[line.state.status if line.state else "not_reported"] += 1
            overdue += line.overdue
        return cls(**tally, overdue=overdue)

    @property
    def total(self) -> int:
        return self.completed + self.in_progress + self.not_started + self.not_reported

    @property
    def words(self) -> str:
        if not self.total:
            return "No actions"
        text = (
            f"{self.completed} completed, {self.in_progress} in progress, "
            f"{self.not_started} not started"
        )
        if self.not_reported:
            text += f", {self.not_reported} not yet reported"
        return f"{text}; {self.overdue} overdue"


def action_line(action: Action, on: datetime.date) -> board_actions.ActionLine:
    """An action fetched ``as_at(on)`` as it stood on ``on``: no query."""
    state = action.state_on(on)
    return board_actions.ActionLine(action, action.area, action.overdue_in(state, on), state)


def _action_order(line: board_actions.ActionLine) -> tuple:
    area = line.area
    return (area.plan.start or datetime.date.min, area.plan_id, area.number, line.ref_key)


def answering_actions(on: datetime.date, linked: Q) -> dict[int, board_actions.ActionLine]:
    """Actions matching ``linked`` as they stood on ``on``, by id. One query."""
    actions = Action.objects.filter(linked).select_related("owner", "area__plan").as_at(on)
    return {action.pk: action_line(action, on) for action in actions}


# Slippage --------------------------------------------------------------------------


@dataclass(frozen=True)
class Slippage:
    """How far delivery dates moved, in whole months (``Action.slippage_months``)."""

    months: int = 0

    def __add__(self, other: "Slippage") -> "Slippage":
        return Slippage(self.months + other.months)

    @property
    def words(self) -> str:
        if self.months == 0:
            return "None"
        count = abs(self.months)
        when = "later" if self.months > 0 else "earlier"
        return f"{count} month{'' if count == 1 else 's'} {when}"


def slippage(line: board_actions.ActionLine) -> Slippage:
    """Slippage as the action stood on the line's day: the same rule as the board's."""
    return Slippage(line.action.slippage_months(line.state))


# The register ----------------------------------------------------------------------


@dataclass(frozen=True)
class FindingLine:
    """A finding as it stood on a day, with the actions and KPIs answering it then."""

    finding: Finding
    state: FindingState | None
    actions: list[board_actions.ActionLine]
    kpis: list[Kpi]

    @property
    def tag(self) -> Tag:
        return status_tag(self.state)

    @property
    def status(self) -> str:
        return self.state.status if self.state else ""

    @property
    def kind_words(self) -> str:
        return grade_words(self.finding)

    @property
    def officer(self) -> Officer | None:
        return self.finding.officer

    @property
    def officer_id(self) -> int | None:
        return self.officer.pk if self.officer else None

    @cached_property
    def counts(self) -> ActionCounts:
        return ActionCounts.of(self.actions)

    @property
    def has_overdue(self) -> bool:
        return self.counts.overdue > 0


def _findings(on: datetime.date) -> list[Finding]:
    return list(
        Finding.objects.made_by(on)
        .as_at(on)
        .select_related("source", "responsible_officer", "area__plan", "area__responsible_officer")
        .order_by("source__date", "source__title", "source_id", "ref")
    )


def _links(findings: list[Finding], on: datetime.date) -> tuple[dict, dict]:
    """Each finding's actions and KPIs on ``on``, by finding id: four queries."""
    ids = [f.pk for f in findings]
    area_ids = {f.area_id for f in findings if f.area_id}
    action_links = list(
        FindingAction.objects.filter(in_force(on), finding__in=ids).values_list(
            "finding_id", "action_id"
        )
    )
    lines = answering_actions(on, Q(pk__in=[a for _, a in action_links]) | Q(area__in=area_ids))
    by_area: dict[int, list[int]] = {}
    for pk, line in lines.items():
        by_area.setdefault(line.action.area_id, []).append(pk)
    kpi_links = FindingKpi.objects.filter(in_force(on), finding__in=ids).select_related("kpi")
    area_kpis = Kpi.areas.through.objects.filter(priorityarea__in=area_ids).select_related("kpi")
    kpis_by_area: dict[int, list[Kpi]] = {}
    for link in area_kpis:
        kpis_by_area.setdefault(link.priorityarea_id, []).append(link.kpi)
    actions = {f.pk: set(by_area.get(f.area_id, [])) for f in findings}
    for finding_id, action_id in action_links:
        actions[finding_id].add(action_id)
    kpis = {f.pk: {k.pk: k for k in kpis_by_area.get(f.area_id, [])} for f in findings}
    for link in kpi_links:
        kpis[link.finding_id][link.kpi_id] = link.kpi
    return (
        {pk: sorted((lines[a] for a in ids_), key=_action_order) for pk, ids_ in actions.items()},
        {pk: sorted(found.values(), key=lambda k: k.code) for pk, found in kpis.items()},
    )


def finding_lines(on: datetime.date) -> list[FindingLine]:
    """Every finding made by ``on``, as it stood then, in source order. Five queries."""
    findings = _findings(on)
    actions, kpis = _links(findings, on)
    return [FindingLine(f, f.state_on(on), actions[f.pk], kpis[f.pk]) for f in findings]


@dataclass(frozen=True)
class SourceGroup:
    """A source's findings as they stood on a day; ``shown`` are those the filters keep."""

    source: FindingSource
    lines: list[FindingLine]
    shown: list[FindingLine]

    @property
    def status_counts(self) -> list[tuple[str, int]]:
        """How many of its findings stood at each status, in words."""
        tally = {status: 0 for status in Finding.Status}
        for line in self.lines:
            if line.state is not None:
                tally[Finding.Status(line.state.status)] += 1
        return [(status.label, count) for status, count in tally.items()]

    @cached_property
    def action_counts(self) -> ActionCounts:
        """Every action answering any of its findings, each counted once."""
        unique = {line.action.pk: line for item in self.lines for line in item.actions}
        return ActionCounts.of(unique.values())

    @property
    def dom_id(self) -> str:
        return f"source-{self.source.pk}"


def group_by_source(lines: list[FindingLine], shown: list[FindingLine]) -> list[SourceGroup]:
    """Sources in date order, each with its findings; a source with none shown is left out."""
    kept = {id(line) for line in shown}
    groups: dict[int, SourceGroup] = {}
    for line in lines:
        source = line.finding.source
        group = groups.setdefault(source.pk, SourceGroup(source, [], []))
        group.lines.append(line)
        if id(line) in kept:
            group.shown.append(line)
    return [group for group in groups.values() if group.shown]


# The month ---------------------------------------------------------------------


def board_months() -> list[datetime.date]:
    """The months with figures for the plan the board shows by default. Two queries."""
    plans = list(Plan.objects.annotate(kpi_count=Count("areas__kpis", distinct=True)))
    return board.months_with_data(board.choose_plan(None, plans)) if plans else []


def month_links(
    first: datetime.date | None, period: datetime.date, with_data: list[datetime.date]
) -> list[tuple[int, list[board.MonthLink]]]:
    """The month selector: from the earliest finding's month to the latest the board shows."""
    last = max([period, *with_data[-1:]])
    start = periods.month_start(min(first, last)) if first else last
    return board.months_by_year(periods.month_range(start, last), with_data)
