"""Two people saving the same figure at once: exactly one wins, the rest are told.

Row locks are a PostgreSQL matter (SQLite serialises every write), so these
run where CI runs them: against the PostgreSQL server.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from metrics.models import Actual
from metrics.services import StaleEdit, save_actual
from tests.factories import ActualFactory, KpiFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locking needs PostgreSQL (CI runs it)"
    ),
]
PERIOD = datetime.date(2021, 9, 1)
THREADS = 20


def race(kpi, user, expected_version):
    barrier = threading.Barrier(THREADS)
    outcomes = []
    lock = threading.Lock()

    def attempt(n):
        barrier.wait()
        try:
            save_actual(
                kpi=kpi,
                period=PERIOD,
                user=user,
                expected_version=expected_version,
                value=Decimal(60 + n),
            )
            result = "saved"
        except StaleEdit:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_twenty_concurrent_edits_of_one_figure_save_once_and_refuse_the_rest():
    kpi, user = KpiFactory(), UserFactory()
    actual = ActualFactory(kpi=kpi, period=PERIOD, value=Decimal("90.1"))
    outcomes = race(kpi, user, expected_version=actual.version)
    assert len(outcomes) == THREADS
    assert outcomes.count("saved") == 1
    assert outcomes.count("refused") == THREADS - 1
    stored = Actual.objects.get(pk=actual.pk)
    assert stored.version == actual.version + 1
    assert actual.history.count() == 2  # the factory's row and the one saved edit


def test_twenty_concurrent_first_entries_create_one_figure():
    kpi, user = KpiFactory(), UserFactory()
    outcomes = race(kpi, user, expected_version=None)
    assert outcomes.count("saved") == 1
    assert outcomes.count("refused") == THREADS - 1
    assert Actual.objects.filter(kpi=kpi, period=PERIOD).count() == 1
