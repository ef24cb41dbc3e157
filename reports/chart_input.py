"""What a KPI's chart is drawn from: its series, target steps, marks and gaps, as plain values.

``reports.charts`` draws it; ``reports.chart_table`` says it in words.
"""

import datetime
import html
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from metrics import display, periods, rag
from metrics.models import DefinitionChange


def text(words: str) -> str:
    """Words as plotly.js shows them, never as markup.

    plotly.js draws a few HTML tags (links among them) found in titles,
    names and hover labels, and fills in %{...} templates; escaped, a KPI's
    code or an action's description reads exactly as typed.
    """
    return html.escape(str(words), quote=False).replace("%{", "&#37;{")


def _later(day: datetime.date, months: int) -> datetime.date:
    """``months`` periods on, or the day itself at the end of the calendar."""
    try:
        return periods.add_months(day, months)
    except ValueError:
        return day


def _shift(day: datetime.date, days: int) -> datetime.date:
    try:
        return day + datetime.timedelta(days=days)
    except OverflowError:
        return day


@dataclass(frozen=True)
class Benchmark:
    """One comparator's series: statistical neighbours, the region or England."""

    key: str
    label: str
    points: Sequence[tuple[datetime.date, Decimal]]


@dataclass(frozen=True)
class ActionMark:
    """A completed action, placed on the time axis at its completed date."""

    day: datetime.date
    ref: str
    description: str


@dataclass(frozen=True)
class Gap:
    """Reporting periods with no figure, from ``first`` to ``last``."""

    first: datetime.date
    last: datetime.date


