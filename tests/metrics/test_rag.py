import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics import rag
from metrics.periods import add_months
from metrics.rag import Direction, Rule, Status, Step, Verdict

D = datetime.date
START = D(2020, 1, 1)
JANUARY_2021 = D(2021, 1, 1)
HIGHER = Rule(polarity="higher")
LOWER = Rule(polarity="lower")
NEUTRAL = Rule(polarity="neutral")


def step(value, starts=START):
    return Step(starts=starts, value=Decimal(str(value)))


def band(lower, upper, starts=START):
    return Step(starts=starts, lower=Decimal(str(lower)), upper=Decimal(str(upper)))


def status(value, target, rule=HIGHER):
    return rag.performance_status(Decimal(str(value)), target, rule)


# Targets in force --------------------------------------------------------

MASH_PROFILE = [step(95, D(2020, 11, 1)), step(80, D(2021, 2, 1)), step(90, D(2021, 3, 1)),
                step(95, D(2021, 4, 1))]  # fmt: skip


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (D(2020, 10, 1), None),
        (D(2020, 11, 1), 95),
        (D(2021, 1, 1), 95),
        (D(2021, 2, 1), 80),
        (D(2021, 3, 1), 90),
        (D(2021, 4, 1), 95),
        (D(2023, 4, 1), 95),
    ],
)
def test_target_in_force_is_the_latest_step_at_or_before_the_month(month, expected):
    found = rag.target_in_force(MASH_PROFILE, month)
    assert (found.value if found else None) == (None if expected is None else Decimal(expected))


def test_status_changes_across_a_target_step():
    # 77.1% in January 2021 was red against 95%; the same figure is amber
    # against February's 80% step (within 2 points) and green above it.
    jan = rag.target_in_force(MASH_PROFILE, D(2021, 1, 1))
    feb = rag.target_in_force(MASH_PROFILE, D(2021, 2, 1))
    assert status(77.1, jan) == Status.RED
    assert status(78.0, feb) == Status.AMBER
    assert status(80.0, feb) == Status.GREEN


def test_next_step_is_the_first_after_the_month():
    assert rag.next_step(MASH_PROFILE, D(2021, 2, 1)).starts == D(2021, 3, 1)
    assert rag.next_step(MASH_PROFILE, D(2021, 4, 1)) is None


# Higher and lower is better ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (96, Status.GREEN),
        (95, Status.GREEN),  # equal to target
        (94.9, Status.AMBER),
        (93, Status.AMBER),  # exactly on the 2-point tolerance edge
        (92.9, Status.RED),
        (69, Status.RED),
    ],
)
def test_higher_is_better_with_the_default_two_point_tolerance(value, expected):
    assert status(value, step(95)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (17, Status.GREEN),
        (18, Status.GREEN),  # equal to target
        (18.9, Status.AMBER),  # exactly 5% of 18 above it
        (19.0, Status.RED),
        (24.1, Status.RED),
    ],
)
def test_lower_is_better_with_the_default_five_percent_tolerance(value, expected):
    caseload = Rule(polarity="lower", unit="number")
    assert status(value, step(18), caseload) == expected


def test_tolerance_can_be_absolute_or_relative_per_kpi():
    absolute = Rule(polarity="higher", tolerance=Decimal(5), tolerance_kind="absolute")
    relative = Rule(polarity="higher", tolerance=Decimal(10), tolerance_kind="relative")
    assert status(90, step(95), absolute) == Status.AMBER
    assert status(89.9, step(95), absolute) == Status.RED
    assert status(85.5, step(95), relative) == Status.AMBER  # 10% of 95 = 9.5
    assert status(85.4, step(95), relative) == Status.RED
    zero = Rule(polarity="higher", tolerance=Decimal(0))
    assert status(94.9, step(95), zero) == Status.RED


def test_values_are_compared_as_reported_to_the_kpis_decimal_places():
    # 94.96 is reported as 95.0, so it meets a target of 95.
    assert status(94.96, step(95)) == Status.GREEN
    assert status(94.94, step(95)) == Status.AMBER


def test_no_target_in_force_is_never_coloured():
    assert status(69, None) == Status.NO_TARGET
    assert not Status.NO_TARGET.is_performance


# Neutral KPIs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (40, Status.GREEN),
        (35, Status.GREEN),  # on the lower edge
        (45, Status.GREEN),  # on the upper edge
        (33.25, Status.AMBER),  # 5% of 35 below the band
        (33.2, Status.RED),
        (47.25, Status.AMBER),  # 5% of 45 above the band
        (47.3, Status.RED),
    ],
)
def test_neutral_kpi_is_green_inside_its_band_amber_near_it_red_beyond(value, expected):
    rule = Rule(polarity="neutral", unit="rate_per_10000", decimal_places=2)
    assert status(value, band(35, 45), rule) == expected


