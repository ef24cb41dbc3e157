"""The board pack's content for a plan and month: one home for the page and every export.

The pack page (``reports.views.board_pack``), the PDF, Excel and PowerPoint
files (``reports.exports``) and ``manage.py board_pack`` all read ``build``,
so every format shows the same areas, figures, statuses, charts and actions.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings

from metrics import rag
from metrics.models import Kpi
from metrics.summary import KpiRow, actions_judged_on
from priorities.models import Action, Plan, PriorityArea
from priorities.models.plans import summed_action_counts
from reports import board, board_actions


@dataclass(frozen=True)
class Scope:
    title: str
    status_label: str


WHOLE_PLAN = Scope("Board pack", "Plan status")


@dataclass
class Pack:
    plan: Plan
    period: datetime.date
    today: datetime.date
    reports: list[board.AreaReport]
    # True when built for chosen areas (an area's download), not the whole plan.
    areas_only: bool = False

    @property
    def scope(self) -> "Scope":
        """What the file is and whose status it rolls up: the plan's, or one area's."""
        if self.areas_only and len(self.reports) == 1:
            number = self.reports[0].area.number
            return Scope(f"Area {number} of the board pack", f"Area {number} status")
        return Scope("Board pack", "Areas' status") if self.areas_only else WHOLE_PLAN

    @property
    def judged_on(self) -> datetime.date:
        return actions_judged_on(self.period, self.today)

    @property
    def provisional(self) -> list[KpiRow]:
        """Each figure of the month not yet signed off, once, by KPI code."""
        return board.provisional_rows(self.reports)

    @property
    def sign_off_required(self) -> bool:
        return settings.SIGN_OFF_REQUIRED

    @property
    def action_counts(self) -> dict[str, int]:
        """The plan's actions counted as they stood, by the overview's rule."""
        return summed_action_counts(report.area for report in self.reports)

    @property
    def has_charts(self) -> bool:
        return any(report.has_charts for report in self.reports)

    @property
    def rollup(self) -> rag.Rollup:
        """The plan's status for the month, by the overview's rule: every KPI once and every
        overdue action, the worst of red, amber and green."""
        rows = {row.kpi.pk: row for report in self.reports for row in report.rows}
        overdue = sum(report.area.overdue_actions for report in self.reports)
        return rag.roll_up([row.status for row in rows.values()], overdue_actions=overdue)


def area_scope(pk: int) -> str:
    """What keeps an area's KPI panel ids unique in the pack, where a KPI may show twice."""
    return f"area-{pk}-"


def build(
    plan: Plan, period: datetime.date, *, today: datetime.date, areas: list[int] | None = None
) -> Pack:
    """Every priority area of the plan (or those ``areas`` names) as it stood in ``period``.

    A fixed number of queries whatever the number of areas, KPIs and months.
    """
    on = actions_judged_on(period, today)
    chosen = PriorityArea.objects.filter(plan=plan)
    if areas is not None:
        chosen = chosen.filter(pk__in=areas)
    chosen = list(
        chosen.select_related("responsible_officer").with_action_counts(on).order_by("number")
    )
    kpis = Kpi.objects.for_plan(plan) if areas is None else Kpi.objects.filter(areas__in=areas)
    kpis = list(
        kpis.distinct()
        .order_by("code")
        .with_history()
        .prefetch_related(board_actions.linked_actions(on))
    )
    actions: dict[int, list[Action]] = {area.pk: [] for area in chosen}
    for action in (
        Action.objects.filter(area__in=[a.pk for a in chosen]).select_related("owner").as_at(on)
    ):
        actions[action.area_id].append(action)
    reports = []
    for area in chosen:
        area.plan = plan
        mine = [kpi for kpi in kpis if any(a.pk == area.pk for a in kpi.areas.all())]
        reports.append(
            board.area_report(
                area, mine, actions[area.pk], period, today=today, scope=area_scope(area.pk)
            )
        )
    return Pack(plan, period, today, reports, areas_only=areas is not None)
