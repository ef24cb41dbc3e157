"""The benchmarks' data: the shipped Dudley plan scaled to a number of KPIs and months.

Shared by load_bench.py and cold_bench.py; call ``build`` after django.setup()
with DATABASE_URL pointing at a throwaway database.
"""

import datetime
from decimal import Decimal
from io import StringIO


def build(kpis: int, months: int) -> dict:
    """Seed, scale to ``kpis`` x ``months``, add a board member; return the pages to request."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from metrics.models import Actual, Kpi, Target
    from metrics.periods import add_months
    from priorities import roles
    from priorities.models import Plan

    call_command("migrate", verbosity=0)
    call_command("seed", stdout=StringIO())
    plan = Plan.objects.get(slug="improvement-plan-2021")
    areas = list(plan.areas.all())
    extra = kpis - Kpi.objects.count()
    made = Kpi.objects.bulk_create(
        Kpi(code=f"BENCH.{i:04d}", title=f"Synthetic benchmark measure {i}", polarity="higher")
        for i in range(extra)
    )
    Kpi.areas.through.objects.bulk_create(
        Kpi.areas.through(kpi=kpi, priorityarea=areas[i % len(areas)]) for i, kpi in enumerate(made)
    )
    start = datetime.date(2020, 1, 1)
    Target.objects.bulk_create(
        (
            Target(kpi=kpi, starts=add_months(start, 12 * step), value=80 + 5 * step)
            for kpi in made
            for step in range(3)
        ),
        batch_size=5000,
    )
    Actual.objects.bulk_create(
        (
            Actual(kpi=kpi, period=add_months(start, m), value=Decimal(60 + m % 40))
            for kpi in made
            for m in range(months)
        ),
        batch_size=5000,
    )
    board = get_user_model().objects.create_user("bench-board", password="bench-board-password")
    board.groups.add(roles.ensure_groups()[roles.BOARD_MEMBER])
    busiest = max(areas, key=lambda area: area.kpis.count())
    kpi = Kpi.objects.get(code="CSIP.01")
    return {
        "plan": plan,
        "board": board,
        "kpi": kpi,
        "area": busiest,
        "pages": {
            "overview": "/",
            "overview, Sep 2021": f"/?plan={plan.pk}&period=2021-09",
            "area": f"/areas/{busiest.pk}/",
            "KPI": f"/kpis/{kpi.pk}/",
            "scorecard": f"/scorecard/?plan={plan.pk}",
            "pack": f"/pack/?plan={plan.pk}",
            # The pack a page at a time: page 1 is the summary, page 2 the first areas' charts.
            "pack, page 2": f"/pack/?plan={plan.pk}&page=2",
        },
    }


def add_head_of_service(kpi, username: str, password: str):
    """A head of service whose post owns ``kpi``, to save its figures through the entry page."""
    from django.contrib.auth import get_user_model

    from priorities import roles
    from priorities.models import Officer

    user = get_user_model().objects.create_user(username, password=password)
    user.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    kpi.owner = Officer.objects.create(role_title=f"Head of service ({username})", user=user)
    kpi.save()
    return user


def throwaway_postgresql(url: str, name: str) -> tuple[str, object] | None:
    """A new database ``name`` on the PostgreSQL server ``url`` points at, and a function
    dropping it; None when ``url`` is not a PostgreSQL server's."""
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    from contextlib import closing

    import psycopg2

    server = url.rsplit("?", 1)[0].rsplit("/", 1)[0]

    def run(statement: str) -> None:
        with closing(psycopg2.connect(f"{server}/postgres")) as admin:
            admin.autocommit = True
            admin.cursor().execute(statement)

    run(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}", lambda: run(f'DROP DATABASE IF EXISTS "{name}"')