def test_neutral_kpi_without_a_band_is_only_monitored():
    # PI.433 has a reference figure of 43.7 but no band: never red or green.
    for value in (10, 37.5, 43.7, 90):
        assert status(value, step(43.7), NEUTRAL) == Status.MONITOR


# Missing figures ---------------------------------------------------------


def test_missing_figure_is_no_data_until_the_deadline_then_overdue():
    # November 2020 is due on working day 10 of December: Monday 14 December.
    kwargs = {"deadline_working_day": 10, "reporting_from": D(2020, 1, 1)}
    assert rag.missing_status(D(2020, 11, 1), today=D(2020, 12, 14), **kwargs) == Status.NO_DATA
    assert rag.missing_status(D(2020, 11, 1), today=D(2020, 12, 15), **kwargs) == Status.OVERDUE


def test_a_period_before_the_kpi_was_first_reported_is_never_overdue():
    assert (
        rag.missing_status(
            D(2020, 11, 1), today=D(2026, 1, 1), deadline_working_day=10, reporting_from=None
        )
        == Status.NO_DATA
    )
    assert (
        rag.missing_status(
            D(2020, 11, 1),
            today=D(2026, 1, 1),
            deadline_working_day=10,
            reporting_from=D(2021, 6, 1),
        )
        == Status.NO_DATA
    )


def test_every_status_has_words_as_well_as_a_colour():
    for each in Status:
        assert each.label and each.label[0].isupper()
        assert each.css_class.startswith("app-status--")
    assert {s.value for s in Status} == {
        "green", "amber", "red", "monitor", "no target", "no data", "overdue", "not required",
    }  # fmt: skip


# Direction of travel -----------------------------------------------------


def test_direction_is_polarity_aware():
    up, down = Decimal("90.3"), Decimal("77.55")
    assert rag.direction(up, down, HIGHER) == Direction.IMPROVING
    assert rag.direction(down, up, HIGHER) == Direction.DECLINING
    assert rag.direction(up, down, LOWER) == Direction.DECLINING
    assert rag.direction(down, up, LOWER) == Direction.IMPROVING
    assert rag.direction(up, up, HIGHER) == Direction.NO_CHANGE
    assert rag.direction(up, down, NEUTRAL) == Direction.UP
    assert rag.direction(down, up, NEUTRAL) == Direction.DOWN


def test_no_direction_without_an_earlier_value():
    assert rag.direction(Decimal(1), None, HIGHER) is None
    assert rag.direction(None, Decimal(1), HIGHER) is None


def test_changes_too_small_to_report_are_no_change():
    assert rag.direction(Decimal("90.31"), Decimal("90.29"), HIGHER) == Direction.NO_CHANGE


# Trajectory --------------------------------------------------------------


def monthly(*values, end=JANUARY_2021):
    count = len(values)
    return {
        add_months(end, i - count + 1): Decimal(str(v))
        for i, v in enumerate(values)
        if v is not None
    }


def test_never_on_track_from_fewer_than_three_points():
    targets = [step(50, D(2021, 4, 1))]
    result = rag.trajectory(monthly(90, 95), targets, D(2021, 1, 1), HIGHER)
    assert result.verdict == Verdict.NOT_ENOUGH_DATA
    assert result.points == 2


def test_projects_to_the_month_of_the_next_target_step():
    # Rising 5 points a month from 70 in November: 85 in January, 100 by April.
    targets = [step(80, D(2021, 2, 1)), step(95, D(2021, 4, 1))]
    result = rag.trajectory(monthly(75, 80, 85), targets, D(2021, 1, 1), HIGHER)
    assert result.horizon == D(2021, 2, 1)
    assert result.projected == Decimal(90)
    assert result.verdict == Verdict.ON_TRACK


def test_a_flat_line_short_of_the_next_step_is_off_track():
    targets = [step(95, D(2021, 4, 1))]
    result = rag.trajectory(monthly(70, 70, 70, 70), targets, D(2021, 1, 1), HIGHER)
    assert result.verdict == Verdict.OFF_TRACK
    assert result.projected == Decimal(70)


def test_a_trend_ending_just_short_is_at_risk():
    targets = [step(95, D(2021, 4, 1))]
    result = rag.trajectory(monthly(90, 91, 92), targets, D(2021, 1, 1), HIGHER)
    assert result.projected == Decimal(95)
    assert result.verdict == Verdict.ON_TRACK  # reaching the target exactly is on track
    result = rag.trajectory(monthly(89, 90, 91), targets, D(2021, 1, 1), HIGHER)
    assert result.projected == Decimal(94)
    assert result.verdict == Verdict.AT_RISK


