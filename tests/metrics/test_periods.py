import datetime
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics import periods

D = datetime.date


@pytest.mark.parametrize(
    ("month", "quarter", "label"),
    [
        (D(2021, 4, 1), 1, "Q1 2021/22"),
        (D(2021, 6, 1), 1, "Q1 2021/22"),
        (D(2021, 7, 1), 2, "Q2 2021/22"),
        (D(2021, 9, 1), 2, "Q2 2021/22"),
        (D(2021, 12, 1), 3, "Q3 2021/22"),
        (D(2022, 1, 1), 4, "Q4 2021/22"),
        (D(2022, 3, 1), 4, "Q4 2021/22"),
        (D(2000, 2, 1), 4, "Q4 1999/00"),
    ],
)
def test_financial_quarters_run_april_to_march(month, quarter, label):
    assert periods.quarter(month) == quarter
    assert periods.quarter_label(month) == label


def test_quarterly_value_is_stored_on_the_quarters_last_month():
    assert periods.quarter_end(D(2021, 7, 1)) == D(2021, 9, 1)
    assert periods.quarter_end(D(2021, 9, 1)) == D(2021, 9, 1)
    assert periods.quarter_end(D(2022, 1, 15)) == D(2022, 3, 1)
    assert periods.quarter_end(D(2021, 4, 1)) == D(2021, 6, 1)


def test_month_labels_read_like_the_councils_reports():
    assert periods.month_label(D(2021, 8, 1)) == "Aug 2021"
    assert periods.period_label(D(2021, 9, 1), "quarterly") == "Q2 2021/22"
    assert periods.period_label(D(2021, 9, 1), "monthly") == "Sep 2021"
    assert periods.financial_year_label(D(2021, 3, 1)) == "2020/21"


def test_parse_quarter_label_gives_the_quarters_last_month():
    assert periods.parse_quarter("Q2 2021/22") == D(2021, 9, 1)
    assert periods.parse_quarter("q4 2021/2022") == D(2022, 3, 1)
    with pytest.raises(ValueError, match="not a financial year"):
        periods.parse_quarter("Q2 2021/23")
    with pytest.raises(ValueError, match="Q2 2021/22"):
        periods.parse_quarter("Quarter two")


def test_parse_month_explains_the_expected_form():
    assert periods.parse_month("2020-11") == D(2020, 11, 1)
    with pytest.raises(ValueError, match="YYYY-MM"):
        periods.parse_month("Nov 2020")
    with pytest.raises(ValueError, match="no month 13"):
        periods.parse_month("2020-13")


def test_add_months_crosses_year_ends():
    assert periods.add_months(D(2020, 11, 1), 3) == D(2021, 2, 1)
    assert periods.add_months(D(2021, 1, 1), -1) == D(2020, 12, 1)
    assert periods.months_between(D(2020, 11, 1), D(2021, 2, 1)) == 3
    assert periods.month_range(D(2020, 11, 1), D(2021, 1, 1)) == [
        D(2020, 11, 1),
        D(2020, 12, 1),
        D(2021, 1, 1),
    ]


def test_latest_completed_periods():
    assert periods.latest_completed_month(D(2021, 11, 3)) == D(2021, 10, 1)
    assert periods.latest_completed_quarter(D(2021, 11, 3)) == D(2021, 9, 1)
    assert periods.latest_completed_quarter(D(2021, 10, 1)) == D(2021, 9, 1)
    assert periods.latest_completed_quarter(D(2021, 9, 30)) == D(2021, 6, 1)


def test_submission_deadline_is_working_day_n_of_the_next_month():
    # 1 Dec 2020 was a Tuesday: the 10th working day is Monday 14 December.
    assert periods.submission_deadline(D(2020, 11, 1), 10) == D(2020, 12, 14)
    # 1 May 2021 was a Saturday: the 1st working day is Monday 3 May.
    assert periods.submission_deadline(D(2021, 4, 1), 1) == D(2021, 5, 3)


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)))
def test_every_day_falls_in_exactly_one_quarter_ending_on_or_after_it(day):
    end = periods.quarter_end(day)
    assert end.day == 1 and periods.is_quarter_end(end)
    assert 0 <= periods.months_between(periods.month_start(day), end) <= 2
    assert periods.quarter(day) == periods.quarter(end)
    assert periods.parse_quarter(periods.quarter_label(day)) == end


# Reading what people type ------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Aug-21", "Aug 2021", "August 2021", " aug-2021 ", "2021-08", "01/08/2021", "1/8/21",
     "2021-08-01", "1 Aug 2021", "31st August 2021"],
)  # fmt: skip
def test_read_month_takes_a_month_written_every_way_people_write_it(text):
    assert periods.read_month(text) == D(2021, 8, 1)


def test_read_month_reads_days_day_first_and_quarters_as_their_last_month():
    assert periods.read_month("08/01/2021") == D(2021, 1, 1)
    assert periods.read_month("Q2 2021/22") == D(2021, 9, 1)
    assert periods.read_month("Sept 21") == D(2021, 9, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Augst 2021", "'Augst 2021' is not a month or quarter: write it like Aug 2021, Aug-21, "
                       "2021-08, 01/08/2021 or Q2 2021/22."),
        ("31/02/2021", "'31/02/2021' is not a month or quarter"),
        ("Q5 2021/22", "'Q5 2021/22' is not a quarter: write it like Q2 2021/22."),
        ("Aug 3000", "3000 is not a year this service records: check the date."),
    ],
)  # fmt: skip
def test_read_month_says_how_to_write_what_it_cannot_read(text, message):
    with pytest.raises(ValueError) as refused:
        periods.read_month(text)
    assert str(refused.value).startswith(message)


def test_read_day_reads_day_first_and_a_month_alone_as_its_last_day():
    assert periods.read_day("31/3/2021") == D(2021, 3, 31)
    assert periods.read_day("2021-03-31") == D(2021, 3, 31)
    assert periods.read_day("Oct-19") == D(2019, 10, 31)
    assert periods.read_day_or_month("Feb 2024") == (D(2024, 2, 29), True)
    assert periods.read_day_or_month("1 Feb 2024") == (D(2024, 2, 1), False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2021", "'31/02/2021' is not a real date: write dates day first, like 31/08/2021."),
        ("soon", "'soon' is not a date: write it like 31/08/2021 or Aug 2021."),
        ("01/01/1066", "1066 is not a year this service records: check the date."),
    ],
)
def test_read_day_says_how_to_write_what_it_cannot_read(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        periods.read_day(text)
