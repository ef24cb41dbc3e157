"""Who gets what as of a day: every reminder a run of ``send_reminders`` means to send.

Working days are ``metrics.periods.is_working_day`` (Monday to Friday, not a
bank holiday). For a deadline (a figure's, or an action's delivery date):
the advance reminder ``REMINDER_WORKING_DAYS_BEFORE`` working days before it,
one on the day, and overdue on the first working day after it and every five
working days from then. Figures waiting longer than
``SIGN_OFF_REMINDER_WORKING_DAYS`` for sign-off go to their approvers, and a
figure overdue by more than ``ESCALATION_WORKING_DAYS`` to the responsible
officer of each area it evidences, both repeating every five working days.

Each reminder carries the day it is for (``Reminder.day``): a run on a later
day sends one that an earlier run missed or failed to send, never twice.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import Truncator

from metrics import periods
from metrics.due import Task, owed_kpis
from metrics.due import task as kpi_task
from metrics.models import Actual, Kpi
from notices.models import Reminder
from priorities import roles
from priorities.models import Action, PriorityArea

Kind = Reminder.Kind
# Overdue reminders, escalations and sign-off reminders repeat this often.
EVERY = 5


@dataclass(frozen=True)
class Item:
    """One thing a person is reminded of; nothing in it is a figure's value."""

    kind: str
    key: str
    day: datetime.date
    code: str
    title: str
    link: str
    period: str = ""
    deadline: datetime.date | None = None
    note: str = ""

    @property
    def essential(self) -> bool:
        """Only the advance reminder may be switched off (``Preferences.non_essential``)."""
        return self.kind != Kind.BEFORE_DEADLINE

    @property
    def is_action(self) -> bool:
        return self.key.startswith("action:")


Plan = dict  # recipient (a user) -> list[Item]


def link(path: str) -> str:
    return settings.SITE_URL + path


def approvals_link() -> str:
    try:
        return link(reverse("approvals"))
    except NoReverseMatch:  # until the approvals page is mounted
        return link("/approvals/")


