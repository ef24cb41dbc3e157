import datetime

import pytest
from django.db import IntegrityError, transaction

from priorities.models import Action
from tests.factories import ActionFactory

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
    assert action.slippage_days == 91
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
