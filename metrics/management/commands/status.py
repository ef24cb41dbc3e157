import csv
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from metrics import display, periods
from metrics.importer import escape_cell_text
from metrics.models import Kpi
from metrics.summary import KpiRow, actions_judged_on, for_board
from priorities.models import Action, Plan

# "provisional" last, so a reader of the older columns by position still finds them.
COLUMNS = [
    "code",
    "title",
    "period",
    "actual",
    "target",
    "status",
    "direction",
    "trajectory",
    "provisional",
]
ACTION_COLUMNS = [
    "plan",
    "area",
    "ref",
    "description",
    "owner",
    "original_date",
    "current_date",
    "slippage_months",
    "status",
    "overdue",
]
NOT_REPORTED = "Not yet reported"


def _csv_row(row: KpiRow) -> list[str]:
    places = row.kpi.decimal_places
    return [
        # Text a spreadsheet would run as a formula is escaped, as in every export.
        escape_cell_text(row.kpi.code),
        escape_cell_text(row.kpi.title),
        row.period.strftime("%Y-%m"),
        display.number(row.value, places, grouping=False),
        display.step(row.target, places, grouping=False),
        row.status.value,
        row.direction.value if row.direction else "",
        row.trajectory.verdict.value,
        # A figure not yet signed off (Actual.is_provisional); "no" with no figure.
        "yes" if row.provisional else "no",
    ]


def _day(day: datetime.date | None) -> str:
    return day.isoformat() if day else ""


def _action_row(action: Action, on: datetime.date) -> list[str]:
    """An action as it stood at the end of ``on``, fetched ``as_at(on)``."""
    state = action.state_on(on)
    return [
        escape_cell_text(action.area.plan.title),
        str(action.area.number),
        escape_cell_text(action.ref),
        escape_cell_text(action.description),
        escape_cell_text(action.owner.role_title if action.owner else ""),
        _day(action.original_delivery_date),
        _day(state.current_delivery_date if state else None),
        str(action.slippage_months(state)),
        state.status_label if state else NOT_REPORTED,
        "yes" if action.overdue_in(state, on) else "no",
    ]


def _ref_order(action: Action) -> tuple:
    """The plan's order: by plan, area, then reference."""
    return (action.area.plan_id, action.area.number, action.ref_key)


def _totals(counts: dict[str, int], on: datetime.date) -> str:
    return (
        f"As they stood on {on:%-d %B %Y}: {counts['completed']} completed, "
        f"{counts['in_progress']} in progress, {counts['not_started']} not started, "
        f"{counts['not_reported']} not yet reported, of {counts['total']}; "
        f"{counts['overdue']} overdue."
    )


class Command(BaseCommand):
    help = (
        "Print every KPI's actual, target, RAG status, direction, trajectory and whether the "
        "figure is provisional (not yet signed off) for a period; "
        "with --actions, every action as it stood at the period's end."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--period",
            help="Month as YYYY-MM (default: the latest completed month). "
            "Quarterly KPIs show their latest quarter ending in or before it.",
        )
        parser.add_argument("--plan", type=int, help="Only the KPIs of this plan (its id).")
        parser.add_argument(
            "--actions",
            action="store_true",
            help="List the actions instead of the KPIs: each one's dates, slippage in months, "
            "status and whether overdue, as it stood at the end of the month (or today, if "
            "sooner), the day the board pages judge them.",
        )
        parser.add_argument("--format", choices=["text", "csv"], default="text")

    def handle(self, *args, period, plan, actions: bool, format: str, **options):
        today = timezone.localdate()
        try:
            month = periods.parse_month(period) if period else periods.latest_completed_month(today)
        except ValueError as error:
            raise CommandError(f"--period: {error}") from error
        chosen = self._plan(plan)
        if actions:
            on = actions_judged_on(month, today)
            found = Action.objects.select_related("area__plan", "owner")
            if chosen is not None:
                found = found.filter(area__plan=chosen)
            rows = [_action_row(a, on) for a in sorted(found.as_at(on), key=_ref_order)]
            totals = _totals(found.status_counts(on), on)
            self._print(ACTION_COLUMNS, rows, format, footer=totals)
            return
        kpis = Kpi.objects.all() if chosen is None else Kpi.objects.for_plan(chosen)
        rows = [_csv_row(row) for row in for_board(kpis.order_by("code"), month)]
        self._print(COLUMNS, rows, format)

    def _plan(self, pk: int | None) -> Plan | None:
        if pk is None:
            return None
        try:
            return Plan.objects.get(pk=pk)
        except Plan.DoesNotExist as error:
            ids = ", ".join(f"{p.pk} ({p.title})" for p in Plan.objects.all()) or "none"
            raise CommandError(f"--plan: there is no plan {pk}. Plans: {ids}.") from error

    def _print(self, columns: list[str], rows: list[list[str]], format: str, footer: str = ""):
        """CSV for a spreadsheet (rows only), or columns to read in a terminal."""
        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)
            return
        table = [columns, *rows]
        widths = [min(max(len(r[i]) for r in table), 50) for i in range(len(columns))]
        for line in table:
            cells = [cell[:50].ljust(width) for cell, width in zip(line, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())
        if footer:
            self.stdout.write(footer)
