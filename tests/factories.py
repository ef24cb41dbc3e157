import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from metrics.models import Actual, Benchmark, FindingKpi, Kpi, Target
from priorities.models import (
    Action,
    Finding,
    FindingAction,
    FindingSource,
    Officer,
    Plan,
    PriorityArea,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class OfficerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Officer

    role_title = factory.Sequence(lambda n: f"Head of Service {n}")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    title = factory.Sequence(lambda n: f"Improvement plan {n}")
    start = datetime.date(2021, 1, 1)


class PriorityAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriorityArea

    plan = factory.SubFactory(PlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Priority area {n}")
    responsible_officer = factory.SubFactory(OfficerFactory)


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    area = factory.SubFactory(PriorityAreaFactory)
    ref = factory.Sequence(lambda n: f"1.{n}")
    theme = Action.Theme.PRACTICE
    description = "Audit strategy discussions in the MASH"
    owner = factory.SubFactory(OfficerFactory)
    original_delivery_date = datetime.date(2021, 3, 31)


class KpiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kpi

    code = factory.Sequence(lambda n: f"T.{n:04d}")
    title = factory.Sequence(lambda n: f"Test measure {n}")
    unit = Kpi.Unit.PERCENT
    polarity = Kpi.Polarity.HIGHER
    owner = factory.SubFactory(OfficerFactory)


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    kpi = factory.SubFactory(KpiFactory)
    starts = datetime.date(2021, 1, 1)
    value = Decimal("95")


class ActualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actual

    kpi = factory.SubFactory(KpiFactory)
    period = datetime.date(2021, 1, 1)
    value = Decimal("77.1")


class BenchmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benchmark

    kpi = factory.SubFactory(KpiFactory)
    comparator = Benchmark.Comparator.ENGLAND
    period = datetime.date(2020, 12, 1)
    value = Decimal("17.4")


class FindingSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FindingSource

    slug = factory.Sequence(lambda n: f"inspection-{n}")
    body = "Ofsted"
    kind = FindingSource.Kind.INSPECTION
    title = factory.Sequence(lambda n: f"Inspection of children's social care services {n}")
    date = datetime.date(2021, 1, 15)
    document = "Ofsted, Inspection of children's social care services"


class FindingFactory(factory.django.DjangoModelFactory):
    """A finding, open since its source's date unless given a status."""

    class Meta:
        model = Finding

    source = factory.SubFactory(FindingSourceFactory)
    ref = factory.Sequence(lambda n: f"W{n}")
    kind = Finding.Kind.IMPROVEMENT
    title = factory.Sequence(lambda n: f"Assessments are not always timely ({n})")
    text = "Too many assessments take longer than they should."
    cited = "What needs to improve"
    responsible_officer = factory.SubFactory(OfficerFactory)


class FindingActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FindingAction

    finding = factory.SubFactory(FindingFactory)
    action = factory.SubFactory(ActionFactory)
    since = datetime.date(2021, 1, 15)


class FindingKpiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FindingKpi

    finding = factory.SubFactory(FindingFactory)
    kpi = factory.SubFactory(KpiFactory)
    since = datetime.date(2021, 1, 15)


def user_in(group: str | None, username: str, **extra):
    """A login in one of the role groups (priorities.roles), or in none."""
    from priorities import roles

    user = UserFactory(username=username, **extra)
    if group:
        user.groups.add(roles.ensure_groups()[group])
    return user


def save_figure(kpi: Kpi, period: datetime.date, value) -> Actual:
    """Save a KPI's figure for a month through the one write path, as its entry page does.

    A new figure or a change to the stored one (its version read first), by a new user.
    """
    from metrics import services

    current = kpi.actuals.filter(period=period).first()
    return services.save_actual(
        kpi=kpi,
        period=period,
        user=UserFactory(),
        expected_version=current.version if current else None,
        value=Decimal(value),
    )


def plan_with_kpis(prefix: str, count: int = 2, period=datetime.date(2021, 11, 1)):
    """A running plan with one area and ``count`` KPIs, each with a figure for ``period``.

    KPI n is coded "<prefix>.n" and its figure is n0.5 (10.5, 20.5, ...).
    Returns the plan, the area and the KPIs.
    """
    plan = PlanFactory(start=datetime.date(2021, 1, 1), end=datetime.date(2022, 3, 31))
    area = PriorityAreaFactory(plan=plan)
    kpis = [KpiFactory(code=f"{prefix}.{n}") for n in range(1, count + 1)]
    for n, kpi in enumerate(kpis, start=1):
        kpi.areas.add(area)
        save_figure(kpi, period, f"{n}0.5")
    return plan, area, kpis
