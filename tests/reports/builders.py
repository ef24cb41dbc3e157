"""Large plans for the board pages' query budgets, built with bulk_create."""

import datetime
from decimal import Decimal

from metrics.models import Actual, Benchmark, Kpi, Target
from metrics.periods import add_months
from priorities.models import Action, Plan
from tests.factories import OfficerFactory, PlanFactory, PriorityAreaFactory

START = datetime.date(2019, 1, 1)


def build_plan(kpis: int, months: int = 36, *, areas: int = 3, prefix: str = "B") -> Plan:
    """A plan whose KPIs each have ``months`` of figures, stepped targets, benchmarks and actions.

    KPIs are shared round the areas, and every KPI owned by one of a few
    officers, so a page that fetched per KPI, per area or per officer shows
    up in the count.
    """
    plan = PlanFactory(start=START, end=add_months(START, months - 1))
    officers = [OfficerFactory() for _ in range(3)]
    made_areas = [PriorityAreaFactory(plan=plan, number=n + 1) for n in range(areas)]
    made = Kpi.objects.bulk_create(
        Kpi(
            code=f"{prefix}.{i:04d}",
            title=f"Measure {i}",
            polarity=["higher", "lower", "neutral"][i % 3],
            frequency="quarterly" if i % 5 == 4 else "monthly",
            owner=officers[i % 3],
        )
        for i in range(kpis)
    )
    Kpi.areas.through.objects.bulk_create(
        Kpi.areas.through(kpi=kpi, priorityarea=made_areas[i % areas]) for i, kpi in enumerate(made)
    )
    Target.objects.bulk_create(
        Target(
            kpi=kpi,
            starts=add_months(START, step * 12),
            value=None if kpi.polarity == "neutral" else 80 + step * 5,
            lower=70 if kpi.polarity == "neutral" else None,
            upper=90 if kpi.polarity == "neutral" else None,
        )
        for kpi in made
        for step in range(3)
    )
    Actual.objects.bulk_create(
        Actual(
            kpi=kpi,
            period=add_months(START, m),
            value=Decimal(60 + m),
            # Counts only while they fit under 100: a longer history has values alone.
            numerator=60 + m if m <= 40 else None,
            denominator=100 if m <= 40 else None,
        )
        for kpi in made
        for m in range(months)
        if kpi.frequency == "monthly" or add_months(START, m).month in (3, 6, 9, 12)
    )
    Benchmark.objects.bulk_create(
        Benchmark(kpi=kpi, comparator=comparator, period=add_months(START, 12 * year), value=75)
        for kpi in made
        for comparator in ("statistical_neighbours", "region", "england")
        for year in range(months // 12)
    )
    Action.objects.bulk_create(
        Action(
            area=area,
            ref=str(n),
            description=f"Action {n}",
            owner=officers[n % 3],
            original_delivery_date=add_months(START, n),
            current_delivery_date=add_months(START, n + 2) if n % 2 else None,
            status=Action.Status.COMPLETED if n % 3 == 0 else Action.Status.IN_PROGRESS,
            completed_date=add_months(START, n + 1) if n % 3 == 0 else None,
        )
        for area in made_areas
        for n in range(1, 13)
    )
    return plan
