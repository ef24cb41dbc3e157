"""Each import as an ImportRun: preview, confirm, cancel, expire; and the one-step commit.

An import runs in three steps, kept apart so that nothing is written until
the analyst has seen exactly what will change: read the file (xlsx.py,
refusing what is not a plain .xlsx), plan it against the database
(planner.py: new, changed, unchanged, rejected) and apply the plan
(apply.py). ``commit`` does all three in one transaction. A preview from
the admin keeps the file and a fingerprint of the rows it read until it is
confirmed or cancelled.
"""

import gc
import hashlib
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from metrics.importer.apply import apply_plan
from metrics.importer.errors import StaleImport, WorkbookRefused
from metrics.importer.plan import ImportPlan
from metrics.importer.planner import plan_workbook
from metrics.importer.xlsx import read_workbook
from metrics.models import ImportRun


def refuse_file(
    *, file_name: str, size: int, message: str, user=None, via: str = ImportRun.Via.ADMIN
) -> ImportRun:
    """Record a file refused before it was read (too large to accept at all)."""
    return ImportRun.objects.create(
        user=user if getattr(user, "pk", None) else None,
        via=via,
        file_name=file_name[:255],
        file_size=size,
        outcome=ImportRun.Outcome.REFUSED,
        message=message,
        finished_at=timezone.now(),
    )


def preview(
    data: bytes, *, reason: str = "", fingerprint: bool = False, allow_locked: bool = False
) -> ImportPlan:
    """Read and plan a file. Raises WorkbookRefused when the file itself is refused."""
    with collector_paused():
        return plan_workbook(
            read_workbook(data), reason=reason, fingerprint=fingerprint, allow_locked=allow_locked
        )


