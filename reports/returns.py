"""Who has reported: each KPI owner's returns for a month, each area's completeness,
and each owner's on-time rate over the twelve months ending then.

A figure is due from its KPI's owner in the KPI's reporting months when it is
owed (``metrics.due``). It arrived on time when it was first received on or
before the end of its deadline day (working day N of the next month, local
time); a figure with no record of when it arrived was loaded from the
council's published papers or saved before returns were tracked, and counts
as on time. Worked out in Python from three queries (KPIs, their areas, and
the actuals in the twelve-month window) whatever the number of KPIs.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from metrics import due, periods
from metrics.models import Actual, Kpi
from priorities import roles
from priorities.models import Officer, Plan, PriorityArea

WINDOW = 12  # months of on-time rate, ending at the month shown


def may_see_returns(user) -> bool:
    """Analysts, administrators and board members: those who chase or oversee the returns."""
    if not user.is_authenticated or not user.is_active:
        return False
    return roles.edits_everything(user) or roles._in_group(user, roles.BOARD_MEMBER)


class Standing(models.TextChoices):
    """Where one KPI's figure for one period stands against its deadline."""

    ON_TIME = "on_time", "Received on time"
    LATE = "late", "Received late"
    MISSING = "missing", "Missing: deadline passed"
    TO_COME = "to_come", "Not in yet: deadline to come"
    NOT_ASKED = "not_asked", "Not asked for"


class Received(NamedTuple):
    first_submitted_at: datetime.datetime | None
    state: str


@dataclass(frozen=True)
class Return:
    """One KPI's figure for one period, as the tracker counts it."""

    kpi: Kpi
    period: datetime.date
    standing: Standing
    state: str | None = None  # the figure's sign-off state, when there is a figure
    loaded: bool = False  # received with no record of when

    @property
    def received(self) -> bool:
        return self.standing in (Standing.ON_TIME, Standing.LATE)

    @property
    def awaiting(self) -> bool:
        """Received but not signed off: awaiting sign-off, or returned to be changed."""
        return self.received and self.state != Actual.State.SIGNED_OFF

    @property
    def judged(self) -> bool:
        """Whether it counts towards the on-time rate: received, or its deadline has passed."""
        return self.standing in (Standing.ON_TIME, Standing.LATE, Standing.MISSING)

    @property
    def deadline(self) -> datetime.date:
        return periods.submission_deadline(self.period, settings.SUBMISSION_DEADLINE_WORKING_DAY)


def figure_return(
    kpi: Kpi, period: datetime.date, got: Received | None, *, today: datetime.date
) -> Return | None:
    """How the KPI's figure for the period stands; None in a month it does not report."""
    if not due.is_reporting_month(kpi, period):
        return None
    deadline = periods.submission_deadline(period, settings.SUBMISSION_DEADLINE_WORKING_DAY)
    if got is None:
        if not due.owes(kpi, period, saved=False):
            return Return(kpi, period, Standing.NOT_ASKED)
        return Return(kpi, period, Standing.MISSING if today > deadline else Standing.TO_COME)
    first = got.first_submitted_at
    on_time = first is None or timezone.localtime(first).date() <= deadline
    standing = Standing.ON_TIME if on_time else Standing.LATE
    return Return(kpi, period, standing, got.state, loaded=first is None)


