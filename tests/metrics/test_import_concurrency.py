"""Requests confirming or cancelling one import run at the same moment.

Whatever the order the database serves them in, the import is applied at
most once and the run's record says what happened to the figures. The run's
row lock only matters where writers overlap, so these need PostgreSQL (CI).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from metrics import importer
from metrics.models import Actual, ImportRun
from tests.factories import KpiFactory, UserFactory
from tests.metrics.import_helpers import actuals_wide

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locking needs PostgreSQL (CI runs it)"
    ),
]
THREADS = 8


def at_once(*actions) -> list[str]:
    """Run each action in its own thread and connection, all starting together."""
    barrier = threading.Barrier(len(actions))

    def attempt(action) -> str:
        barrier.wait()
        try:
            return action()
        except importer.StaleImport:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(actions)) as pool:
        return list(pool.map(attempt, actions, timeout=60))


def previewed_run():
    kpi, user = KpiFactory(code="PI.426"), UserFactory()
    run, plan = importer.start_run(
        data=actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", 75, 76]),
        file_name="t.xlsx",
        user=user,
    )
    assert not plan.rejections, plan.rejections
    return kpi, user, run


def confirm(run, user):
    def action():
        importer.confirm_run(ImportRun.objects.get(pk=run.pk), user=user)
        return "applied"

    return action


def cancel(run):
    def action():
        return "cancelled" if importer.cancel_run(ImportRun.objects.get(pk=run.pk)) else "late"

    return action


def test_confirmations_of_one_run_at_once_apply_it_once_and_it_reads_applied():
    kpi, user, run = previewed_run()
    outcomes = at_once(*(confirm(run, user) for _ in range(THREADS)))
    assert sorted(outcomes) == ["applied"] + ["refused"] * (THREADS - 1)
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.APPLIED and run.message == "2 change(s) applied."
    assert Actual.objects.filter(kpi=kpi).count() == 2 and Actual.history.count() == 2


@pytest.mark.parametrize("rounds", range(3))
def test_a_confirmation_and_a_cancellation_at_once_leave_a_record_that_matches_the_data(rounds):
    kpi, user, run = previewed_run()
    confirmed, cancelled = at_once(confirm(run, user), cancel(run))
    run.refresh_from_db()
    written = Actual.objects.filter(kpi=kpi).count()
    if confirmed == "applied":
        assert cancelled == "late"
        assert run.outcome == ImportRun.Outcome.APPLIED and written == 2
    else:
        assert (confirmed, cancelled) == ("refused", "cancelled")
        assert run.outcome == ImportRun.Outcome.CANCELLED and written == 0
