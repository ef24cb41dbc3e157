"""The stamps board pages cache their rendering under: one per KPI, per area and for the plans.

Every write (page, admin, import, sign-off, seed) leaves a history row, so the
newest history id among the rows about a thing moves whenever it changes, and
no write path needs a hook. A page's cache key is made of the stamps of what
it shows, so saving one KPI's figure leaves every other KPI's fragments and
every other plan's pages warm.

- A KPI's stamp: its own row (and its links to areas and actions), its
  figures, targets, benchmarks, definition changes and formula.
- An area's stamp: its own row and its actions (an action's later rows count
  for every area it was ever in, so moving one away changes the area it left).
- The plans' stamp: every plan's row and every officer's (the plan selector
  lists all plans; officers are named on every page). Rarely written.

A page that shows no figure for a month after its own (the overview for a
month) reads KPI stamps ``until`` that month: only the history of figures that
are, or ever were, for a month up to then. In the submission rush, figures for
the latest month then leave last year's overviews warm.

Reading per-KPI stamps is one grouped query over the history; a warm page
first reads the newest history id of every table (one query, by index) and
reuses the grouped answer cached under it until anything is written.
"""

import datetime
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet

from metrics.models import Actual, Benchmark, DefinitionChange, Kpi, KpiFormula, Target
from priorities.models import Action, Officer, Plan, PriorityArea

# History tables of rows about one KPI, with the column naming the KPI.
KPI_HISTORY = [(Actual, "kpi_id"), (Target, "kpi_id"), (Benchmark, "kpi_id"),
               (DefinitionChange, "kpi_id"), (KpiFormula, "kpi_id"), (Kpi, "id")]  # fmt: skip
SHARED_HISTORY = [Plan, Officer]
EVERY_HISTORY = [model for model, _ in KPI_HISTORY] + [Action, PriorityArea] + SHARED_HISTORY


@functools.cache
def _table(model) -> str:
    # Cached: each read of ``model.history`` builds a new manager (about 0.7 ms),
    # and a warm page reads the stamps' ten tables more than once.
    return connection.ops.quote_name(model.history.model._meta.db_table)


