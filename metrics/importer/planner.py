"""The whole workbook planned: every sheet's planner, in the order the sheets depend on."""

import datetime
import hashlib

from django.utils import timezone

from metrics.importer.columns import ACTIONS, ACTUALS, BENCHMARKS, FINDINGS, KPIS, TARGETS
from metrics.importer.layout import Book
from metrics.importer.plan import ImportPlan
from metrics.importer.plan_actions import ActionsPlanner
from metrics.importer.plan_actuals import ActualsPlanner
from metrics.importer.plan_figures import FigurePlanner
from metrics.importer.plan_findings import FindingsPlanner
from metrics.importer.plan_kpis import KpiPlanner


class Planner(KpiPlanner, FigurePlanner, ActualsPlanner, ActionsPlanner, FindingsPlanner):
    def run(self) -> ImportPlan:
        for kind, sheet in self.book.sheets.items():
            summary = self.plan.sheets[kind]
            summary.present, summary.layout = True, sheet.layout
            self.plan.rejections.extend(sheet.problems)
            if sheet.ignored:
                self.plan.notices.append(
                    f"Sheet {sheet.title}: columns not imported: {', '.join(sheet.ignored)}."
                )
        if self.book.skipped:
            self.plan.notices.append(f"Sheets not read: {', '.join(self.book.skipped)}.")
        steps = [
            (KPIS, self.plan_kpis),
            (TARGETS, self.plan_targets),
            (ACTUALS, self.plan_actuals),
            (BENCHMARKS, self.plan_benchmarks),
            (ACTIONS, self.plan_actions),
            (FINDINGS, self.plan_findings),
        ]
        for kind, step in steps:
            if kind in self.book.sheets:
                step(self.book.sheets[kind], self.plan.sheets[kind])
        self.note_skipped()
        if self.state is not None:
            digest = hashlib.sha256()
            for line in self.state:
                digest.update(line.encode())
                digest.update(b"\n")
            self.plan.fingerprint = digest.hexdigest()
        return self.plan


def plan_workbook(
    book: Book,
    *,
    reason: str = "",
    today: datetime.date | None = None,
    lock: bool = False,
    fingerprint: bool = False,
    allow_locked: bool = False,
) -> ImportPlan:
    """What importing the workbook would change, without writing anything.

    A change to a locked month is rejected unless there is a ``reason``;
    ``allow_locked`` plans it anyway, flagged, for a preview that asks for
    the reason at confirmation. ``lock`` locks the rows read (use it inside
    the transaction that applies the plan). With ``fingerprint`` the plan
    carries a hash of the database rows it read, so a later confirm can tell
    whether anything changed since.
    """
    return Planner(
        book,
        reason=reason,
        today=today or timezone.localdate(),
        lock=lock,
        fingerprint=fingerprint,
        allow_locked=allow_locked,
    ).run()
