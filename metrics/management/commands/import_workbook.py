"""Import a workbook from the command line, as the admin's Import workbook page does.

Exit status: 0 previewed clean or applied, 1 rows rejected (nothing written),
2 the file itself refused.
"""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from metrics import importer
from metrics.models import ImportRun

EXIT_OK, EXIT_REJECTED, EXIT_REFUSED = 0, 1, 2


class Command(BaseCommand):
    help = (
        "Preview importing a workbook (KPIs, Targets, Actuals, Benchmarks, Actions sheets): "
        "counts per sheet and every rejected cell. Nothing is written without --commit. "
        "Exit status 0: clean (or applied), 1: rows rejected, 2: file refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .xlsx workbook.")
        parser.add_argument(
            "--commit",
            action="store_true",
            help="Apply the import, all of it in one transaction, if no row is rejected.",
        )
        parser.add_argument(
            "--reason", default="", help="Why locked months are changed (required to change them)."
        )
        parser.add_argument("--user", help="Username recorded as having made the changes.")

    def handle(self, *args, file: Path, commit: bool, reason: str, user: str | None, **options):
        account = None
        if user:
            account = get_user_model().objects.filter(username=user).first()
            if account is None:
                raise CommandError(f"There is no user {user!r}.")
        try:
            size = file.stat().st_size
            if problem := importer.size_problem(size):
                self._refused(
                    importer.refuse_file(
                        file_name=file.name,
                        size=size,
                        message=problem,
                        user=account,
                        via=ImportRun.Via.COMMAND,
                    )
                )
            data = file.read_bytes()
        except OSError as error:
            self.stderr.write(f"Cannot read {file}: {error.strerror or error}")
            sys.exit(EXIT_REFUSED)
        run, plan = importer.start_run(
            data=data,
            file_name=file.name,
            user=account,
            via=ImportRun.Via.COMMAND,
            reason=reason,
            apply=commit,
        )
        if plan is None:
            self._refused(run)
        self._report(plan, verbose=options["verbosity"] > 1)
        if plan.rejections:
            if any(issue.locked for issue in plan.rejections):
                self.stdout.write("Changing locked months needs a reason: give one with --reason.")
            self.stdout.write(f"{len(plan.rejections)} problem(s): nothing was written.")
            sys.exit(EXIT_REJECTED)
        if commit:
            self.stdout.write(f"Applied {plan.change_count} change(s) (import {run.pk}).")
        else:
            self.stdout.write(
                f"Preview only: {plan.change_count} change(s), nothing was written. "
                "Run again with --commit to apply."
            )
        sys.exit(EXIT_OK)

    def _refused(self, run: ImportRun):
        self.stderr.write(f"Refused: {run.message}")
        sys.exit(EXIT_REFUSED)

    def _report(self, plan: importer.ImportPlan, *, verbose: bool) -> None:
        write = self.stdout.write
        write(
            f"{'Sheet':<12}{'Layout':<8}{'New':>8}{'Changed':>9}{'Unchanged':>11}{'Rejected':>10}"
        )
        for sheet in plan.sheets.values():
            if sheet.present:
                write(
                    f"{sheet.name:<12}{sheet.layout:<8}{sheet.new:>8}{sheet.changed:>9}"
                    f"{sheet.unchanged:>11}{sheet.rejected:>10}"
                )
        for notice in plan.notices:
            write(notice)
        if plan.rejections:
            write("\nRejected:")
            for issue in plan.rejections:
                write(f"  {issue}")
        if plan.warnings:
            write("\nWarnings:")
            for issue in plan.warnings:
                write(f"  {issue}")
        if verbose and plan.changes:
            write("\nChanges:")
            for change in plan.changes:
                described = importer.describe_change(change)
                fields = "; ".join(
                    f"{f['field']}: {f['old'] or '(new)'} -> {f['new']}"
                    for f in described["fields"]
                )
                where = f"{change.sheet} row {change.row} {change.title}"
                write(f"  {where} ({described['kind']}): {fields}")
        write("")