def percent(part: int, whole: int) -> int | None:
    if not whole:
        return None
    return int((Decimal(part) * 100 / whole).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class OwnerLine:
    """A KPI owner (None: KPIs with no owner): the month's returns and the year's."""

    officer: Officer | None
    month: list[Return] = field(default_factory=list)
    year: list[Return] = field(default_factory=list)

    def _count(self, standing: Standing) -> int:
        return sum(r.standing == standing for r in self.month)

    @property
    def owner_name(self) -> str:
        return self.officer.role_title if self.officer else "No owner"

    @property
    def owner_key(self) -> tuple[bool, str]:
        return (self.officer is None, self.owner_name.casefold())

    @property
    def login(self):
        return self.officer.user if self.officer else None

    @property
    def login_name(self) -> str:
        login = self.login
        return (login.get_full_name() or login.get_username()) if login else ""

    @property
    def email(self) -> str:
        return self.login.email if self.login else ""

    @property
    def unreachable(self) -> str:
        """Why reminders cannot reach this owner, in words; empty when they can."""
        if self.officer is None:
            return "No post owns these KPIs"
        if self.login is None:
            return "No login acts for this post"
        if not self.login.is_active:
            return "The post's login is switched off"
        if not self.login.email:
            return "The post's login has no email address"
        return ""

    @property
    def due(self) -> int:
        return len(self.month)

    @property
    def on_time(self) -> int:
        return self._count(Standing.ON_TIME)

    @property
    def late(self) -> int:
        return self._count(Standing.LATE)

    @property
    def missing(self) -> int:
        return self._count(Standing.MISSING)

    @property
    def to_come(self) -> int:
        return self._count(Standing.TO_COME)

    @property
    def awaiting(self) -> int:
        return sum(r.awaiting for r in self.month)

    @property
    def returned(self) -> int:
        return sum(r.awaiting and r.state == Actual.State.RETURNED for r in self.month)

    @property
    def signed_off(self) -> int:
        return sum(r.received and not r.awaiting for r in self.month)

    @property
    def year_due(self) -> int:
        return sum(r.judged for r in self.year)

    @property
    def year_on_time(self) -> int:
        return sum(r.standing == Standing.ON_TIME for r in self.year)

    @property
    def rate(self) -> int | None:
        """Percentage of the year's due figures received on time; None when none were due."""
        return percent(self.year_on_time, self.year_due)

    @property
    def rate_key(self) -> int:
        return -1 if self.rate is None else self.rate

    @property
    def rate_text(self) -> str:
        if self.rate is None:
            return "No figures due"
        return f"{self.rate}% ({self.year_on_time} of {self.year_due} on time)"


@dataclass(frozen=True)
class AreaLine:
    """A priority area's completeness for the month: figures received of those due."""

    area: PriorityArea
    month: list[Return]

    @property
    def due(self) -> int:
        return len(self.month)

    @property
    def received(self) -> int:
        return sum(r.received for r in self.month)

    @property
    def percent(self) -> int | None:
        return percent(self.received, self.due)

    @property
    def status(self) -> str:
        if not self.due:
            return "Nothing due"
        return "Complete" if self.received == self.due else "Incomplete"

    @property
    def text(self) -> str:
        if not self.due:
            return ""
        figures = "figure" if self.due == 1 else "figures"
        return f"{self.received} of {self.due} {figures} received ({self.percent}%)"


@dataclass(frozen=True)
class Returns:
    month: datetime.date
    owners: list[OwnerLine]
    areas: list[AreaLine]
    outstanding: list[Return]  # the month's due figures not in yet, by KPI code

    @property
    def due(self) -> int:
        return sum(line.due for line in self.owners)

    @property
    def window_start(self) -> datetime.date:
        return periods.add_months(self.month, 1 - WINDOW)

    @property
    def loaded(self) -> int:
        """The month's figures counted on time with no record of when they arrived."""
        return sum(r.loaded for line in self.owners for r in line.month)

    @property
    def deadline(self) -> datetime.date:
        return periods.submission_deadline(self.month, settings.SUBMISSION_DEADLINE_WORKING_DAY)


def received_in(kpis, first: datetime.date, last: datetime.date) -> dict:
    """Every figure for the KPIs from ``first`` to ``last``, by (KPI id, period). One query."""
    rows = Actual.objects.filter(
        kpi__in=kpis.values("pk"), period__range=(first, last)
    ).values_list("kpi_id", "period", "first_submitted_at", "state")
    return {(kpi_id, period): Received(at, state) for kpi_id, period, at, state in rows}


def read_returns(plan: Plan, month: datetime.date, *, today: datetime.date) -> Returns:
    """The plan's returns for the month, and each owner's over the twelve months to it."""
    owned = due.owned_figures(Kpi.objects.for_plan(plan))
    kpis = list(
        owned.select_related("owner__user")
        .prefetch_related(Prefetch("areas", queryset=PriorityArea.objects.select_related("plan")))
        .order_by("code")
    )
    window = periods.month_range(periods.add_months(month, 1 - WINDOW), month)
    got = received_in(owned, window[0], month)
    owners: dict[int | None, OwnerLine] = {}
    this_month: dict[int, Return] = {}
    for kpi in kpis:
        line = owners.setdefault(kpi.owner_id, OwnerLine(kpi.owner))
        for period in window:
            found = figure_return(kpi, period, got.get((kpi.pk, period)), today=today)
            if found is None or found.standing == Standing.NOT_ASKED:
                continue
            line.year.append(found)
            if period == month:
                line.month.append(found)
                this_month[kpi.pk] = found
    by_area: dict[int, list[Return]] = {}
    for found in this_month.values():
        for area in found.kpi.areas.all():
            by_area.setdefault(area.pk, []).append(found)
    areas = [
        AreaLine(area, by_area.get(area.pk, []))
        for area in PriorityArea.objects.filter(plan=plan).select_related("responsible_officer")
    ]
    return Returns(
        month=month,
        owners=sorted(owners.values(), key=lambda line: line.owner_key),
        areas=areas,
        outstanding=[r for r in this_month.values() if not r.received],
    )
