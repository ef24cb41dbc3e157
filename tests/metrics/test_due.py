"""Figures are due only while they are asked for, and roll-ups say why.

A KPI's figure is asked for while a plan it evidences is running, or up to
the KPI's own "reported until" month; a missing figure after that is "not
required", never "overdue". Months before the KPI was first reported stay
"no data".
"""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from metrics import rag
from metrics.models import Actual, Kpi
from metrics.rag import Status
from metrics.summary import for_board, summarise_plan
from priorities.models import Plan
from tests.factories import KpiFactory, PlanFactory, PriorityAreaFactory

D = datetime.date
TODAY = D(2026, 11, 22)
PLAN_2021 = (D(2020, 10, 1), D(2021, 11, 1))
FIRST_FIGURE = D(2020, 11, 1)


def missing(period, *, plans=(PLAN_2021,), reported_until=None, first=FIRST_FIGURE):
    return rag.missing_status(
        period,
        today=TODAY,
        deadline_working_day=10,
        reporting_from=first,
        asked=rag.asked_for(period, reported_until=reported_until, plans=plans),
    )


# The rule, on plain values ------------------------------------------------------


def test_a_missing_figure_while_the_plan_runs_is_overdue_and_after_it_ends_not_required():
    assert missing(D(2021, 11, 1)) == Status.OVERDUE
    assert missing(D(2021, 12, 1)) == Status.NOT_REQUIRED
    assert missing(D(2026, 10, 1)) == Status.NOT_REQUIRED


def test_months_before_the_kpi_was_first_reported_stay_no_data():
    assert missing(D(2020, 10, 1)) == Status.NO_DATA
    assert missing(D(2019, 1, 1), plans=()) == Status.NO_DATA


def test_reported_until_ends_what_is_asked_for_even_while_a_plan_runs():
    open_plan = (D(2020, 1, 1), None)
    assert missing(D(2021, 1, 1), plans=[open_plan], reported_until=D(2021, 1, 1)) == (
        Status.OVERDUE
    )
    assert missing(D(2021, 2, 1), plans=[open_plan], reported_until=D(2021, 1, 1)) == (
        Status.NOT_REQUIRED
    )


def test_a_kpi_evidencing_no_plan_and_without_an_end_of_its_own_is_never_overdue():
    assert missing(D(2021, 6, 1), plans=()) == Status.NOT_REQUIRED


def test_an_open_ended_plan_asks_for_every_month_from_its_start():
    assert rag.asked_for(D(2030, 1, 1), reported_until=None, plans=[(D(2021, 11, 1), None)])
    assert not rag.asked_for(D(2021, 10, 1), reported_until=None, plans=[(D(2021, 11, 1), None)])


def test_a_quarter_is_asked_for_if_the_plan_ran_in_any_of_its_months():
    # The 2021 plan ended in November 2021: Q3 2021/22 (stored on December) was partly in it.
    assert rag.asked_for(D(2021, 12, 1), interval=3, reported_until=None, plans=[PLAN_2021])
    assert not rag.asked_for(D(2022, 3, 1), interval=3, reported_until=None, plans=[PLAN_2021])


def test_not_required_is_written_in_words_and_never_coloured_as_performance():
    assert Status.NOT_REQUIRED.label == "Not required: no figure asked for"
    assert Status.NOT_REQUIRED.css_class == "app-status--neutral"


# Roll-ups that say why -------------------------------------------------------------


def test_amber_from_overdue_actions_says_so_and_claims_no_kpi():
    rollup = rag.roll_up([Status.NOT_REQUIRED], overdue_actions=13)
    assert rollup.headline == "Amber: 13 actions overdue"


def test_amber_names_every_cause():
    rollup = rag.roll_up([Status.AMBER, Status.GREEN], overdue_actions=1)
    assert rollup.headline == "Amber: 1 KPI just short of target and 1 action overdue"


def test_red_names_the_kpis_off_target():
    rollup = rag.roll_up([Status.RED] + [Status.OVERDUE] * 9)
    assert rollup.headline == "Red: 1 KPI off target"
    assert rollup.counts[Status.OVERDUE] == 9


