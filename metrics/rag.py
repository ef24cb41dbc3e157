"""RAG status, direction of travel and trajectory: the one definition.

Pure functions over plain values, no database. Pages, charts, exports, the
``status`` command and imports all call these; none re-implements them.
README.md ("How status is worked out") explains the same rules in words.
"""

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from metrics import periods

HIGHER, LOWER, NEUTRAL = "higher", "lower", "neutral"
ABSOLUTE, RELATIVE = "absolute", "relative"

# Where a KPI sets no tolerance: 2 points for a percentage, else 5% of target.
DEFAULT_PERCENT_TOLERANCE = Decimal(2)
DEFAULT_RELATIVE_TOLERANCE = Decimal(5)

# The trajectory looks back over this many reporting periods (months, or
# quarters for a quarterly KPI) and needs at least MIN_POINTS actuals in them.
TRAJECTORY_WINDOW = 6
TRAJECTORY_MIN_POINTS = 3
# With no later target step, the projection looks this many periods ahead.
TRAJECTORY_DEFAULT_HORIZON = 3


class Status(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    MONITOR = "monitor"
    NO_TARGET = "no target"
    NO_DATA = "no data"
    OVERDUE = "overdue"
    # No figure, and none was asked for: no plan it evidences was running.
    NOT_REQUIRED = "not required"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_performance(self) -> bool:
        """Only red, amber and green judge performance; the rest are never coloured so."""
        return self in (Status.GREEN, Status.AMBER, Status.RED)

    @property
    def css_class(self) -> str:
        return f"app-status--{self.value if self.is_performance else 'neutral'}"


_STATUS_LABELS = {
    Status.GREEN: "Green: target met",
    Status.AMBER: "Amber: just short of target",
    Status.RED: "Red: short of target",
    Status.MONITOR: "Monitor: no target band",
    Status.NO_TARGET: "No target set",
    Status.NO_DATA: "No data",
    Status.OVERDUE: "Overdue: figure not submitted",
    Status.NOT_REQUIRED: "Not required: no figure asked for",
}

# Worst first: the order a roll-up takes its status from.
SEVERITY = [Status.RED, Status.AMBER, Status.GREEN]


class Direction(StrEnum):
    IMPROVING = "improving"
    DECLINING = "declining"
    NO_CHANGE = "no change"
    # A neutral KPI has no better direction, so it only moves up or down.
    UP = "up"
    DOWN = "down"

    @property
    def label(self) -> str:
        return {
            Direction.IMPROVING: "Improving",
            Direction.DECLINING: "Declining",
            Direction.NO_CHANGE: "No change",
            Direction.UP: "Up (neither better nor worse)",
            Direction.DOWN: "Down (neither better nor worse)",
        }[self]


class Verdict(StrEnum):
    ON_TRACK = "on track"
    AT_RISK = "at risk"
    OFF_TRACK = "off track"
    NOT_ENOUGH_DATA = "not enough data"
    NO_TARGET = "no target"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class Step:
    """A target step: in force from ``starts`` until the next step."""

    starts: datetime.date
    value: Decimal | None = None
    lower: Decimal | None = None
    upper: Decimal | None = None

    @property
    def is_band(self) -> bool:
        return self.lower is not None and self.upper is not None


# Months between two reporting periods, by frequency; monthly otherwise.
INTERVALS = {"quarterly": 3, "annual": 12}


@dataclass(frozen=True)
class Rule:
    """What status needs to know about a KPI."""

    polarity: str
    unit: str = "percent"
    tolerance: Decimal | None = None
    tolerance_kind: str = ABSOLUTE
    decimal_places: int = 1
    frequency: str = "monthly"

    @property
    def interval(self) -> int:
        """Months between two reporting periods."""
        return INTERVALS.get(self.frequency, 1)


def quantize(value: Decimal, places: int) -> Decimal:
    """Round as the council reports: half away from zero, to the KPI's places."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


# Targets -------------------------------------------------------------------


def target_in_force(steps: Iterable[Step], period: datetime.date) -> Step | None:
    """The latest step at or before the period, or None before the first step."""
    candidates = [step for step in steps if step.starts <= period]
    return max(candidates, key=lambda step: step.starts, default=None)


def next_step(steps: Iterable[Step], period: datetime.date) -> Step | None:
    """The first step after the period, if any."""
    later = [step for step in steps if step.starts > period]
    return min(later, key=lambda step: step.starts, default=None)


# Status --------------------------------------------------------------------


def tolerance_amount(rule: Rule, reference: Decimal) -> Decimal:
    """How far from the target (or band edge) still counts as amber."""
    if rule.tolerance is None:
        if rule.unit == "percent":
            return DEFAULT_PERCENT_TOLERANCE
        return abs(reference) * DEFAULT_RELATIVE_TOLERANCE / 100
    if rule.tolerance_kind == RELATIVE:
        return abs(reference) * rule.tolerance / 100
    return rule.tolerance


def performance_status(value: Decimal, step: Step | None, rule: Rule) -> Status:
    """Green, amber, red or monitor for a value against the target step in force."""
    if step is None:
        return Status.NO_TARGET
    value = quantize(value, rule.decimal_places)
    if rule.polarity == NEUTRAL:
        if not step.is_band:
            return Status.MONITOR
        if step.lower <= value <= step.upper:
            return Status.GREEN
        edge = step.lower if value < step.lower else step.upper
        return Status.AMBER if abs(value - edge) <= tolerance_amount(rule, edge) else Status.RED

    target = step.value
    if target is None:
        # A band on a directional KPI: the edge that matters is the one to beat.
        target = step.lower if rule.polarity == HIGHER else step.upper
    shortfall = target - value if rule.polarity == HIGHER else value - target
    if shortfall <= 0:
        return Status.GREEN
    return Status.AMBER if shortfall <= tolerance_amount(rule, target) else Status.RED


def asked_for(
    period: datetime.date,
    *,
    interval: int = 1,
    reported_until: datetime.date | None,
    plans: Iterable[tuple[datetime.date | None, datetime.date | None]],
) -> bool:
    """Whether a KPI's figure for the period was asked for at all.

    An explicit ``reported_until`` month decides alone: asked for up to and
    including it, never after. Otherwise a figure is asked for while a plan
    the KPI evidences is running: ``plans`` are their (start, end) months,
    either open when empty. A quarter is asked for if the plan ran in any
    of its months. A KPI evidencing no plan and with no end of its own is
    asked for by nobody.
    """
    if reported_until is not None:
        return period <= reported_until
    first = periods.add_months(period, 1 - interval)
    return any(
        (start is None or periods.month_start(start) <= period)
        and (end is None or first <= periods.month_start(end))
        for start, end in plans
    )


def missing_status(
    period: datetime.date,
    *,
    today: datetime.date,
    deadline_working_day: int,
    reporting_from: datetime.date | None,
    asked: bool = True,
) -> Status:
    """No figure for the period: no data, not required, or overdue once past its deadline.

    A period before the KPI was first reported was never due, so it is "no
    data"; after that, a period nobody asked a figure for (``asked_for``) is
    "not required", never overdue.
    """
    if reporting_from is None or period < reporting_from:
        return Status.NO_DATA
    if not asked:
        return Status.NOT_REQUIRED
    if today > periods.submission_deadline(period, deadline_working_day):
        return Status.OVERDUE
    return Status.NO_DATA


# Direction of travel -------------------------------------------------------


def direction(current: Decimal | None, earlier: Decimal | None, rule: Rule) -> Direction | None:
    """Polarity-aware change from an earlier value; None when either is missing."""
    if current is None or earlier is None:
        return None
    current = quantize(current, rule.decimal_places)
    earlier = quantize(earlier, rule.decimal_places)
    if current == earlier:
        return Direction.NO_CHANGE
    if rule.polarity == NEUTRAL:
        return Direction.UP if current > earlier else Direction.DOWN
    rose = current > earlier
    return Direction.IMPROVING if rose == (rule.polarity == HIGHER) else Direction.DECLINING


# Trajectory ----------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    verdict: Verdict
    points: int = 0
    horizon: datetime.date | None = None
    projected: Decimal | None = None
    target: Step | None = None
    slope_per_month: Decimal | None = None


def trajectory(
    actuals: dict[datetime.date, Decimal],
    steps: Sequence[Step],
    period: datetime.date,
    rule: Rule,
) -> Trajectory:
    """Project the recent trend to the next target step and judge it.

    Fits a least-squares line to the actuals in the last TRAJECTORY_WINDOW
    reporting periods up to and including ``period``, projects it to the
    month of the next target step (or TRAJECTORY_DEFAULT_HORIZON periods
    ahead when there is none), and reads the projected value against the
    target in force then with the same rule as status: green is on track,
    amber at risk, red off track. Fewer than TRAJECTORY_MIN_POINTS actuals is
    never enough to say anything.
    """
    earliest = periods.add_months(period, -(TRAJECTORY_WINDOW - 1) * rule.interval)
    window = sorted((p, v) for p, v in actuals.items() if earliest <= p <= period)
    step_ahead = next_step(steps, period)
    horizon = (
        step_ahead.starts
        if step_ahead
        else periods.add_months(period, TRAJECTORY_DEFAULT_HORIZON * rule.interval)
    )
    target = target_in_force(steps, horizon)
    if len(window) < TRAJECTORY_MIN_POINTS:
        return Trajectory(Verdict.NOT_ENOUGH_DATA, len(window), horizon, target=target)

    xs = [Decimal(periods.months_between(period, p)) for p, _ in window]
    ys = [Decimal(v) for _, v in window]
    n = Decimal(len(xs))
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    intercept = mean_y - slope * mean_x
    projected = intercept + slope * periods.months_between(period, horizon)
    if rule.unit == "percent":
        projected = min(max(projected, Decimal(0)), Decimal(100))
    elif projected < 0:
        projected = Decimal(0)

    status = performance_status(projected, target, rule)
    verdict = {
        Status.GREEN: Verdict.ON_TRACK,
        Status.AMBER: Verdict.AT_RISK,
        Status.RED: Verdict.OFF_TRACK,
    }.get(status, Verdict.NO_TARGET)
    return Trajectory(verdict, len(window), horizon, projected, target, slope)


# Roll-up -------------------------------------------------------------------


def _kpis(count: int) -> str:
    return f"{count} KPI{'' if count == 1 else 's'}"


def _actions(count: int) -> str:
    return f"{count} action{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Rollup:
    """An area's or plan's status: worst RAG of its KPIs, with counts beside it."""

    status: Status
    counts: dict[Status, int] = field(default_factory=dict)
    overdue_actions: int = 0

    @property
    def kpi_count(self) -> int:
        return sum(self.counts.values())

    @property
    def headline(self) -> str:
        """The status with its cause in words: "Amber: 13 actions overdue".

        Names what made the status, so amber that comes from late actions
        never reads as a KPI just short of its target.
        """
        counts = self.counts
        if self.status == Status.RED:
            return f"Red: {_kpis(counts[Status.RED])} off target"
        if self.status == Status.AMBER:
            causes = []
            if counts[Status.AMBER]:
                causes.append(f"{_kpis(counts[Status.AMBER])} just short of target")
            if self.overdue_actions:
                causes.append(f"{_actions(self.overdue_actions)} overdue")
            return f"Amber: {' and '.join(causes)}"
        if self.status == Status.GREEN:
            return f"Green: {_kpis(counts[Status.GREEN])} on target"
        if self.status == Status.OVERDUE:
            late = counts[Status.OVERDUE]
            return f"Overdue figures: {_kpis(late)} {'has' if late == 1 else 'have'} no figure"
        if self.status == Status.NOT_REQUIRED:
            return "Not required: no figures asked for"
        if not self.kpi_count:
            return "No data: no KPIs linked"
        if counts[Status.MONITOR] or counts[Status.NO_TARGET]:
            rated = counts[Status.MONITOR] + counts[Status.NO_TARGET]
            return f"Not rated: {_kpis(rated)} with no target to rate against"
        return "No data: no figures yet"


def roll_up(statuses: Iterable[Status], *, overdue_actions: int = 0) -> Rollup:
    """Worst of red, amber and green among the KPIs; an overdue action makes it at least amber.

    KPIs with no data, no target, overdue or unrequired figures, or
    "monitor" only add to the counts: they are never taken as performance.
    With no red, amber or green KPI and no overdue action, the status is
    "overdue" if any KPI's figure is overdue, "not required" if no KPI's
    figure was asked for, and "no data" otherwise.
    """
    counts = Counter(statuses)
    worst = next((status for status in SEVERITY if counts[status]), None)
    if overdue_actions and worst in (None, Status.GREEN):
        worst = Status.AMBER
    if worst is None and counts[Status.OVERDUE]:
        worst = Status.OVERDUE
    if worst is None and counts and set(counts) == {Status.NOT_REQUIRED}:
        worst = Status.NOT_REQUIRED
    return Rollup(
        status=worst or Status.NO_DATA,
        counts={status: counts[status] for status in Status},
        overdue_actions=overdue_actions,
    )