@dataclass(frozen=True)
class ChartInput:
    """Everything a KPI's chart shows; built from a KpiRow and the KPI's history."""

    code: str
    title: str
    unit: str
    decimal_places: int
    frequency: str
    polarity: str
    period: datetime.date  # the period the trajectory was read at
    actuals: Sequence[tuple[datetime.date, Decimal]]
    steps: Sequence[rag.Step]
    trajectory: rag.Trajectory | None = None
    benchmarks: Sequence[Benchmark] = ()
    actions: Sequence[ActionMark] = ()
    viewed: datetime.date | None = None  # the month the page shows; ``period`` if not given
    # Whether a figure was asked for a period (Kpi.asked_for); None: always.
    asked: Callable[[datetime.date], bool] | None = None
    # The KPI's changes of definition (unsaved ones do): the line breaks at each.
    changes: Sequence[DefinitionChange] = ()
    # Footnotes to figures, by period: shown beside the figure, never part of it.
    notes: Mapping[datetime.date, str] = ()
    # Periods whose figure is not yet signed off (``Actual.is_provisional``).
    provisional: frozenset[datetime.date] = frozenset()

    @property
    def caption(self) -> str:
        """The chart's title as plain words (the figure carries it escaped for plotly.js)."""
        return f"{self.code}: {self.subject}, {self.covered}"

    @property
    def has_data(self) -> bool:
        return bool(self.actuals or self.steps or any(b.points for b in self.benchmarks))

    @property
    def interval(self) -> int:
        """Months between two reporting periods."""
        return rag.Rule(polarity=self.polarity, frequency=self.frequency).interval

    @property
    def neutral(self) -> bool:
        return self.polarity == rag.NEUTRAL

    def label(self, period: datetime.date) -> str:
        return periods.period_label(period, self.frequency)

    def span(self, first: datetime.date, last: datetime.date) -> str:
        """From one period to another in words, or the one label when both are the same."""
        if self.label(first) == self.label(last):
            return self.label(first)
        return f"{self.label(first)} to {self.label(last)}"

    def show(self, value: Decimal | None) -> str:
        return display.figure(value, self.decimal_places, self.unit)

    def target_text(self, step: rag.Step | None) -> str:
        return display.step(step, self.decimal_places, self.unit, self.polarity)

    def against(self, step: rag.Step | None) -> str:
        return display.against(step, self.decimal_places, self.unit, self.polarity)

    @cached_property
    def gaps(self) -> tuple[Gap, ...]:
        """Runs of reporting periods between two figures with no figure of their own."""
        found = []
        days = sorted(p for p, _ in self.actuals)
        for before, after in itertools.pairwise(days):
            if periods.months_between(before, after) > self.interval:
                found.append(Gap(_later(before, self.interval), _later(after, -self.interval)))
        return tuple(found)

    @cached_property
    def breaks(self) -> tuple[DefinitionChange, ...]:
        """The changes of definition between two of the chart's figures, in order.

        Figures either side of one are never joined (``DefinitionChange.between``).
        """
        days = sorted(p for p, _ in self.actuals)
        found = {
            change.starts: change
            for before, after in itertools.pairwise(days)
            if (change := DefinitionChange.between(self.changes, before, after))
        }
        return tuple(found[day] for day in sorted(found))

    @property
    def series(self) -> list[tuple[datetime.date, Decimal | None]]:
        """The actuals in order, with a None at the start of each gap, and at each change of
        definition, to break the line there."""
        breaks = [*(gap.first for gap in self.gaps), *(c.starts for c in self.breaks)]
        points = [*sorted(self.actuals), *((day, None) for day in breaks)]
        # A break sorts before a figure for its own month, so the line starts again there.
        return sorted(points, key=lambda point: (point[0], point[1] is not None))

    @property
    def provisional_periods(self) -> list[datetime.date]:
        """The periods drawn whose figure is provisional, in order."""
        return sorted(p for p, _ in self.actuals if p in self.provisional)

    def point_label(self, period: datetime.date) -> str:
        """A figure's period as its hover text names it: "Aug 2021 (provisional)"."""
        return display.marked(self.label(period), period in self.provisional)

    @property
    def noted(self) -> list[tuple[datetime.date, Decimal, str]]:
        """The figures that carry a footnote, with it, in order."""
        notes = dict(self.notes)
        return [(p, v, notes[p]) for p, v in sorted(self.actuals) if notes.get(p)]

    @cached_property
    def projection(self) -> tuple[tuple[datetime.date, Decimal], ...]:
        """Two points: the last actual at or before the period read, and the projection.

        Empty when the trajectory projected nothing (too few figures).
        """
        t = self.trajectory
        if t is None or t.projected is None or t.horizon is None:
            return ()
        earlier = [(p, v) for p, v in self.actuals if p <= self.period]
        if not earlier:
            return ()
        return (max(earlier), (t.horizon, t.projected))

    @property
    def data_periods(self) -> list[datetime.date]:
        return [p for p, _ in self.actuals] + [p for b in self.benchmarks for p, _ in b.points]

    @cached_property
    def reach(self) -> datetime.date:
        """The latest month the chart shows: the month viewed, a later figure, the projection."""
        reach = [self.viewed or self.period, self.period, *self.data_periods]
        if self.projection:
            reach.append(self.projection[1][0])
        return max(reach)

    @cached_property
    def drawn_steps(self) -> tuple[rag.Step, ...]:
        """The target steps in force up to ``reach``, and the next one after the month viewed.

        That next step shows where the figures are heading; later ones are
        only listed under the chart.
        """
        ahead = rag.next_step(self.steps, self.viewed or self.period)
        return tuple(s for s in self.ordered_steps if s.starts <= self.reach or s == ahead)

    @property
    def end(self) -> datetime.date:
        """Where the time axis ends: ``reach``, or a period past the last step drawn, so it
        shows as a level rather than a point.
        """
        if not self.drawn_steps:
            return self.reach
        return max(self.reach, _later(self.drawn_steps[-1].starts, self.interval))

    @property
    def start(self) -> datetime.date:
        starts = [*self.data_periods, *(s.starts for s in self.drawn_steps)]
        return min(starts, default=self.end)

    @cached_property
    def ordered_steps(self) -> tuple[rag.Step, ...]:
        return tuple(sorted(self.steps, key=lambda s: s.starts))

    @property
    def missing_since(self) -> Gap | None:
        """The periods after the last figure up to the period read, if there are any."""
        last = max((p for p, _ in self.actuals), default=None)
        if last is None or periods.months_between(last, self.period) < self.interval:
            return None
        return Gap(_later(last, self.interval), self.period)

    @property
    def covered(self) -> str:
        """The periods the chart covers, from its first figure to the period read."""
        data = self.data_periods
        return self.span(min(data, default=self.period), max([self.period, *data]))

    @property
    def subject(self) -> str:
        """What the chart sets the figures against, in words that never claim a missing target."""
        steps = self.drawn_steps
        if any(s.is_band for s in steps):
            return "actual against target band" if self.neutral else "actual against target"
        if self.neutral:
            return "actual (monitored: no target band)"
        return "actual against target" if steps else "actual (no target set)"


# The figure ----------------------------------------------------------------