def test_an_area_whose_kpis_are_all_overdue_is_never_no_data():
    rollup = rag.roll_up([Status.OVERDUE] * 4)
    assert rollup.status == Status.OVERDUE
    assert rollup.headline == "Overdue figures: 4 KPIs have no figure"
    assert rag.roll_up([Status.OVERDUE, Status.NO_DATA]).headline == (
        "Overdue figures: 1 KPI has no figure"
    )


def test_an_area_with_no_figure_asked_for_says_not_required():
    rollup = rag.roll_up([Status.NOT_REQUIRED] * 3)
    assert rollup.status == Status.NOT_REQUIRED
    assert rollup.headline == "Not required: no figures asked for"
    assert rag.roll_up([]).headline == "No data: no KPIs linked"
    assert rag.roll_up([Status.NO_DATA]).headline == "No data: no figures yet"
    assert rag.roll_up([Status.MONITOR]).headline == (
        "Not rated: 1 KPI with no target to rate against"
    )


# The model: reported until ----------------------------------------------------------


@pytest.mark.django_db
def test_reported_until_cannot_be_before_the_kpi_is_reported_from():
    kpi = KpiFactory(reporting_from=D(2021, 6, 1), reported_until=D(2021, 3, 1))
    with pytest.raises(ValidationError) as error:
        kpi.full_clean()
    assert "reported_until" in error.value.message_dict


@pytest.mark.django_db
def test_a_kpi_is_due_while_any_plan_it_evidences_runs():
    ended = PriorityAreaFactory(plan=PlanFactory(start=D(2020, 10, 1), end=D(2021, 11, 1)))
    later = PriorityAreaFactory(plan=PlanFactory(start=D(2022, 4, 1), end=None))
    kpi = KpiFactory()
    kpi.areas.add(ended, later)
    Actual.objects.create(kpi=kpi, period=D(2020, 11, 1), value=90)
    statuses = {
        period: for_board(Kpi.objects.filter(pk=kpi.pk), period, today=TODAY)[0].status
        for period in (D(2021, 11, 1), D(2022, 1, 1), D(2022, 4, 1))
    }
    assert statuses == {
        D(2021, 11, 1): Status.OVERDUE,
        D(2022, 1, 1): Status.NOT_REQUIRED,  # between the two plans
        D(2022, 4, 1): Status.OVERDUE,
    }


# The council's data, as a board member reads it ---------------------------------------


@pytest.fixture
def dudley(db):
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug="improvement-plan-2021")


def status_csv(*args) -> list[str]:
    out = StringIO()
    call_command("status", *args, "--format", "csv", stdout=out)
    return out.getvalue().splitlines()


def test_years_after_the_2021_plan_ended_list_no_overdue_kpi(dudley):
    lines = status_csv("--plan", str(dudley.pk), "--period", "2026-10")
    statuses = [line.rsplit(",", 4)[1] for line in lines[1:]]
    assert len(statuses) == Kpi.objects.for_plan(dudley).count()
    assert set(statuses) == {"not required"}


def test_september_2021_has_no_overdue_figure_for_months_the_council_never_reported(dudley):
    september = D(2021, 9, 1)
    summary = summarise_plan(dudley, september, today=TODAY)
    assert summary.rollup.counts[Status.OVERDUE] == 0
    # Every KPI whose series had ended by then and has no one-off figure for the month.
    ended = (
        Kpi.objects.for_plan(dudley)
        .filter(reported_until__lt=september)
        .exclude(actuals__period=september)
    )
    assert summary.rollup.counts[Status.NOT_REQUIRED] == ended.count() >= 9


def test_a_month_inside_a_reported_run_with_no_figure_is_still_overdue(dudley):
    # MASH contacts were reported for November 2020 and January 2021; December is missing.
    mash = Kpi.objects.filter(title__contains="MASH")
    assert for_board(mash, D(2020, 12, 1), today=TODAY)[0].status == Status.OVERDUE


def test_november_2021_area_2_says_its_amber_comes_from_overdue_actions(dudley):
    summary = summarise_plan(dudley, D(2021, 11, 1), today=TODAY)
    mash = next(a for a in summary.areas if a.area.number == 2)
    assert mash.rollup.headline.startswith("Amber: ")
    assert mash.rollup.headline.endswith(" actions overdue")
    assert "short of target" not in mash.rollup.headline