def repeating(start: datetime.date, first: int, on: datetime.date) -> datetime.date | None:
    """The latest of ``first``, ``first`` + 5, ... working days after ``start`` up to ``on``."""
    late = periods.working_days_after(start, on)
    if late < first:
        return None
    return periods.add_working_days(start, first + EVERY * ((late - first) // EVERY))


def deadline_reminder(
    deadline: datetime.date, on: datetime.date, *, overdue: bool
) -> tuple[str, datetime.date] | None:
    """Which reminder of a deadline is due by ``on`` (a working day), and the day it is for."""
    # A deadline on a weekend or bank holiday is reminded of on the working day before.
    last_chance = periods.add_working_days(deadline, 0)
    if on <= deadline:
        if on >= last_chance:
            return Kind.DEADLINE_DAY, last_chance
        advance = periods.add_working_days(last_chance, -settings.REMINDER_WORKING_DAYS_BEFORE)
        return (Kind.BEFORE_DEADLINE, advance) if on >= advance else None
    day = repeating(deadline, 1, on) if overdue else None
    return (Kind.OVERDUE, day) if day else None


def figure_item(kind: str, day: datetime.date, kpi: Kpi, period: datetime.date, **extra) -> Item:
    fields = {
        "kind": kind,
        "key": f"actual:{kpi.pk}:{period:%Y-%m}",
        "day": day,
        "code": kpi.code,
        "title": kpi.title,
        "period": kpi.period_label(period),
        "link": link(reverse("kpi-entry", args=[kpi.pk, period])),
    }
    return Item(**(fields | extra))


def returned_item(actual: Actual) -> Item:
    """The email item for a returned figure: the reason, who returned it, the entry page."""
    reviewer = actual.reviewed_by
    who = (reviewer.get_full_name() or reviewer.get_username()) if reviewer else "an approver"
    return Item(
        kind=Kind.RETURNED,
        key=f"actual:{actual.pk}:{actual.version}",
        day=timezone.localdate(actual.reviewed_at),
        code=actual.kpi.code,
        title=actual.kpi.title,
        period=actual.kpi.period_label(actual.period),
        link=link(reverse("kpi-entry", args=[actual.kpi_id, actual.period])),
        note=f"Returned by {who}: {actual.returned_reason}",
    )


def reminders_on(on: datetime.date) -> Plan:
    """Every reminder due by ``on``, by recipient; deadlines are chased on working days only."""
    plan: Plan = defaultdict(list)
    if periods.is_working_day(on):
        _figures(on, plan)
        _actions(on, plan)
        _awaiting_sign_off(on, plan)
    _returned(on, plan)
    return plan


def _active(user) -> bool:
    return user is not None and user.is_active


def _figures(on: datetime.date, plan: Plan) -> None:
    kpis = owed_kpis(Q(owner__user__is_active=True), on).select_related("owner__user")
    for kpi in kpis:
        task = kpi_task(kpi, on)
        if task is None or task.actual is not None:
            continue
        overdue = task.state == "overdue"
        owner = kpi.owner.user
        if when := deadline_reminder(task.deadline, on, overdue=overdue):
            plan[owner].append(figure_item(*when, kpi, task.period, deadline=task.deadline))
        if overdue:
            _escalate(kpi, task, owner, on, plan)


def _escalate(kpi: Kpi, task: Task, owner, on: datetime.date, plan: Plan) -> None:
    day = repeating(task.deadline, settings.ESCALATION_WORKING_DAYS + 1, on)
    if day is None:
        return
    officers = {
        area.responsible_officer.user
        for area in kpi.areas.all()
        if area.responsible_officer and _active(area.responsible_officer.user)
    }
    for user in officers - {owner}:
        plan[user].append(
            figure_item(Kind.ESCALATION, day, kpi, task.period, deadline=task.deadline)
        )


def _actions(on: datetime.date, plan: Plan) -> None:
    # Nothing due further ahead than the advance reminder (and a weekend) is reminded of.
    horizon = periods.add_working_days(on, settings.REMINDER_WORKING_DAYS_BEFORE + 1)
    actions = (
        Action.objects.as_at(on)
        .filter(owner__user__is_active=True, as_at_due__lte=horizon)
        .exclude(as_at_status=Action.Status.COMPLETED)
        # An action of a plan that has ended is not chased.
        .filter(Q(area__plan__end__isnull=True) | Q(area__plan__end__gte=periods.month_start(on)))
        .select_related("owner__user")
        .order_by("area__plan__start", "area__number", "pk")
    )
    for action in actions:
        when = deadline_reminder(action.as_at_due, on, overdue=True)
        if when is None:
            continue
        plan[action.owner.user].append(
            Item(
                kind=when[0],
                key=f"action:{action.pk}",
                day=when[1],
                code=f"Action {action.ref}",
                title=Truncator(action.description).chars(120),
                deadline=action.as_at_due,
                link=link(reverse("action-update", args=[action.pk])),
            )
        )


def _awaiting_sign_off(on: datetime.date, plan: Plan) -> None:
    if not settings.SIGN_OFF_REQUIRED:
        return
    first = settings.SIGN_OFF_REMINDER_WORKING_DAYS + 1
    areas = PriorityArea.objects.select_related("responsible_officer__user")
    actuals = (
        Actual.objects.awaiting_sign_off()
        .filter(submitted_at__isnull=False, submitted_at__date__lt=on)
        .select_related("kpi__owner")
        .prefetch_related(Prefetch("kpi__areas", queryset=areas))
        .order_by("kpi__code", "period")
    )
    analysts = None
    people: dict = {}  # one instance per person, so each one's roles are read once
    for actual in actuals:
        day = repeating(timezone.localdate(actual.submitted_at), first, on)
        if day is None:
            continue
        if analysts is None:
            analysts = list(
                get_user_model().objects.filter(groups__name=roles.ANALYST, is_active=True)
            )
        item = figure_item(
            Kind.AWAITING_SIGN_OFF, day, actual.kpi, actual.period, link=approvals_link()
        )
        for user in approvers(actual, analysts, people):
            plan[user].append(item)


def approvers(actual: Actual, analysts: list, people: dict | None = None) -> list:
    """Who is asked to sign a figure off: its areas' responsible officers, else analysts.

    Only those ``roles.sign_off_problem`` lets sign it off (never its owner or
    whoever saved it).
    """

    def may(users) -> list:
        return [
            user
            for user in users
            if roles.sign_off_problem(user, actual.kpi, actual.updated_by_id) is None
        ]

    people = {} if people is None else people
    officers = {
        people.setdefault(area.responsible_officer.user_id, area.responsible_officer.user)
        for area in actual.kpi.areas.all()
        if area.responsible_officer and _active(area.responsible_officer.user)
    }
    return may(sorted(officers, key=lambda user: user.pk)) or may(analysts)


def _returned(on: datetime.date, plan: Plan) -> None:
    """Returned figures whose email has not gone (it failed, or was never sent)."""
    actuals = list(
        Actual.objects.filter(
            state=Actual.State.RETURNED,
            reviewed_at__date__lte=on,
            kpi__owner__user__is_active=True,
        ).select_related("kpi__owner__user", "reviewed_by")
    )
    items = [(actual.kpi.owner.user, returned_item(actual)) for actual in actuals]
    sent = set(
        Reminder.objects.filter(
            kind=Kind.RETURNED, sent_at__isnull=False, item__in=[item.key for _, item in items]
        ).values_list("recipient_id", "item")
    )
    for user, item in items:
        if (user.pk, item.key) not in sent:
            plan[user].append(item)
