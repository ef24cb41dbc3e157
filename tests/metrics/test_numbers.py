"""Reading a number as people type it: the import's text cells and the entry forms alike."""

from decimal import Decimal

import pytest

from metrics.numbers import read_number


@pytest.mark.parametrize(
    ("text", "number", "percent"),
    [
        ("90.3", Decimal("90.3"), False),
        (" 90.3 ", Decimal("90.3"), False),
        ("95%", Decimal(95), True),
        ("90.3 %", Decimal("90.3"), True),
        ("1,000", Decimal(1000), False),
        ("1,234,567.5", Decimal("1234567.5"), False),
        ("-2.5", Decimal("-2.5"), False),
        (".5", Decimal("0.5"), False),
        ("'90.3", Decimal("90.3"), False),
    ],
)
def test_figures_are_read_as_people_type_them(text, number, percent):
    assert read_number(text) == (number, percent)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12 (provisional)", "'12 (provisional)' has '(provisional)' after the number: delete it "
                             "and keep only the figure (12); put any note in the commentary."),
        ("about", "'about' is not a number: enter a figure such as 90.3."),
        ("%", "'%' is not a number"),
        ("", "'' is not a number"),
    ],
)  # fmt: skip
def test_what_is_not_a_figure_is_refused_saying_what_to_type(text, message):
    with pytest.raises(ValueError) as refused:
        read_number(text)
    assert str(refused.value).startswith(message)