def _max_ids(models: list) -> str:
    """The newest history id of each model's history table, joined. One query, by index."""
    selects = ", ".join(f"(SELECT MAX(history_id) FROM {_table(m)})" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        return "-".join(str(value or 0) for value in cursor.fetchone())


def data_stamp() -> str:
    """A token that changes whenever anything a board page shows changes, anywhere. One query."""
    return _max_ids(EVERY_HISTORY)


def digest(*parts) -> str:
    return hashlib.md5(repr(parts).encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class Stamps:
    """The stamps of the KPIs and areas a page shows, and of the plans."""

    kpis: dict[int, str]
    areas: dict[int, str]
    plans: str

    def kpi(self, pk: int) -> str:
        """A KPI's part of a fragment key (with the plans', for the officers it names)."""
        return f"k{pk}.{self.kpis.get(pk, 0)}.{self.plans}"

    def area(self, pk: int) -> str:
        """An area's part of a fragment key: its row and its actions (a chart's marks)."""
        return f"a{pk}.{self.areas.get(pk, 0)}"

    @property
    def key(self) -> str:
        """The whole page's key: every stamp it shows, the set of KPIs and areas included."""
        return digest(sorted(self.kpis.items()), sorted(self.areas.items()), self.plans)


def _in(sql_params: tuple[str, tuple]) -> tuple[str, tuple]:
    sql, params = sql_params
    return f"IN ({sql})", tuple(params)


def _grouped(kpis: QuerySet, areas: QuerySet, until: datetime.date | None = None) -> Stamps:
    """One query: the newest history id per KPI in ``kpis`` and per area in ``areas``, per table.

    Ids of different history tables are not comparable, so a stamp keeps one per table.
    ``until``: only the figures that are, or ever were, for a month up to then.
    """
    kpi_in, kpi_params = _in(kpis.values("pk").query.sql_with_params())
    area_in, area_params = _in(areas.values("pk").query.sql_with_params())
    parts, params = [], []
    for n, (model, column) in enumerate(KPI_HISTORY):
        where = f"{column} {kpi_in}"
        params += kpi_params
        if until is not None and model is Actual:
            # Every row of a figure that was ever for such a month: moving one
            # to a later month changes the months it left.
            where += f" AND id IN (SELECT id FROM {_table(model)} WHERE {where} AND period <= %s)"
            params += [*kpi_params, until]
        parts.append(
            f"SELECT 'k', {n}, {column}, MAX(history_id) FROM {_table(model)} "
            f"WHERE {where} GROUP BY {column}"
        )
    action = _table(Action)
    parts.append(
        f"SELECT 'a', 0, h0.area_id, MAX(h1.history_id) FROM {action} h0 "
        f"JOIN {action} h1 ON h1.id = h0.id WHERE h0.area_id {area_in} GROUP BY h0.area_id"
    )
    parts.append(
        f"SELECT 'a', 1, id, MAX(history_id) FROM {_table(PriorityArea)} "
        f"WHERE id {area_in} GROUP BY id"
    )
    params += area_params * 2
    for n, model in enumerate(SHARED_HISTORY):
        parts.append(f"SELECT 'p', {n}, 0, MAX(history_id) FROM {_table(model)}")
    found: dict[str, dict[int, list[int]]] = {"k": {}, "a": {}, "p": {}}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, table, pk, newest in cursor.fetchall():
            found[kind].setdefault(pk, [0] * len(KPI_HISTORY))[table] = newest or 0
    kpi_stamps, area_stamps = ({pk: "-".join(map(str, ids)) for pk, ids in found[kind].items()}
                               for kind in "ka")  # fmt: skip
    return Stamps(kpi_stamps, area_stamps, "-".join(map(str, found["p"].get(0, []))))


def cache_key(name: str, until: datetime.date | None = None) -> str:
    """Where the stamps of ``name`` (e.g. "area3", "plan1") are cached until the next write."""
    return f"stamps:{name}:{until or ''}:{data_stamp()}"


def _cached(name: str, kpis: QuerySet, areas: QuerySet, until=None) -> Stamps:
    # Keyed by the newest id of every history table: any write anywhere makes
    # the next page read its stamps again (one grouped query), and until then
    # every page reuses them.
    key = cache_key(name, until)
    stamps = cache.get(key)
    if stamps is None:
        stamps = _grouped(kpis, areas, until)
        cache.set(key, stamps, 24 * 60 * 60)
    return stamps


def _plan_name(plan: int | QuerySet) -> str:
    if isinstance(plan, QuerySet):
        return "plan-of-" + digest(*plan.query.sql_with_params())
    return f"plan{plan}"


def for_plan(plan: int | QuerySet, name: str = "", *, until: datetime.date | None = None) -> Stamps:
    """Stamps of every KPI and area of a plan: the overview, its areas and its pack.

    ``plan`` is the plan's id, or a subquery giving it (as a page that has not
    read the plan yet has). ``until``: a page that shows no figure for a later
    month (the overview for a month) is not made cold by one.
    """
    return _cached(
        name or _plan_name(plan),
        Kpi.objects.filter(areas__plan=plan),
        PriorityArea.objects.filter(plan=plan),
        until,
    )


T = TypeVar("T")


def about_plan(what: str, plan: int | QuerySet, compute: Callable[[], T]) -> T:
    """``compute()``'s answer about a plan, cached until the plan's stamp moves.

    A write to the plan's KPIs or areas shows at once; a write to another plan
    leaves the answer cached. ``compute`` must not return None.
    """
    name = _plan_name(plan)
    key = f"{what}:{name}:{for_plan(plan, name).key}"
    answer = cache.get(key)
    if answer is None:
        answer = compute()
        cache.set(key, answer, 24 * 60 * 60)
    return answer


def for_area(area_pk: int) -> Stamps:
    """Stamps of an area and of the KPIs that evidence it."""
    return _cached(
        f"area{area_pk}",
        Kpi.objects.filter(areas=area_pk),
        PriorityArea.objects.filter(pk=area_pk),
    )


def for_kpi(kpi_pk: int) -> Stamps:
    """Stamps of a KPI (and the KPIs it is worked out from) and of the areas it evidences."""
    return _cached(
        f"kpi{kpi_pk}",
        Kpi.objects.filter(pk=kpi_pk)
        | Kpi.objects.filter(formulas_as_first__kpi=kpi_pk)
        | Kpi.objects.filter(formulas_as_second__kpi=kpi_pk),
        PriorityArea.objects.filter(kpis=kpi_pk),
    )
