import csv

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from metrics import display, periods
from metrics.importer import escape_cell_text
from metrics.models import Kpi
from metrics.summary import KpiRow, for_board
from priorities.models import Plan

COLUMNS = ["code", "title", "period", "actual", "target", "status", "direction", "trajectory"]


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
    ]


class Command(BaseCommand):
    help = "Print every KPI's actual, target, RAG status, direction and trajectory for a period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--period",
            help="Month as YYYY-MM (default: the latest completed month). "
            "Quarterly KPIs show their latest quarter ending in or before it.",
        )
        parser.add_argument("--plan", type=int, help="Only the KPIs of this plan (its id).")
        parser.add_argument("--format", choices=["text", "csv"], default="text")

    def handle(self, *args, period: str | None, plan: int | None, format: str, **options):
        try:
            month = (
                periods.parse_month(period)
                if period
                else periods.latest_completed_month(timezone.localdate())
            )
        except ValueError as error:
            raise CommandError(f"--period: {error}") from error
        kpis = Kpi.objects.all()
        if plan is not None:
            try:
                kpis = kpis.for_plan(Plan.objects.get(pk=plan))
            except Plan.DoesNotExist as error:
                ids = ", ".join(f"{p.pk} ({p.title})" for p in Plan.objects.all()) or "none"
                raise CommandError(f"--plan: there is no plan {plan}. Plans: {ids}.") from error
        rows = [_csv_row(row) for row in for_board(kpis.order_by("code"), month)]

        if format == "csv":
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(rows)
            return
        table = [COLUMNS, *rows]
        widths = [min(max(len(r[i]) for r in table), 50) for i in range(len(COLUMNS))]
        for line in table:
            cells = [cell[:50].ljust(width) for cell, width in zip(line, widths, strict=True)]
            self.stdout.write("  ".join(cells).rstrip())
