"""Real-world cells: how performance teams actually type figures and months in Excel."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction

from metrics import importer
from metrics.importer import CellProblem, read_code, read_number, read_period
from metrics.models import Actual, Kpi, PeriodLock
from tests.factories import ActualFactory, KpiFactory
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import (
    AUG_2021,
    Fmt,
    actuals_long,
    actuals_wide,
    shared_strings,
    with_formula,
    xlsx,
)

D = Decimal

# Fixtures shared by the import tests.
assessments = support.assessments
# Every workbook a test has the import read is also read by openpyxl: the cells must agree.
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl
quarterly = support.quarterly


def plan_of(data: bytes, **options) -> importer.ImportPlan:
    return importer.preview(data, **options)


def only_change(plan: importer.ImportPlan) -> importer.Change:
    assert not plan.rejections, [str(r) for r in plan.rejections]
    assert len(plan.changes) == 1, plan.changes
    return plan.changes[0]


def only_rejection(plan: importer.ImportPlan) -> importer.Issue:
    assert len(plan.rejections) == 1, [str(r) for r in plan.rejections]
    return plan.rejections[0]


# Numbers ----------------------------------------------------------------------


def test_a_percent_formatted_cell_holding_a_fraction_is_the_percentage(assessments):
    data = actuals_wide([datetime.datetime(2021, 8, 1)], ["PI.426", Fmt(0.903, "0.0%")])
    assert only_change(plan_of(data)).values["value"] == D("90.3")


def test_a_percent_formatted_cell_with_float_noise_reads_as_typed(assessments):
    data = actuals_wide(["Aug 2021"], ["PI.426", Fmt(0.7755000000000001, "0.00%")])
    assert only_change(plan_of(data)).values["value"] == D("77.55")


@pytest.mark.parametrize("text", ["90.3%", " 90.3 ", "90.3 %", "'90.3"])
def test_figures_typed_as_text_are_read(assessments, text):
    data = actuals_wide(["Aug 2021"], ["PI.426", text])
    assert only_change(plan_of(data)).values["value"] == D("90.3")


def test_thousands_separators_are_read():
    assert read_number("3,505") == (D("3505"), False)


def test_a_percentage_sign_on_a_kpi_that_is_not_a_percentage_is_rejected(quarterly):
    data = actuals_wide(["Q2 2021/22"], ["PI.432", "86.6%"])
    issue = only_rejection(plan_of(data))
    assert "not a percentage" in issue.message and "without %" in issue.message


@pytest.mark.parametrize("blank", ["n/a", "N/A", "-", "\u2013", "  ", ""])
def test_n_a_and_dashes_are_blank_and_change_nothing(assessments, blank):
    ActualFactory(kpi=assessments, period=AUG_2021, value=D("77.55"))
    data = actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", blank, blank])
    plan = plan_of(data)
    assert not plan.changes and not plan.rejections


def test_a_footnote_after_a_figure_is_rejected_saying_what_to_delete(assessments):
    data = actuals_wide(["Aug 2021"], ["PI.426", "132.44 (1.)"])
    issue = only_rejection(plan_of(data))
    assert (issue.sheet, issue.row, issue.column) == ("Actuals", 2, "B (Aug 2021)")
    assert "'(1.)'" in issue.message and "132.44" in issue.message


def test_words_are_rejected_as_not_a_number(assessments):
    issue = only_rejection(plan_of(actuals_wide(["Aug 2021"], ["PI.426", "about ninety"])))
    assert "is not a number" in issue.message


def test_a_value_out_of_range_for_a_percentage_is_rejected_with_the_kpi_rule(assessments):
    issue = only_rejection(plan_of(actuals_wide(["Aug 2021"], ["PI.426", 120])))
    assert issue.message == assessments.value_problems(D(120))["value"]


def test_a_negative_count_is_rejected(db):
    KpiFactory(code="CSIP.05", unit=Kpi.Unit.COUNT, decimal_places=0)
    issue = only_rejection(plan_of(actuals_wide(["Aug 2021"], ["CSIP.05", -3])))
    assert "0 or more" in issue.message


def test_more_decimal_places_than_the_kpi_keeps_are_rejected(assessments):
    issue = only_rejection(plan_of(actuals_wide(["Aug 2021"], ["PI.426", 50.331125827814571])))
    assert "no more than 2 decimal places" in issue.message


def test_a_formula_with_no_saved_result_is_rejected_not_skipped(assessments):
    data = actuals_wide(["Aug 2021"], ["PI.426", "=76/151*100"])
    issue = only_rejection(plan_of(data))
    assert "formula but no saved result" in issue.message


def test_a_formula_is_read_as_its_cell_shows_it_when_it_has_more_decimals_than_the_kpi(
    assessments,
):
    # =29/38 is saved as 0.763157894736842 and shown as 76.3%: the analyst saw 76.3.
    data = actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", Fmt(0.5, "0.0%"), Fmt(50, "0")])
    data = with_formula(data, "Actuals", "B2", "29/38", "0.763157894736842")
    data = with_formula(data, "Actuals", "C2", "2/3*100", "66.666666666666671")
    plan = plan_of(data)
    assert not plan.rejections, [str(r) for r in plan.rejections]
    assert [c.values["value"] for c in plan.changes] == [D("76.3"), D("67")]


def test_a_formula_the_kpi_can_record_keeps_its_saved_value_whatever_its_cell_shows(
    assessments,
):
    data = actuals_wide(["Aug 2021"], ["PI.426", Fmt(50, "0")])
    data = with_formula(data, "Actuals", "B2", "305/4", "76.25")
    assert only_change(plan_of(data)).values["value"] == D("76.25")


def test_a_typed_figure_is_never_rounded_to_what_its_cell_shows(assessments):
    data = actuals_wide(["Aug 2021"], ["PI.426", Fmt(76.31579, "0.0")])
    assert "decimal" in only_rejection(plan_of(data)).message


def test_a_cell_showing_an_excel_error_is_rejected():
    with pytest.raises(CellProblem, match="#DIV/0!"):
        read_number(importer.ExcelError("#DIV/0!"))


def test_a_date_in_a_figure_column_is_rejected():
    with pytest.raises(CellProblem, match="date"):
        read_number(datetime.datetime(2021, 8, 1))


# Codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "code"), [(426, "426"), (426.0, "426"), (1.5, "1.5"), (" PI.426 ", "PI.426")]
)
def test_a_kpi_code_typed_as_a_number_keeps_no_trailing_zero(cell, code):
    assert read_code(cell) == code


def test_a_numeric_code_finds_its_kpi(db):
    KpiFactory(code="426")
    data = actuals_wide(["Aug 2021"], [426.0, 80])
    assert only_change(plan_of(data)).refs["kpi"] == "426"


def test_an_unknown_kpi_code_is_rejected(assessments):
    issue = only_rejection(plan_of(actuals_wide(["Aug 2021"], ["PI.999", 80])))
    assert (issue.row, issue.column) == (2, "A (KPI code)")
    assert "no KPI with code 'PI.999'" in issue.message


def test_codes_match_whatever_their_case(assessments):
    assert only_change(plan_of(actuals_wide(["Aug 2021"], ["pi.426", 80]))).refs["kpi"] == "PI.426"


# Periods ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        datetime.datetime(2021, 8, 1),
        datetime.datetime(2021, 8, 31),
        "Aug-21",
        "Aug 2021",
        "August 2021",
        "aug-2021",
        "2021-08",
        "01/08/2021",
        "1/8/21",
        "2021-08-01",
        "1 Aug 2021",
        44409,  # the Excel day number for 1 August 2021
    ],
)
def test_months_written_every_way_are_the_same_period(cell):
    assert read_period(cell) == AUG_2021


def test_a_uk_date_is_read_day_first():
    assert read_period("08/01/2021") == datetime.date(2021, 1, 1)


def test_a_financial_quarter_is_its_last_month():
    assert read_period("Q2 2021/22") == datetime.date(2021, 9, 1)
    assert read_period("q4 2021/2022") == datetime.date(2022, 3, 1)


@pytest.mark.parametrize(
    "cell", ["Augst 2021", "Q5 2021/22", "Q2 2021/23", "31/02/2021", "2021", 2021]
)
def test_text_that_is_not_a_month_is_rejected_with_the_formats_accepted(cell):
    with pytest.raises(CellProblem):
        read_period(cell)


def test_wide_month_headings_typed_every_way_all_import(assessments):
    headings = [datetime.datetime(2021, 4, 1), "May-21", "Jun 2021", "2021-07", "01/08/2021"]
    data = actuals_wide(headings, ["PI.426", 70, 71, 72, 73, 74])
    plan = plan_of(data)
    assert not plan.rejections
    assert [c.refs["period"].month for c in plan.changes] == [4, 5, 6, 7, 8]


def test_a_quarterly_kpi_takes_a_quarter_heading(quarterly):
    data = actuals_wide(["Q1 2021/22", "Q2 2021/22"], ["PI.432", 90.06, 86.6])
    plan = plan_of(data)
    assert [c.refs["period"] for c in plan.changes] == [
        datetime.date(2021, 6, 1),
        AUG_2021.replace(month=9),
    ]


def test_a_quarterly_kpi_in_a_month_that_ends_no_quarter_is_rejected_by_the_kpi_rule(quarterly):
    issue = only_rejection(plan_of(actuals_wide(["Aug 2021"], ["PI.432", 86.6])))
    assert issue.message == quarterly.period_problem(AUG_2021, today=datetime.date.today())


def test_a_wide_heading_that_is_not_a_month_is_rejected_once_for_its_column(assessments):
    plan = plan_of(
        actuals_wide(["Aug 2021", "Augst 2021"], ["PI.426", 80, 81], ["PI.426", None, 82])
    )
    issue = only_rejection(plan)
    assert (issue.row, issue.column) == (1, "C (Augst 2021)")


def test_title_and_target_columns_of_a_tracker_are_skipped(assessments):
    data = actuals_wide(["Title", "Target", "Aug 2021"], ["PI.426", "Assessments", 95, 80])
    plan = plan_of(data)
    assert only_change(plan).values == {"value": D(80)}
    assert "B (Title)" in plan.notices[0]


def test_title_rows_above_the_heading_row_are_skipped(assessments):
    data = xlsx(
        {
            "Actuals": [
                ["Children's services tracker 2021/22"],
                [],
                ["KPI code", "Aug 2021"],
                ["PI.426", 80],
            ]
        }
    )
    assert only_change(plan_of(data)).row == 4


def test_a_future_month_is_refused_by_the_kpi_rule(assessments):
    future = (datetime.date.today() + datetime.timedelta(days=62)).strftime("%b %Y")
    issue = only_rejection(plan_of(actuals_wide([future], ["PI.426", 80])))
    assert "has not ended yet" in issue.message


# Blank means no change --------------------------------------------------------


def test_blank_cells_leave_the_stored_fields_as_they_are(assessments):
    ActualFactory(
        kpi=assessments,
        period=AUG_2021,
        value=D("77.55"),
        numerator=76,
        denominator=98,
        what_data_tells_us="Improving.",
    )
    data = actuals_long(["PI.426", "Aug 2021", None, None, None, None, "Agency staff.", None])
    change = only_change(plan_of(data))
    assert change.old == {"issues_and_risks": ""}
    assert (
        change.values["value"] == D("77.55") and change.values["what_data_tells_us"] == "Improving."
    )


def test_a_numerator_and_denominator_without_a_value_give_the_value(assessments):
    data = actuals_long(["PI.426", "Dec 2020", None, 76, 151])
    assert only_change(plan_of(data)).values["value"] == D("50.33")


def test_a_new_figure_needs_a_value(assessments):
    data = actuals_long(["PI.426", "Aug 2021", None, None, None, "Commentary only"])
    assert "enter its value" in only_rejection(plan_of(data)).message


def test_the_same_figure_twice_is_rejected(assessments):
    data = actuals_long(["PI.426", "Aug 2021", 80], ["PI.426", "2021-08", 81])
    issue = only_rejection(plan_of(data))
    assert issue.row == 3 and "already given at row 2" in issue.message


# Locked months and suspicious fractions ---------------------------------------


def test_a_locked_month_is_rejected_unless_a_reason_is_given(assessments, django_user_model):
    PeriodLock.objects.create(locked_through=datetime.date(2021, 9, 1))
    data = actuals_wide(["Aug 2021", "Oct 2021"], ["PI.426", 80, 81])
    plan = plan_of(data)
    issue = only_rejection(plan)
    assert issue.locked and "locked" in issue.message and issue.column == "B (Aug 2021)"
    assert plan.needs_reason

    user = django_user_model.objects.create(username="analyst")
    with transaction.atomic():
        applied = importer.commit(data, user=user, reason="Corrected after audit")
    assert not applied.rejections and applied.locked_changes == 1
    record = Actual.history.get(kpi=assessments, period=AUG_2021)
    assert record.history_change_reason == "Workbook import: Corrected after audit"


def test_a_fraction_where_the_history_is_in_percent_is_a_warning(assessments):
    ActualFactory(kpi=assessments, period=datetime.date(2021, 7, 1), value=D("77.55"))
    plan = plan_of(actuals_wide(["Aug 2021"], ["PI.426", 0.9]))
    assert only_change(plan).values["value"] == D("0.9")
    (warning,) = plan.warnings
    assert "90" in warning.message and warning.column == "B (Aug 2021)"


def test_a_fraction_with_no_history_is_not_a_warning(assessments):
    assert not plan_of(actuals_wide(["Aug 2021"], ["PI.426", 0.9])).warnings


def test_text_longer_than_its_field_is_rejected_before_the_database_sees_it(assessments):
    data = xlsx(
        {
            "Actuals": [
                ["KPI code", "Period", "Value", "Source"],
                ["PI.426", "Aug 2021", 80, "x" * 301],
            ]
        }
    )
    issue = only_rejection(plan_of(data))
    assert issue.column == "D (Source)" and "300 characters" in issue.message


def test_figures_in_a_shared_strings_workbook_read_the_same(assessments):
    data = shared_strings(
        actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", "90.3%", "132.44 (1.)"])
    )
    plan = plan_of(data)
    assert [c.values["value"] for c in plan.changes] == [D("90.3")]
    assert "'(1.)'" in only_rejection(plan).message


# Rows of totals ---------------------------------------------------------------


def test_total_and_average_rows_under_the_figures_are_skipped_and_listed(assessments):
    data = actuals_wide(
        ["Aug 2021"], ["PI.426", 80], ["Total", 80], ["Average:", 80], ["Grand total (all)", 1]
    )
    plan = plan_of(data)
    assert not plan.rejections and only_change(plan).values["value"] == 80
    assert (
        "Sheet Actuals: rows 3 (Total), 4 (Average:), 5 (Grand total (all)) skipped: totals and "
        "averages are worked out from the figures, not imported." in plan.notices
    )


def test_a_total_row_is_skipped_on_a_long_sheet_and_on_targets_too(assessments):
    data = xlsx(
        {
            "Actuals": [
                ["KPI code", "Period", "Value"],
                ["PI.426", "Aug 2021", 80],
                ["TOTAL", "", 80],
            ],
            "Targets": [["KPI code", "In force from", "Target"], ["Mean", "Aug 2021", 90]],
        }
    )
    plan = plan_of(data)
    assert not plan.rejections and only_change(plan).values["value"] == 80
    assert [n for n in plan.notices if "skipped" in n] == [
        "Sheet Targets: row 2 (Mean) skipped: totals and averages are worked out from the "
        "figures, not imported.",
        "Sheet Actuals: row 3 (TOTAL) skipped: totals and averages are worked out from the "
        "figures, not imported.",
    ]


@pytest.mark.parametrize("code", ["Totally new", "SUM.1", "Average caseload"])
def test_a_code_that_only_starts_like_a_total_is_still_a_kpi_code(assessments, code):
    message = only_rejection(plan_of(actuals_wide(["Aug 2021"], [code, 80]))).message
    assert f"There is no KPI with code {code!r}" in message