@contextmanager
def collector_paused():
    """Run an import without Python's cycle collector, and restore it after.

    A large import makes a few hundred thousand small objects (cells,
    figures, changes) and keeps them until it ends. None of them form
    cycles, yet the collector would sweep them over and over as they pile
    up, which costs about a fifth of the import's time. Memory is still
    freed as usual by reference counting. The switch is process-wide, so in
    a threaded server other requests also go without the collector for the
    second or so an import takes; gunicorn's default workers run one request
    at a time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Applying ---------------------------------------------------------------------


def commit(
    data: bytes,
    *,
    user=None,
    reason: str = "",
    expected_fingerprint: str = "",
    run_id: int | None = None,
) -> ImportPlan:
    """Read, plan and apply a file in one transaction; nothing is written unless all is clean.

    Returns the plan; if it has rejections nothing was written. With
    ``expected_fingerprint`` (from the preview) raises StaleImport when the
    rows the import reads changed since the preview.
    """
    with collector_paused():
        book = read_workbook(data)
        try:
            with transaction.atomic():
                plan = plan_workbook(
                    book, reason=reason, lock=True, fingerprint=bool(expected_fingerprint)
                )
                if expected_fingerprint and plan.fingerprint != expected_fingerprint:
                    raise StaleImport()
                if plan.rejections:
                    return plan
                apply_plan(plan, user=user, run_id=run_id)
        except DatabaseError as error:
            # Most likely a row written by someone else between planning and writing.
            raise StaleImport(
                "The database refused the import, so nothing was written: most likely someone "
                f"changed the same rows at the same moment ({type(error).__name__}). Preview "
                "the file again; if this happens again, tell the site administrator."
            ) from error
    return plan


# Import runs: the record every preview and import leaves -------------------------


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def start_run(
    *,
    data: bytes,
    file_name: str,
    user=None,
    via: str = ImportRun.Via.ADMIN,
    reason: str = "",
    apply: bool = False,
) -> tuple[ImportRun, ImportPlan | None]:
    """Preview (or, with ``apply``, import) a file and record the run.

    A preview from the admin keeps the file and a fingerprint of the rows it
    read, for ``confirm_run``. The plan is None when the file was refused.
    """
    run = ImportRun.objects.create(
        user=user if getattr(user, "pk", None) else None,
        via=via,
        file_name=file_name[:255],
        file_size=len(data),
        sha256=file_digest(data),
        reason=reason.strip()[:300],
    )
    keep = via == ImportRun.Via.ADMIN and not apply
    try:
        if apply:
            plan = commit(data, user=user, reason=reason, run_id=run.pk)
        else:
            plan = preview(data, reason=reason, fingerprint=keep, allow_locked=keep)
    except (WorkbookRefused, StaleImport) as refused:
        _finish(run, ImportRun.Outcome.REFUSED, str(refused))
        return run, None
    run.counts = plan.counts()
    run.report = plan.report()
    run.fingerprint = plan.fingerprint
    if plan.rejections:
        _finish(run, ImportRun.Outcome.REJECTED, _rejected_message(plan))
    elif apply:
        _finish(run, ImportRun.Outcome.APPLIED, f"{plan.change_count} change(s) applied.")
    elif keep:
        run.message = f"{plan.change_count} change(s) ready to apply."
        run.file_data = data
        run.save()
    else:
        _finish(run, ImportRun.Outcome.PREVIEWED, f"Preview only: {plan.change_count} change(s).")
    return run, plan


def _rejected_message(plan: ImportPlan) -> str:
    count = len(plan.rejections)
    return f"{count} problem{'' if count == 1 else 's'} found: nothing was written."


def confirm_run(run: ImportRun, *, user=None, reason: str = "") -> ImportPlan:
    """Apply a previewed run, re-reading the very bytes that were previewed.

    The run's row stays locked from the check that it is still pending to
    its outcome, which is written in the same transaction as the figures:
    of two confirmations at once, or a confirmation and a cancellation, the
    second finds the run ended and changes nothing, so the record stays true.
    Raises StaleImport (and marks the run refused) when the data changed since
    the preview; returns the plan, with rejections if, say, a locked month
    still needs a reason (then nothing is written and the run stays open).
    """
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(pk=run.pk)
        if locked.outcome != ImportRun.Outcome.PREVIEWED or not locked.file_data:
            plan = None
            error = StaleImport("This preview can no longer be confirmed: upload the file again.")
        else:
            plan, error = _confirm_locked(locked, user=user, reason=reason)
    run.refresh_from_db()
    if error is not None:
        raise error
    return plan


def _confirm_locked(run: ImportRun, *, user, reason: str):
    """Confirm a run whose row is locked: the plan, or the error to raise once the run is saved."""
    if run.created_at < ImportRun.preview_cutoff():
        hours = settings.IMPORT_PREVIEW_HOURS
        _finish(
            run,
            ImportRun.Outcome.CANCELLED,
            f"Not confirmed within {hours} hours: nothing was written.",
        )
        return None, StaleImport(
            f"This preview is more than {hours} hours old, so the data may have moved on: "
            "upload the file again to see a fresh preview."
        )
    data = bytes(run.file_data)
    if file_digest(data) != run.sha256:
        return None, StaleImport(
            "The stored file does not match its preview: upload the file again."
        )
    try:
        plan = commit(
            data, user=user, reason=reason, expected_fingerprint=run.fingerprint, run_id=run.pk
        )
    except (StaleImport, WorkbookRefused) as error:
        _finish(run, ImportRun.Outcome.REFUSED, str(error))
        stale = StaleImport(str(error))
        stale.__cause__ = error
        return None, stale
    if plan.rejections:
        return plan, None
    run.reason = reason.strip()[:300]
    run.counts = plan.counts()
    run.report = plan.report()
    _finish(run, ImportRun.Outcome.APPLIED, f"{plan.change_count} change(s) applied.")
    return plan, None


def cancel_run(run: ImportRun) -> bool:
    """End a pending preview, writing nothing; False if it had already ended (say, confirmed)."""
    with transaction.atomic():
        locked = ImportRun.objects.select_for_update().defer("file_data").get(pk=run.pk)
        cancelled = locked.is_pending
        if cancelled:
            _finish(locked, ImportRun.Outcome.CANCELLED, "Cancelled: nothing was written.")
    run.refresh_from_db()
    return cancelled


def _finish(run: ImportRun, outcome: str, message: str) -> None:
    run.outcome, run.message, run.finished_at = outcome, message, timezone.now()
    run.file_data = None
    run.save()


def expire_previews(user) -> None:
    """Free the files of previews nobody will confirm, recording why.

    A new upload replaces the same user's earlier unconfirmed previews; any
    upload also ends everyone's previews older than IMPORT_PREVIEW_HOURS,
    which can no longer be confirmed.
    """
    waiting = ImportRun.objects.filter(outcome=ImportRun.Outcome.PREVIEWED, file_data__isnull=False)
    now = timezone.now()
    ended = {"file_data": None, "outcome": ImportRun.Outcome.CANCELLED, "finished_at": now}
    waiting.filter(user=user).update(
        message="Replaced by a later upload: nothing was written.", **ended
    )
    waiting.filter(created_at__lt=ImportRun.preview_cutoff()).update(
        message=f"Not confirmed within {settings.IMPORT_PREVIEW_HOURS} hours: nothing was written.",
        **ended,
    )
