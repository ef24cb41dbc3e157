import datetime

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from priorities.models import Action, ActionStatus, PriorityArea
from tests.factories import ActionFactory, PriorityAreaFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def test_original_delivery_date_is_never_overwritten():
    action = ActionFactory(original_delivery_date=D(2021, 3, 31))
    action = Action.objects.get(pk=action.pk)
    action.original_delivery_date = D(2021, 6, 30)
    with pytest.raises(ValueError, match="never changed"):
        action.save()
    assert Action.objects.get(pk=action.pk).original_delivery_date == D(2021, 3, 31)


def test_moving_the_current_date_keeps_the_original_and_shows_slippage():
    action = Action.objects.get(pk=ActionFactory(original_delivery_date=D(2021, 3, 31)).pk)
    action.current_delivery_date = D(2021, 6, 30)
    action.save()
    action.refresh_from_db()
    assert action.original_delivery_date == D(2021, 3, 31)
    assert action.slippage_months() == 3
    assert action.history.count() == 2


def test_an_action_past_its_date_and_not_completed_is_overdue():
    action = ActionFactory(original_delivery_date=D(2021, 3, 31))
    assert action.is_overdue(D(2021, 4, 1))
    assert not action.is_overdue(D(2021, 3, 31))
    action.status = Action.Status.COMPLETED
    assert not action.is_overdue(D(2021, 4, 1))


def test_only_a_completed_action_has_a_completed_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionFactory(status=Action.Status.IN_PROGRESS, completed_date=D(2021, 3, 1))
    assert ActionFactory(status=Action.Status.COMPLETED, completed_date=D(2021, 3, 1)).pk


# One overdue rule: the SQL the board counts with and Action.is_overdue agree.

# A narrow window, so that dates often fall on the same day as each other.
_days = st.dates(min_value=D(2021, 3, 28), max_value=D(2021, 4, 3))


@st.composite
def _actions(draw):
    status = draw(st.sampled_from(Action.Status.values))
    completed = draw(st.none() | _days) if status == Action.Status.COMPLETED else None
    return {
        "status": status,
        "original_delivery_date": draw(st.none() | _days),
        "current_delivery_date": draw(st.none() | _days),
        "completed_date": completed,
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_actions(), min_size=1, max_size=8), on=_days)
def test_the_board_count_of_overdue_actions_agrees_with_each_action(rows, on):
    area = PriorityAreaFactory()
    # Written without save() so that any combination the database can hold is tried.
    Action.objects.bulk_create(
        Action(area=area, ref=str(n), description="Generated", **row) for n, row in enumerate(rows)
    )
    counted = PriorityArea.objects.filter(pk=area.pk).with_overdue_actions(on).get().overdue_actions
    assert counted == sum(action.is_overdue(on) for action in area.actions.all())


def test_every_copy_of_an_area_a_joined_read_repeats_gets_its_counts():
    area = PriorityAreaFactory()
    ActionFactory(
        area=area, status=Action.Status.IN_PROGRESS, status_as_at=datetime.date(2021, 1, 4)
    )
    ActionFactory(area=area)
    read = PriorityArea.objects.filter(actions__isnull=False).with_action_counts(
        datetime.date(2021, 6, 30)
    )
    assert [(a.pk, a.action_counts["total"], a.overdue_actions) for a in read] == [
        (area.pk, 2, 2),  # both past their date of 31 March and not completed
        (area.pk, 2, 2),
    ]


# The same rule for every month as it stood: dated statuses, read as at a day.


@st.composite
def _dated_actions(draw):
    row = draw(_actions())
    dated = draw(st.lists(st.tuples(_days, _actions()), max_size=3))
    # Any combination the database can hold: the row's as-at day need not match its statuses.
    return {**row, "status_as_at": draw(st.none() | _days)}, dated


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(_dated_actions(), min_size=1, max_size=6), on=_days)
def test_the_board_count_agrees_with_each_action_as_it_stood(rows, on):
    area = PriorityAreaFactory()
    made = Action.objects.bulk_create(
        Action(area=area, ref=str(n), description="Generated", **row)
        for n, (row, _) in enumerate(rows)
    )
    ActionStatus.objects.bulk_create(
        ActionStatus(
            action=action,
            effective=day,
            **{k: v for k, v in state.items() if k != "original_delivery_date"},
        )
        for action, (_, dated) in zip(made, rows, strict=True)
        for day, state in dated
    )
    counted = PriorityArea.objects.filter(pk=area.pk).with_overdue_actions(on).get().overdue_actions
    plain = area.actions.all()
    annotated = area.actions.as_at(on)
    prefetched = area.actions.prefetch_related("statuses")
    for actions in (plain, annotated, prefetched):
        assert counted == sum(action.is_overdue(on) for action in actions)