def test_missing_months_are_spaced_by_their_real_dates():
    # 70 in Aug, 80 in Oct, 90 in Dec: 5 a month, whatever is missing between.
    values = monthly(70, None, 80, None, 90, end=D(2020, 12, 1))
    result = rag.trajectory(values, [step(95, D(2021, 1, 1))], D(2020, 12, 1), HIGHER)
    assert result.slope_per_month == Decimal(5)
    assert result.projected == Decimal(95)
    assert result.verdict == Verdict.ON_TRACK


def test_only_the_recent_window_counts():
    values = monthly(10, 10, 10, 10, 90, 91, 92, 93, 94, 95)
    result = rag.trajectory(values, [step(95, D(2021, 3, 1))], D(2021, 1, 1), HIGHER)
    assert result.points == rag.TRAJECTORY_WINDOW


def test_quarterly_kpis_look_back_six_quarters():
    quarterly = Rule(polarity="higher", frequency="quarterly")
    values = {D(2021, 3, 1): Decimal(80), D(2021, 6, 1): Decimal("77.55"),
              D(2021, 9, 1): Decimal("90.3")}  # fmt: skip
    result = rag.trajectory(values, [step("86.3", D(2021, 6, 1))], D(2021, 9, 1), quarterly)
    assert result.points == 3
    assert result.horizon == D(2022, 6, 1)  # three quarters on, with no later step


def test_projection_of_a_percentage_stays_between_0_and_100():
    result = rag.trajectory(monthly(80, 90, 100), [step(95, D(2021, 12, 1))], D(2021, 1, 1), HIGHER)
    assert result.projected == Decimal(100)


def test_no_target_to_aim_at_gives_no_verdict_on_track():
    result = rag.trajectory(monthly(80, 90, 100), [], D(2021, 1, 1), HIGHER)
    assert result.verdict == Verdict.NO_TARGET


# Roll-up -----------------------------------------------------------------


def test_roll_up_takes_the_worst_rag_and_counts_every_status():
    result = rag.roll_up([Status.GREEN, Status.AMBER, Status.NO_DATA, Status.GREEN])
    assert result.status == Status.AMBER
    assert result.counts[Status.GREEN] == 2
    assert result.counts[Status.NO_DATA] == 1
    assert result.counts[Status.RED] == 0
    assert result.kpi_count == 4
    assert rag.roll_up([Status.GREEN, Status.RED, Status.AMBER]).status == Status.RED


def test_an_overdue_action_counts_against_the_area():
    assert rag.roll_up([Status.GREEN], overdue_actions=1).status == Status.AMBER
    assert rag.roll_up([Status.RED], overdue_actions=1).status == Status.RED
    assert rag.roll_up([], overdue_actions=2).status == Status.AMBER
    assert rag.roll_up([Status.GREEN], overdue_actions=0).status == Status.GREEN


def test_statuses_that_are_not_performance_never_colour_a_roll_up():
    quiet = [Status.NO_DATA, Status.NOT_REQUIRED, Status.MONITOR, Status.NO_TARGET]
    assert rag.roll_up(quiet).status == Status.NO_DATA
    assert rag.roll_up([]).status == Status.NO_DATA


def test_roll_up_does_not_depend_on_order():
    statuses = [Status.GREEN, Status.RED, Status.MONITOR, Status.AMBER]
    assert rag.roll_up(statuses) == rag.roll_up(list(reversed(statuses)))


# Properties --------------------------------------------------------------

values = st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)
tolerances = st.one_of(st.none(), st.decimals(min_value=0, max_value=20, places=1))
kinds = st.sampled_from(["absolute", "relative"])
units = st.sampled_from(["percent", "count", "rate_per_10000"])
RANK = {Status.GREEN: 0, Status.AMBER: 1, Status.RED: 2}


@given(values, values, values, tolerances, kinds, units)
def test_a_larger_actual_never_gives_a_worse_status_when_higher_is_better(
    a, b, target, tolerance, kind, unit
):
    rule = Rule(polarity="higher", unit=unit, tolerance=tolerance, tolerance_kind=kind)
    low, high = sorted([a, b])
    goal = Step(starts=D(2020, 1, 1), value=target)
    assert RANK[status(high, goal, rule)] <= RANK[status(low, goal, rule)]


@given(values, values, tolerances, kinds, units)
def test_swapping_polarity_and_mirroring_values_mirrors_the_status(
    value, target, tolerance, kind, unit
):
    higher = Rule(polarity="higher", unit=unit, tolerance=tolerance, tolerance_kind=kind)
    lower = Rule(polarity="lower", unit=unit, tolerance=tolerance, tolerance_kind=kind)
    goal, mirrored = Step(D(2020, 1, 1), value=target), Step(D(2020, 1, 1), value=-target)
    assert status(value, goal, higher) == status(-value, mirrored, lower)


@given(values, values, values)
def test_a_neutral_kpi_is_never_red_or_green_without_a_band(value, target, _):
    assert status(value, Step(D(2020, 1, 1), value=target), NEUTRAL) == Status.MONITOR
