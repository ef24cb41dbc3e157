"""One finding as it stood at a month's end: its record, its actions, and what difference they made.

"What difference has it made" sets each linked KPI's figure when the
finding was made beside its latest figure up to the month, with the
direction between them from ``metrics.rag``, and draws the KPI's chart with
the chart function the KPI page uses. Nine queries whatever the count.
"""

import datetime
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q

from metrics import rag
from metrics.models import Actual, DefinitionChange, FindingKpi, Kpi
from metrics.summary import kpi_row
from priorities.models import Finding, FindingAction, FindingState, FindingStatus, in_force
from reports import board, board_actions
from reports.findings import (
    ActionCounts,
    Slippage,
    Tag,
    answering_actions,
    slippage,
    status_tag,
)

# A neutral KPI has no better way, so its move is told as it is.
_DIRECTION_WORDS = {
    rag.Direction.IMPROVING: "Better",
    rag.Direction.DECLINING: "Worse",
    rag.Direction.NO_CHANGE: "No change",
}


@dataclass(frozen=True)
class Difference:
    """A KPI's figure when the finding was made, its latest up to the month, and its chart."""

    panel: board.KpiPanel
    then: Actual | None
    latest: Actual | None

    @property
    def kpi(self) -> Kpi:
        return self.panel.kpi

    @property
    def changed_definition(self) -> DefinitionChange | None:
        """A change of definition between the two figures, which are then not compared."""
        if self.then is None or self.latest is None:
            return None
        changes = list(self.kpi.definition_changes.all())
        return DefinitionChange.between(changes, self.then.period, self.latest.period)

    @property
    def direction(self) -> rag.Direction | None:
        if self.then is None or self.latest is None or self.changed_definition:
            return None
        return rag.direction(self.latest.value, self.then.value, self.kpi.rule)

    @property
    def direction_words(self) -> str:
        if self.then is None or self.latest is None:
            return "Cannot say: " + (
                "no figure from when it was made" if self.then is None else "no figure since"
            )
        if self.then.pk == self.latest.pk:
            return "No later figure yet"
        if self.changed_definition:
            return board.NOT_COMPARABLE
        move = self.direction
        return _DIRECTION_WORDS.get(move, move.label)


def latest_by(kpi: Kpi, day: datetime.date) -> Actual | None:
    """The KPI's latest figure for a period starting on or before ``day``."""
    return max(
        (actual for actual in kpi.recent_actuals if actual.period <= day),
        key=lambda actual: actual.period,
        default=None,
    )


@dataclass(frozen=True)
class ActionRow:
    line: board_actions.ActionLine
    slippage: Slippage


@dataclass(frozen=True)
class FindingReport:
    """Everything a finding's page shows for a month."""

    finding: Finding
    on: datetime.date
    state: FindingState | None
    history: list[FindingStatus]
    actions: list[ActionRow]
    differences: list[Difference]

    @property
    def made(self) -> bool:
        return self.finding.made_on <= self.on

    @property
    def tag(self) -> Tag:
        return status_tag(self.state)

    @property
    def counts(self) -> ActionCounts:
        return ActionCounts.of(row.line for row in self.actions)

    @property
    def slippage(self) -> Slippage:
        return reduce(lambda total, row: total + row.slippage, self.actions, Slippage())

    @property
    def has_charts(self) -> bool:
        return any(item.panel.chart.has_data for item in self.differences)


def _actions(finding: Finding, on: datetime.date) -> list[ActionRow]:
    linked = Q(pk__in=FindingAction.objects.filter(in_force(on), finding=finding).values("action"))
    if finding.area_id:
        linked |= Q(area=finding.area_id)
    lines = sorted(
        answering_actions(on, linked).values(),
        key=lambda line: (line.area.plan_id, line.area.number, line.ref_key),
    )
    return [ActionRow(line, slippage(line)) for line in lines]


def _kpis(finding: Finding, on: datetime.date) -> list[Kpi]:
    """Its KPIs in force on ``on``, and its area's, with their whole history. Six queries."""
    linked = Q(pk__in=FindingKpi.objects.filter(in_force(on), finding=finding).values("kpi"))
    if finding.area_id:
        in_area = Kpi.areas.through.objects.filter(priorityarea=finding.area_id)
        linked |= Q(pk__in=in_area.values("kpi"))
    return list(Kpi.objects.filter(linked).order_by("code").with_history())


def _differences(
    finding: Finding, kpis: list[Kpi], rows: list[ActionRow], period: datetime.date, on, today
) -> list[Difference]:
    actions = [row.line.action for row in rows]
    marks = board_actions.completed_marks(actions, on)
    differences = []
    for kpi in kpis:
        row = kpi_row(kpi, period, today=today)
        panel = board.KpiPanel(row, board.chart_for(kpi, row, until=period, actions=marks))
        differences.append(
            Difference(panel, latest_by(kpi, finding.made_on), latest_by(kpi, period))
        )
    return differences


def finding_report(
    finding: Finding, period: datetime.date, on: datetime.date, *, today: datetime.date
) -> FindingReport:
    """``finding`` fetched ``as_at(on)`` with its source, as it stood on ``on``.

    Before the finding was made there is nothing to show but the finding itself.
    """
    if finding.made_on > on:
        return FindingReport(finding, on, None, [], [], [])
    history = list(finding.statuses.filter(effective__lte=on).order_by("effective", "pk"))
    rows = _actions(finding, on)
    differences = _differences(finding, _kpis(finding, on), rows, period, on, today)
    return FindingReport(finding, on, finding.state_on(on), history, rows, differences)
