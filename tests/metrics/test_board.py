"""The board read: every KPI's row for a period, from the shipped data and at scale."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from metrics.models import Actual, Kpi, Target
from metrics.periods import add_months
from metrics.rag import Direction, Status, Verdict
from metrics.summary import for_board, summarise_plan
from priorities.models import Action, Plan
from tests.factories import ActionFactory, KpiFactory, PlanFactory, PriorityAreaFactory

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 11, 22)


@pytest.fixture
def dudley():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug="improvement-plan-2021")


def row_for(code, period):
    rows = for_board(Kpi.objects.filter(code=code), period, today=TODAY)
    return rows[0]


def by_title(fragment):
    return Kpi.objects.get(title__contains=fragment).code


# The council's own conclusions, reproduced from the shipped data ----------


def test_mash_contacts_in_november_2020_were_red(dudley):
    row = row_for(by_title("MASH"), D(2020, 11, 1))
    assert (row.value, row.target.value, row.status) == (Decimal(69), Decimal(95), Status.RED)


def test_pi426_q2_2021_22_is_green(dudley):
    row = row_for("PI.426", D(2021, 9, 1))
    assert row.period_label == "Q2 2021/22"
    assert row.status == Status.GREEN
    assert row.direction == Direction.IMPROVING  # from 77.55 in Q1


def test_pi426_read_in_a_later_month_shows_the_latest_quarter(dudley):
    row = row_for("PI.426", D(2021, 11, 1))
    assert row.period == D(2021, 9, 1)
    assert row.value == Decimal("90.3")


def test_pi432_q2_is_not_green_because_lower_is_better(dudley):
    row = row_for("PI.432", D(2021, 9, 1))
    assert row.value == Decimal("86.6") and row.target.value == 85
    assert row.status == Status.AMBER  # 1.6 above a target of 85: within 5%


def test_pi433_is_neutral_and_only_monitored(dudley):
    for month in (D(2021, 7, 1), D(2021, 8, 1), D(2021, 9, 1), D(2021, 11, 1)):
        row = row_for("PI.433", month)
        assert row.status == Status.MONITOR, month
    assert row_for("PI.433", D(2021, 8, 1)).direction == Direction.UP


def test_average_caseload_in_december_2020_was_red(dudley):
    row = row_for(by_title("caseload"), D(2020, 12, 1))
    assert (row.value, row.status) == (Decimal("24.1"), Status.RED)


def test_children_on_plans_for_nine_months_fell_in_september(dudley):
    # 75 in August, 58 in September: lower is better.
    assert row_for(by_title("9 months"), D(2021, 9, 1)).direction == Direction.IMPROVING


def test_turnover_trajectory_uses_the_monthly_series(dudley):
    row = row_for(by_title("turnover"), D(2022, 9, 1))
    assert row.trajectory.points == 6
    assert row.trajectory.verdict == Verdict.OFF_TRACK  # about 20% against 12%


def test_a_month_before_a_kpi_was_reported_is_no_data_not_overdue(dudley):
    assert row_for("PI.426", D(2020, 11, 1)).status == Status.NO_DATA


def test_a_missing_month_after_reporting_began_is_overdue(dudley):
    # The MASH measure was reported for November 2020; December's figure is missing.
    assert row_for(by_title("MASH"), D(2020, 12, 1)).status == Status.OVERDUE


# Roll-up for areas and the plan -----------------------------------------


def test_mash_area_is_red_for_november_2020(dudley):
    summary = summarise_plan(dudley, D(2020, 11, 1), today=TODAY)
    mash = next(a for a in summary.areas if any("MASH" in r.kpi.title for r in a.rows))
    assert mash.rollup.status == Status.RED
    assert summary.rollup.status == Status.RED
    assert summary.rollup.counts[Status.RED] == 1


def test_overdue_actions_count_as_at_the_end_of_the_period_viewed():
    area = PriorityAreaFactory()
    kpi = KpiFactory()
    kpi.areas.add(area)
    Target.objects.create(kpi=kpi, starts=D(2021, 1, 1), value=90)
    Actual.objects.create(kpi=kpi, period=D(2021, 1, 1), value=95)
    Actual.objects.create(kpi=kpi, period=D(2021, 4, 1), value=95)
    ActionFactory(area=area, original_delivery_date=D(2021, 2, 28))
    ActionFactory(
        area=area,
        original_delivery_date=D(2021, 1, 31),
        status=Action.Status.COMPLETED,
        completed_date=D(2021, 3, 15),
    )
    january = summarise_plan(area.plan, D(2021, 1, 1), today=TODAY).areas[0].rollup
    assert (january.status, january.overdue_actions) == (Status.GREEN, 0)
    february = summarise_plan(area.plan, D(2021, 2, 1), today=TODAY).areas[0].rollup
    assert february.overdue_actions == 1  # completed late, in March
    april = summarise_plan(area.plan, D(2021, 4, 1), today=TODAY).areas[0].rollup
    assert (april.status, april.overdue_actions) == (Status.AMBER, 1)


# Query budget -----------------------------------------------------------


def _build(kpis: int, months: int = 36) -> Plan:
    plan = PlanFactory()
    areas = [PriorityAreaFactory(plan=plan, number=n) for n in range(1, 10)]
    made = Kpi.objects.bulk_create(
        Kpi(code=f"Q.{i:04d}", title=f"Measure {i}", polarity="higher") for i in range(kpis)
    )
    Kpi.areas.through.objects.bulk_create(
        Kpi.areas.through(kpi=kpi, priorityarea=areas[i % 9]) for i, kpi in enumerate(made)
    )
    start = D(2019, 1, 1)
    Target.objects.bulk_create(
        Target(kpi=kpi, starts=add_months(start, step * 12), value=80 + step * 5)
        for kpi in made
        for step in range(3)
    )
    Actual.objects.bulk_create(
        Actual(kpi=kpi, period=add_months(start, m), value=Decimal(60 + m))
        for kpi in made
        for m in range(months)
    )
    return plan


@pytest.mark.parametrize("kpis", [10, 200])
def test_board_read_takes_a_fixed_number_of_queries(django_assert_num_queries, kpis):
    plan = _build(kpis)
    # Five: the KPIs, and their targets, figures, areas and definition changes.
    with django_assert_num_queries(5):
        rows = for_board(Kpi.objects.for_plan(plan), D(2021, 12, 1), today=TODAY)
    assert len(rows) == kpis
    assert all(row.status == Status.GREEN for row in rows)  # 95 against 90
    # Seven, read lean: the KPIs, their figures, target steps, areas and
    # definition changes, then the plan's areas and their action counts.
    with django_assert_num_queries(7):
        summary = summarise_plan(plan, D(2021, 12, 1), today=TODAY)
    assert sum(len(area.rows) for area in summary.areas) == kpis


# The status command -----------------------------------------------------


def status(*args):
    out = StringIO()
    call_command("status", *args, stdout=out)
    return out.getvalue()


def test_status_command_prints_csv_with_the_agreed_columns(dudley):
    lines = status("--period", "2020-11", "--format", "csv").splitlines()
    assert lines[0] == "code,title,period,actual,target,status,direction,trajectory,provisional"
    mash = next(line for line in lines if "MASH" in line)
    # A published figure: signed off by loading it.
    assert mash.endswith(",2020-11,69.0,95.0,red,,not enough data,no")
    allowed = {s.value for s in Status}
    statuses = {line.rsplit(",", 4)[1] for line in lines[1:]}
    assert statuses <= allowed


def test_status_command_filters_by_plan_and_prints_text(dudley):
    other = PlanFactory(title="Empty plan")
    assert status("--period", "2021-09", "--plan", str(other.pk)).splitlines() == [
        "code  title  period  actual  target  status  direction  trajectory  provisional"
    ]
    text = status("--period", "2021-09", "--plan", str(dudley.pk))
    assert "PI.426" in text and "90.30" in text and "green" in text


def test_status_command_explains_a_bad_period(dudley):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        status("--period", "Nov 2020")
    with pytest.raises(CommandError, match="there is no plan 999"):
        status("--plan", "999")
