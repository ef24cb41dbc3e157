"""The board pack in the browser, a page at a time, so no page outgrows the server's timeout.

Page 1 is the plan's summary, the contents (each area linking to the page
where it starts) and the figures not yet signed off; each later page holds
areas with at most ``area_page.PANELS_PER_PAGE`` KPI panels, a long area
carrying on over pages ("Area 3 (continued)"). Each page reads a fixed number
of queries and charts only its own panels. The downloads keep the whole pack
in one file (``reports.pack.build``, ``reports.pack_page.context``).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest

from metrics.models import Kpi
from metrics.summary import KpiRow, actions_judged_on, for_board, summarise_plan
from priorities.models import Action, Plan, PriorityArea
from reports import area_page, board, paging
from reports.pack import area_scope

PARAM = "page"


@dataclass(frozen=True)
class Slot:
    """KPIs ``start`` to ``stop`` of an area's ``count``, in code order, on one page."""

    area: int
    start: int
    stop: int
    count: int

    @property
    def last(self) -> bool:
        return self.stop >= self.count


def layout(counts: list[tuple[int, int]], per_page: int) -> list[list[Slot]]:
    """Areas, as (id, number of KPIs) in order, laid on pages of at most ``per_page`` panels.

    An area starts on a new page unless it fits whole in what is left of the page.
    """
    pages: list[list[Slot]] = []
    room = 0
    for area, count in counts:
        if not pages or count > room:
            pages.append([])
            room = per_page
        start = 0
        while True:
            stop = min(count, start + room)
            pages[-1].append(Slot(area, start, stop, count))
            room -= stop - start
            start = stop
            if start >= count:
                break
            pages.append([])
            room = per_page
    return pages


def _counts(plan: Plan) -> list[tuple[int, int]]:
    return list(
        PriorityArea.objects.filter(plan=plan)
        .order_by("number")
        .annotate(kpi_count=Count("kpis"))
        .values_list("pk", "kpi_count")
    )


def context(request: HttpRequest, plan: Plan, period: datetime.date, *, today) -> dict:
    """The pack page the request asks for (``?page=``; a bad number gives a page, not an error)."""
    counts = _counts(plan)
    pages = layout(counts, area_page.PANELS_PER_PAGE)
    page = paging.page_of([None, *pages], request, per_page=1, param=PARAM)
    query = request.GET.copy()

    def start_of(area: int, number: int) -> str:
        query[PARAM] = str(number)
        return f"?{query.urlencode()}#area-{area}"

    starts = {
        slot.area: start_of(slot.area, number)
        for number, slots in enumerate(pages, start=2)
        for slot in slots
        if slot.start == 0
    }
    shared = {
        "judged_on": actions_judged_on(period, today),
        "sign_off_required": settings.SIGN_OFF_REQUIRED,
        "pack_page": page,
        "front": page.number == 1,
        # Only the first page shows the plan's roll-up, contents and sign-off list.
        "rollup": None,
        "plan_line": None,
        "contents": [],
        "provisional": [],
        "provisional_page": None,
    }
    if page.number == 1:
        return {**shared, **_front(request, plan, period, today, starts)}
    slots = page.object_list[0]
    return {**shared, **_sections(slots, plan, period, today)}


def _front(request, plan: Plan, period: datetime.date, today, starts: dict[int, str]) -> dict:
    """The first page: the plan's status, the contents and the figures not yet signed off."""
    summary = summarise_plan(plan, period, today=today)
    provisional = [row for row in summary.rows if row.provisional]
    return {
        "rollup": summary.rollup,
        "plan_line": board.AreaLine(None, summary.rollup),
        "contents": [(board.AreaLine(s.area, s.rollup), starts[s.area.pk]) for s in summary.areas],
        "provisional": provisional,
        "provisional_page": paging.page_of(
            provisional, request, per_page=area_page.ROWS_PER_PAGE, param="signoff"
        ),
        "sections": [],
    }


def _sections(slots: list[Slot], plan: Plan, period: datetime.date, today) -> dict:
    """The areas a page holds, each with every KPI's row and the page's panels."""
    on = actions_judged_on(period, today)
    ids = [slot.area for slot in slots]
    areas = {
        area.pk: area
        for area in PriorityArea.objects.filter(pk__in=ids)
        .select_related("responsible_officer")
        .with_action_counts(on)
    }
    rows: dict[int, list[KpiRow]] = {pk: [] for pk in ids}
    kpis = Kpi.objects.filter(areas__in=ids).distinct().order_by("code")
    for row in for_board(kpis, period, today=today):
        for area in row.kpi.areas.all():
            if area.pk in rows:
                rows[area.pk].append(row)
    shown = {row.kpi.pk for s in slots for row in rows[s.area][s.start : s.stop]}
    history = area_page.charted(shown, on)
    actions: dict[int, list[Action]] = {pk: [] for pk in ids}
    for action in Action.objects.filter(area__in=ids).select_related("owner").as_at(on):
        actions[action.area_id].append(action)
    sections = []
    for slot in slots:
        area = areas[slot.area]
        area.plan = plan
        shown_rows = rows[slot.area][slot.start : slot.stop]
        mine = {row.kpi.pk for row in shown_rows}
        report = board.area_report(
            area,
            [kpi for kpi in history if kpi.pk in mine],
            actions[area.pk],
            period,
            today=today,
            scope=area_scope(area.pk),
            rows=rows[slot.area],
        )
        links = [
            area_page.KpiLink(row, "#" + area_page.panel_id(area_scope(area.pk), row.kpi.pk))
            for row in shown_rows
        ]
        sections.append(
            area_page.Section(
                report,
                links,
                area_page.action_table(report, None) if slot.last else None,
                first=slot.start == 0,
                part=area_page.part_of(slot.start + 1, slot.stop, slot.count),
            )
        )
    return {"sections": sections}
