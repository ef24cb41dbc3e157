import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from metrics.models import Actual, Kpi, Target
from tests.factories import ActualFactory, KpiFactory, TargetFactory

pytestmark = pytest.mark.django_db


def test_a_second_actual_for_the_same_kpi_month_is_refused():
    first = ActualFactory(period=datetime.date(2021, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.create(kpi=first.kpi, period=datetime.date(2021, 1, 1), value=Decimal(80))
    assert Actual.objects.filter(kpi=first.kpi).get().value == Decimal("77.1")


def test_a_period_that_is_not_the_first_of_the_month_is_refused():
    kpi = KpiFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.create(kpi=kpi, period=datetime.date(2021, 1, 15), value=Decimal(80))
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(kpi=kpi, starts=datetime.date(2021, 2, 2), value=Decimal(80))
    assert not Actual.objects.exists() and not Target.objects.exists()


def test_form_validation_names_the_period_rule_in_words():
    actual = Actual(kpi=KpiFactory(), period=datetime.date(2021, 1, 15), value=Decimal(80))
    with pytest.raises(ValidationError, match="first day of the month"):
        actual.full_clean()


def test_numerator_cannot_exceed_denominator():
    kpi = KpiFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.create(
            kpi=kpi,
            period=datetime.date(2020, 12, 1),
            value=Decimal("50.3"),
            numerator=152,
            denominator=151,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Actual.objects.create(
            kpi=kpi, period=datetime.date(2020, 12, 1), value=Decimal("50.3"), numerator=76
        )


def test_count_over_total_keeps_both_figures():
    actual = ActualFactory(value=Decimal("50.3"), numerator=76, denominator=151)
    assert round(actual.ratio_percent, 1) == Decimal("50.3")


def test_target_needs_a_value_or_a_whole_band():
    kpi = KpiFactory(polarity=Kpi.Polarity.NEUTRAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(kpi=kpi, starts=datetime.date(2021, 1, 1), lower=Decimal(30))
    with pytest.raises(IntegrityError), transaction.atomic():
        Target.objects.create(
            kpi=kpi, starts=datetime.date(2021, 1, 1), lower=Decimal(50), upper=Decimal(40)
        )
    band = Target.objects.create(
        kpi=kpi, starts=datetime.date(2021, 1, 1), lower=Decimal(35), upper=Decimal(45)
    )
    assert "35" in str(band) and "45" in str(band)


def test_one_target_step_per_kpi_month():
    step = TargetFactory(starts=datetime.date(2021, 2, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetFactory(kpi=step.kpi, starts=datetime.date(2021, 2, 1))


def test_quarterly_value_must_sit_on_a_quarter_end():
    kpi = KpiFactory(frequency=Kpi.Frequency.QUARTERLY)
    with pytest.raises(ValidationError, match="quarter's last month"):
        Actual(kpi=kpi, period=datetime.date(2021, 8, 1), value=Decimal(90)).full_clean()
    Actual(kpi=kpi, period=datetime.date(2021, 9, 1), value=Decimal(90)).full_clean()


def test_kpi_codes_are_unique():
    KpiFactory(code="PI.426")
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiFactory(code="PI.426")


def test_only_a_score_may_go_below_zero():
    # A progress score of -1.4 means less progress than pupils nationally: a real figure.
    score = Kpi(code="KS2.R", unit=Kpi.Unit.SCORE, decimal_places=1)
    assert score.value_problems(Decimal("-1.4")) == {}
    count = Kpi(code="C.1", unit=Kpi.Unit.COUNT, decimal_places=0)
    assert count.value_problems(Decimal("-1")) == {"value": "Enter a count of 0 or more."}
