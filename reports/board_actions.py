"""Actions on the board pages: each as it stood on a day, their counts, and chart markers.

The rules (status as it stood, overdue, slippage, what is counted) live on
``priorities.models.Action``; this module presents them.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q

from metrics.models import Kpi
from priorities.models import Action, ActionState, PriorityArea
from reports import chart_input


def action_ref(action: Action, area: PriorityArea | None = None) -> str:
    """The plan's reference for an action, with its area's number: "2.14".

    A plan whose references already carry the area's number (the SEND
    Written Statement of Action's "11.9") keeps them as they are.
    """
    area = area or action.area
    prefix = f"{area.number}."
    return action.ref if action.ref.startswith(prefix) else f"{prefix}{action.ref}"


def ref_key(action: Action) -> tuple:
    return action.ref_key


def completed_marks(
    actions: list[Action], on: datetime.date, area: PriorityArea | None = None
) -> list[chart_input.ActionMark]:
    """Actions completed by a day as they stood then, as chart markers.

    An action with no completed date has none.
    """
    marks = []
    for action in actions:
        state = action.state_on(on)
        done = state.completed_date if state else None
        if done and done <= on:
            marks.append(chart_input.ActionMark(done, action_ref(action, area), action.description))
    return marks


def linked_actions(on: datetime.date) -> Prefetch:
    """For a KPI queryset: the actions meant to move each KPI, as they stood on ``on``,
    in ``linked_actions``. One query."""
    return Prefetch(
        "actions",
        queryset=Action.objects.as_at(on).select_related("area"),
        to_attr="linked_actions",
    )


def kpi_marks(
    kpi: Kpi, area_actions: list[Action], on: datetime.date, area: PriorityArea | None = None
) -> list[chart_input.ActionMark]:
    """The actions a KPI's chart marks: those linked to it, else (none linked) its area's.

    ``kpi`` comes with ``linked_actions`` (prefetched with ``linked_actions(on)``).
    """
    linked = kpi.linked_actions
    if linked:
        return completed_marks(linked, on)
    return completed_marks(area_actions, on, area)


def kpi_page_marks(
    kpi: Kpi, areas: list[PriorityArea], on: datetime.date
) -> list[chart_input.ActionMark]:
    """``kpi_marks`` for a KPI's own page, where its fallback is every area it evidences.

    One query: the actions linked to the KPI or in its areas, as they stood on ``on``.
    """
    links = Action.kpis.through.objects.filter(kpi=kpi, action=OuterRef("pk"))
    actions = list(
        Action.objects.as_at(on)
        .annotate(linked=Exists(links))
        .filter(Q(linked=True) | Q(area__in=[area.pk for area in areas]))
        .select_related("area")
    )
    linked = [action for action in actions if action.linked]
    return completed_marks(linked or actions, on)


_ACTION_STATUS_ORDER = [
    Action.Status.NOT_STARTED,
    Action.Status.IN_PROGRESS,
    Action.Status.COMPLETED,
]


@dataclass(frozen=True)
class ActionLine:
    """An action in an area's table as it stood on a day, judged overdue then.

    ``state`` is None where no status had been recorded by that day.
    """

    action: Action
    area: PriorityArea
    overdue: bool
    state: ActionState | None = None

    @property
    def ref(self) -> str:
        return action_ref(self.action, self.area)

    @property
    def ref_key(self) -> tuple:
        return ref_key(self.action)

    @property
    def owner_name(self) -> str:
        return self.action.owner.role_title if self.action.owner else "~"

    @property
    def original_key(self) -> datetime.date:
        return self.action.original_delivery_date or datetime.date.max

    @property
    def current_delivery_date(self) -> datetime.date | None:
        return self.state.current_delivery_date if self.state else None

    @property
    def current_key(self) -> datetime.date:
        return self.current_delivery_date or self.action.original_delivery_date or datetime.date.max

    @property
    def slippage(self) -> int:
        """Months slipped as the action stood then (``Action.slippage_months``)."""
        return self.action.slippage_months(self.state)

    @property
    def status_key(self) -> tuple[int, int]:
        # Overdue first, then by progress; not yet reported before not started.
        if self.state is None:
            return (1, -1)
        return (0 if self.overdue else 1, _ACTION_STATUS_ORDER.index(self.state.status))

    @property
    def status_text(self) -> str:
        """The status then in words: "Completed 3 Mar 2021", or "Not yet reported"."""
        if self.state is None:
            return "Not yet reported"
        done = self.state.completed_date
        label = self.state.status_label
        return f"{label} {done:%-d %b %Y}" if done else label

    @property
    def reported(self) -> str:
        """When the status shown was last reported, if it is dated."""
        since = self.state.since if self.state else None
        return f"Status last reported {since:%-d %b %Y}" if since else ""


def action_lines(area: PriorityArea, actions: list[Action], on: datetime.date) -> list[ActionLine]:
    """Each action as it stood on ``on`` (actions fetched ``as_at(on)`` need no query)."""
    lines = []
    for action in actions:
        state = action.state_on(on)
        lines.append(ActionLine(action, area, action.overdue_in(state, on), state))
    return lines
