"""The SEND Written Statement of Action, as `manage.py seed` loads it into the database."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from priorities.models import Action, Plan

pytestmark = pytest.mark.django_db

WSOA = "send-written-statement-of-action"


@pytest.fixture
def wsoa():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug=WSOA)


def _statuses(plan, day):
    return Counter(
        action.as_at_status for action in Action.objects.filter(area__plan=plan).as_at(day)
    )


def test_the_wsoa_reads_the_councils_totals_at_the_end_of_november_2021(wsoa):
    assert _statuses(wsoa, datetime.date(2021, 11, 30)) == {"completed": 114, "in_progress": 18}
    assert wsoa.areas.count() == 14


def test_before_the_tracker_reported_the_wsoa_actions_are_not_yet_reported(wsoa):
    # The paper gives one date for its statuses: earlier months show none rather than guess.
    assert _statuses(wsoa, datetime.date(2021, 10, 31)) == {None: 132}


def test_seven_areas_have_every_action_completed_and_notes_are_kept(wsoa):
    day = datetime.date(2021, 11, 30)
    done = [
        area.number
        for area in wsoa.areas.all()
        if all(a.as_at_status == "completed" for a in area.actions.as_at(day))
    ]
    assert len(done) == 7
    toolkit = Action.objects.filter(area__plan=wsoa, notes__contains="SEND Toolkit")
    assert toolkit.exists()
    assert all(action.status == "in_progress" for action in toolkit)


def test_month_only_dates_are_month_ends_and_slippage_is_kept(wsoa):
    first = Action.objects.get(area__plan=wsoa, area__number=1, ref="1.5")
    assert first.original_delivery_date == datetime.date(2019, 11, 30)
    assert first.current_delivery_date == datetime.date(2020, 6, 30)
    assert first.owner.role_title == "Karen Connerney"
    assert first.area.responsible_officer.role_title == "Toni Dawodu"
