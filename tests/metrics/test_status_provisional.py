"""``manage.py status`` says, per KPI, whether the period's figure is provisional."""

import datetime
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from metrics.models import Actual
from tests.factories import ActualFactory, KpiFactory, PlanFactory, PriorityAreaFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def status(*args) -> list[str]:
    out = StringIO()
    call_command("status", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def plan():
    plan = PlanFactory(start=D(2021, 1, 1))
    area = PriorityAreaFactory(plan=plan)
    for code, state in (
        ("SUB.01", Actual.State.SUBMITTED),
        ("RET.01", Actual.State.RETURNED),
        ("OFF.01", Actual.State.SIGNED_OFF),
    ):
        kpi = KpiFactory(code=code)
        kpi.areas.add(area)
        ActualFactory(kpi=kpi, period=D(2021, 11, 1), value=Decimal("50"), state=state)
    KpiFactory(code="NONE.01").areas.add(area)
    return plan


def _by_code(lines: list[str]) -> dict[str, str]:
    return {line.split(",")[0]: line.rsplit(",", 1)[1] for line in lines[1:]}


def test_csv_adds_a_provisional_column_at_the_end(plan):
    lines = status("--period", "2021-11", "--plan", str(plan.pk), "--format", "csv")
    assert lines[0].endswith(",trajectory,provisional")
    assert _by_code(lines) == {"SUB.01": "yes", "RET.01": "yes", "OFF.01": "no", "NONE.01": "no"}


def test_text_shows_the_provisional_column(plan):
    lines = status("--period", "2021-11", "--plan", str(plan.pk))
    assert lines[0].split()[-1] == "provisional"
    assert lines[[line.split()[0] for line in lines].index("SUB.01")].split()[-1] == "yes"
    assert lines[[line.split()[0] for line in lines].index("OFF.01")].split()[-1] == "no"


@override_settings(SIGN_OFF_REQUIRED=False)
def test_with_sign_off_switched_off_nothing_is_provisional(plan):
    lines = status("--period", "2021-11", "--plan", str(plan.pk), "--format", "csv")
    assert set(_by_code(lines).values()) == {"no"}


def test_published_pi_426_for_september_2021_is_green_and_signed_off():
    call_command("seed", stdout=StringIO())
    lines = status("--period", "2021-09", "--format", "csv")
    # What .ci/run greps for after a restore.
    (pi426,) = [line for line in lines if re.match(r"^PI.426,.*,green,", line)]
    assert pi426.endswith(",no")
    assert {line.rsplit(",", 1)[1] for line in lines[1:]} == {"no"}
