"""How figures are written: one formatter, one meaning, on every page and in CSV."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template

from metrics import display, rag
from metrics.models import Kpi
from tests.factories import KpiFactory

D = datetime.date


@pytest.mark.parametrize(
    ("value", "places", "unit", "shown"),
    [
        (Decimal("90.3"), 1, "percent", "90.3%"),
        (Decimal("77.55"), 1, "percent", "77.6%"),  # half away from zero, as the council rounds
        (Decimal("-0.25"), 1, "number", "-0.3"),
        (Decimal("3222"), 1, "count", "3,222.0"),
        (Decimal("12"), 0, "days", "12 days"),
        (Decimal("4.5"), 2, "fte", "4.50 FTE"),
        (Decimal("86.6"), 1, "rate_per_10000", "86.6"),
        (None, 1, "percent", ""),
    ],
)
def test_a_figure_is_written_at_the_kpis_places_with_its_unit(value, places, unit, shown):
    assert display.figure(value, places, unit) == shown


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("90.3000", "90.3"), ("100", "100"), ("3222.0000", "3222"), ("0.0500", "0.05")],
)
def test_an_exact_value_is_shown_unrounded_without_trailing_zeros(stored, shown):
    assert display.exact(Decimal(stored)) == shown


def test_csv_figures_carry_no_thousands_separator():
    assert display.number(Decimal("3222"), 1, grouping=False) == "3222.0"
    band = rag.Step(D(2021, 1, 1), lower=Decimal(1500), upper=Decimal(2000))
    assert display.step(band, 0, grouping=False) == "1500 to 2000"


def test_a_target_step_is_a_value_or_a_band():
    assert display.step(rag.Step(D(2021, 1, 1), Decimal(95)), 1, "percent") == "95.0%"
    band = rag.Step(D(2021, 1, 1), lower=Decimal(40), upper=Decimal(50))
    assert display.step(band, 1, "rate_per_10000", rag.NEUTRAL) == "40.0 to 50.0"
    assert display.step(None, 1, "percent") == ""


def test_a_neutral_kpis_single_value_is_a_reference_level_not_a_target():
    level = rag.Step(D(2021, 6, 1), Decimal("43.7"))
    assert display.step(level, 1, "rate_per_10000", rag.NEUTRAL) == (
        "Reference level 43.7, not a target"
    )
    assert display.against(level, 1, "rate_per_10000", rag.NEUTRAL) == (
        "; monitored, with no target band (reference level 43.7)"
    )
    assert display.against(level, 1, "percent", rag.HIGHER) == " against a target of 43.7%"


def test_unit_labels_and_axis_titles_come_from_the_kpi_units():
    for unit in Kpi.Unit:
        assert display.unit_label(unit.value) == unit.label
        assert display.axis_title(unit.value).startswith(unit.label)
    assert display.axis_title("percent") == "Percentage (%)"
    assert display.axis_title("days") == "Days"
    assert display.axis_title("no such unit") == "Value"


@pytest.mark.django_db
def test_the_figure_filter_means_the_same_on_every_page():
    kpi = KpiFactory(decimal_places=1, unit=Kpi.Unit.PERCENT)
    rendered = Template("{% load improve %}{{ value|figure:kpi }}").render(
        Context({"value": Decimal("90.3"), "kpi": kpi})
    )
    assert rendered == "90.3%"


def test_only_one_template_library_defines_figure():
    from django.template.backends.django import get_installed_libraries
    from django.utils.module_loading import import_string

    defining = [
        name
        for name, path in get_installed_libraries().items()
        if "figure" in import_string(f"{path}.register").filters
    ]
    assert defining == ["improve"]
