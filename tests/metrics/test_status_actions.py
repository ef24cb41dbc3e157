"""``manage.py status --actions``: every action as it stood at the end of a month."""

import csv
import datetime
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from priorities.models import Action, Plan
from tests.factories import ActionFactory

pytestmark = pytest.mark.django_db
WSOA = "send-written-statement-of-action"
COLUMNS = [
    "plan",
    "area",
    "ref",
    "description",
    "owner",
    "original_date",
    "current_date",
    "slippage_months",
    "status",
    "overdue",
]


def status(*args) -> str:
    out = StringIO()
    call_command("status", "--actions", *args, stdout=out)
    return out.getvalue()


def rows(*args) -> list[dict]:
    reader = csv.DictReader(StringIO(status(*args, "--format", "csv")))
    assert reader.fieldnames == COLUMNS
    return list(reader)


@pytest.fixture
def wsoa():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug=WSOA)


def test_the_written_statement_at_november_2021_reads_the_councils_totals(wsoa):
    found = rows("--plan", str(wsoa.pk), "--period", "2021-11")
    assert len(found) == 132
    assert {row["plan"] for row in found} == {"SEND Written Statement of Action"}
    assert Counter(row["status"] for row in found) == {"Completed": 114, "In progress": 18}
    assert {row["overdue"] for row in found} <= {"yes", "no"}
    counts = Action.objects.filter(area__plan=wsoa).status_counts(datetime.date(2021, 11, 30))
    assert (counts["completed"], counts["in_progress"], counts["not_started"]) == (114, 18, 0)
    assert sum(row["overdue"] == "yes" for row in found) == counts["overdue"]
    # In the plan's order, area by area; 14.10 slipped from February 2020 to July 2021.
    assert [row["ref"] for row in found[:3]] == ["1.1", "1.2", "1.3"]
    last = found[-1]
    assert (last["area"], last["ref"], last["owner"]) == ("14", "14.10", "Mark Barnett")
    assert (last["original_date"], last["current_date"]) == ("2020-02-29", "2021-07-31")
    assert (last["slippage_months"], last["status"], last["overdue"]) == ("17", "Completed", "no")


def test_text_gives_the_totals_in_words(wsoa):
    out = status("--plan", str(wsoa.pk), "--period", "2021-11")
    assert "114 completed, 18 in progress, 0 not started, 0 not yet reported, of 132" in out
    assert "14.10" in out and "Mark Barnett" in out


def test_before_its_statuses_were_reported_an_action_is_not_yet_reported(wsoa):
    found = rows("--plan", str(wsoa.pk), "--period", "2020-10")
    first = found[0]
    assert (first["ref"], first["status"], first["overdue"]) == ("1.1", "Not yet reported", "no")
    assert {row["status"] for row in found} == {"Not yet reported"}
    out = status("--plan", str(wsoa.pk), "--period", "2020-10")
    assert "0 not started, 132 not yet reported" in out


def test_cells_a_spreadsheet_would_run_are_escaped():
    action = ActionFactory(description='=HYPERLINK("http://x")', ref="1")
    found = rows("--plan", str(action.area.plan.pk), "--period", "2021-05")
    assert found[0]["description"] == '\'=HYPERLINK("http://x")'
    assert (found[0]["status"], found[0]["overdue"]) == ("Not started", "yes")
