"""The SEND Written Statement of Action fixture says what the January 2022 tracker says.

These read the JSON only: the counts a committee member would check against
the paper, and the dates and names the loader needs.
"""

import calendar
import datetime
import json
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from metrics import periods
from priorities.models import ActionStatus, Plan, PriorityArea

FIXTURE = json.loads((Path(settings.BASE_DIR) / "fixtures" / "send_wsoa.json").read_text())
PLAN = FIXTURE["plans"][0]
AREAS = PLAN["areas"]
ACTIONS = [action for area in AREAS for action in area["actions"]]
AS_AT = datetime.date.fromisoformat(PLAN["status_as_at"])
DATES = ("original_delivery_date", "current_delivery_date", "completed_date")


def day(value: str | None) -> datetime.date | None:
    return None if value is None else datetime.date.fromisoformat(value)


def test_the_tracker_has_fourteen_areas_and_132_actions():
    assert FIXTURE["plans"] == [PLAN]
    assert PLAN["slug"] == "send-written-statement-of-action"
    assert [area["number"] for area in AREAS] == list(range(1, 15))
    assert len(ACTIONS) == 132
    for area in AREAS:
        refs = [action["ref"] for action in area["actions"]]
        assert refs == [f"{area['number']}.{n}" for n in range(1, len(refs) + 1)]
        assert area["title"] and area["what_needs_to_improve"].startswith("Required outcomes:")


def test_statuses_are_the_papers_totals_as_at_11_november_2021():
    assert PLAN["status_as_at"] == "2021-11-11"
    assert Counter(action["status"] for action in ACTIONS) == {
        "completed": 114,
        "in_progress": 18,
    }


def test_seven_of_the_fourteen_areas_have_every_action_completed():
    done = [
        area["number"]
        for area in AREAS
        if all(action["status"] == "completed" for action in area["actions"])
    ]
    assert done == [4, 5, 7, 8, 10, 13, 14]


def test_each_status_follows_the_stated_rule():
    for action in ACTIONS:
        noted = action["notes"] and not action["notes"].startswith("Delivered")
        expected = "in_progress" if noted else "completed"
        assert action["status"] == expected, action["ref"]


def test_every_date_parses_and_plan_months_parse():
    assert periods.parse_month(PLAN["start"]) <= periods.parse_month(PLAN["end"])
    assert (PLAN["start"], PLAN["end"]) == ("2019-06", "2022-06")
    for action in ACTIONS:
        for name in DATES:
            value = day(action[name])
            assert value is None or periods.year_problem(value) is None, action["ref"]
        original = day(action["original_delivery_date"])
        assert original.day == calendar.monthrange(original.year, original.month)[1]
        assert PLAN["start"] <= action["original_delivery_date"][:7] <= PLAN["end"]


def test_a_current_date_is_given_only_where_it_moved():
    moved = [a for a in ACTIONS if a["current_delivery_date"] is not None]
    assert moved
    assert all(a["current_delivery_date"] != a["original_delivery_date"] for a in moved)


def test_completed_actions_are_dated_by_their_due_month_but_not_after_the_as_at_day():
    for action in ACTIONS:
        completed = day(action["completed_date"])
        if action["status"] != "completed":
            assert completed is None, action["ref"]
            continue
        due = day(action["current_delivery_date"] or action["original_delivery_date"])
        assert completed == min(due, AS_AT), action["ref"]


def test_every_person_named_is_an_officer_once_as_printed():
    titles = [officer["role_title"] for officer in FIXTURE["officers"]]
    assert len(titles) == len(set(titles))
    assert all(officer["name"] == "" for officer in FIXTURE["officers"])
    named = {area["responsible_officer"] for area in AREAS}
    named |= {action["owner"] for action in ACTIONS}
    assert named <= set(titles)
    assert {"Sue Powell", "Susan Powell", "Toni Dawodu"} <= set(titles)


def test_the_trackers_notes_are_kept():
    assert all("notes" in action for action in ACTIONS)
    notes = {action["ref"]: action["notes"] for action in ACTIONS if action["notes"]}
    assert len(notes) == 20
    assert notes["1.6"].startswith("Paul Lynch is developing a corporate WDP")
    assert notes["12.7"].startswith("CYP with EHCPs known to the YO system.")
    text = json.dumps(AREAS)
    assert "<p>" not in text and "<b>" not in text and "&amp;" not in text and "**" not in text


@pytest.mark.parametrize(
    ("text", "model", "field"),
    [
        (PLAN["title"], Plan, "title"),
        (PLAN["source"], Plan, "source"),
        (PLAN["status_source"], ActionStatus, "source"),
        *((area["title"], PriorityArea, "title") for area in AREAS),
    ],
)
def test_text_fits_where_the_loader_puts_it(text, model, field):
    assert len(text) <= model._meta.get_field(field).max_length
