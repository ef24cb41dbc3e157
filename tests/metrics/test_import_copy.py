"""The COPY path for figures (metrics.importer.apply_copy) writes what the INSERT path does.

Each test imports the same workbook through COPY and through the batched
INSERT ... SELECT that SQLite uses, and compares the rows and history a user
would see. PostgreSQL only, as CI runs it.
"""

import datetime
from decimal import Decimal as D

import pytest
from django.db import DatabaseError, connection, transaction

from metrics import importer
from metrics.importer import apply_copy
from metrics.models import Actual
from tests.factories import ActualFactory, KpiFactory, UserFactory
from tests.metrics.import_helpers import (  # noqa: F401 (assessments: a fixture)
    ACTUALS_LONG,
    actuals_long,
    assessments,
    xlsx,
)

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY needs PostgreSQL (CI runs it)"
)

AWKWARD = "Tab\there, line\nbreak, CR\r\nback\\slash \\N, \"quotes\" 'single', Łódź café ✓ 10%"

ROW_FIELDS = ["kpi__code", "period", "value", "numerator", "denominator",
              "what_data_tells_us", "issues_and_risks", "evidence_of_impact", "source", "note",
              "version", "state", "updated_by__username", "reviewed_by__username",
              "returned_reason"]  # fmt: skip
HISTORY_FIELDS = ["history_type", "history_user__username", "history_change_reason",
                  "kpi_id", "period", "value", "numerator", "denominator", "what_data_tells_us",
                  "issues_and_risks", "evidence_of_impact", "source", "note", "version", "state",
                  "returned_reason"]  # fmt: skip


@pytest.fixture
def mixed(assessments):  # noqa: F811 (the fixture imported above)
    """A workbook of new and changed figures, with commentary COPY must escape."""
    counted = KpiFactory(code="PI.427")
    ActualFactory(kpi=assessments, period=datetime.date(2021, 6, 1), value=D(70))
    ActualFactory(kpi=counted, period=datetime.date(2021, 6, 1), value=D(10), note="Old")
    heading = [*ACTUALS_LONG, "Source", "Note"]
    return xlsx(
        {
            "Actuals": [
                heading,
                ["PI.426", "Jun 2021", 71, None, None, AWKWARD],
                ["PI.426", "Jul 2021", 72.5, None, None, "", AWKWARD, "Plain", "Audit", "Café"],
                ["PI.426", "Aug 2021", 73],
                ["PI.427", "Jun 2021", 11, None, None, None, None, None, None, "New note"],
                ["PI.427", "Jul 2021", None, 40, 80, "Half", None, None, "Return\\1"],
            ]
        }
    )


def imported(data: bytes, monkeypatch, *, copy: bool):
    """What the import writes with COPY on or off, undone afterwards."""
    monkeypatch.setattr(apply_copy, "available", lambda: copy)
    user = UserFactory(username="analyst")
    before = Actual.history.count()
    saved = transaction.savepoint()
    plan = importer.commit(data, user=user, reason="Late return")
    assert not plan.rejections, plan.rejections
    rows = sorted(Actual.objects.values_list(*ROW_FIELDS))
    history = sorted(Actual.history.order_by("history_id")[before:].values_list(*HISTORY_FIELDS))
    stamped = all(
        a.first_submitted_at and a.submitted_at and a.reviewed_at and a.updated_at
        for a in Actual.objects.filter(kpi__code="PI.426", period__month__gt=6)
    )
    transaction.savepoint_rollback(saved)
    return rows, history, stamped


def test_copy_writes_the_same_figures_and_history_as_the_insert_path(mixed, monkeypatch):
    copied = imported(mixed, monkeypatch, copy=True)
    inserted = imported(mixed, monkeypatch, copy=False)
    assert copied == inserted
    rows, history, stamped = copied
    assert stamped
    by_key = {(r[0], r[1].month): r for r in rows}
    assert by_key["PI.426", 6][5] == AWKWARD and by_key["PI.426", 6][10] == 2
    assert by_key["PI.426", 7][6:10] == (AWKWARD, "Plain", "Audit", "Café")
    assert by_key["PI.427", 7][2:5] == (D(50), D(40), D(80))
    assert by_key["PI.427", 7][8] == "Return\\1"
    assert {r[11] for r in rows} == {Actual.State.SIGNED_OFF}
    assert sorted(h[0] for h in history) == ["+", "+", "+", "~", "~"]
    assert {(h[1], h[2]) for h in history} == {("analyst", "Workbook import: Late return")}
    assert AWKWARD in {h[8] for h in history} and AWKWARD in {h[9] for h in history}


def test_copy_refuses_a_plan_whose_figure_changed_since_planning(assessments, monkeypatch):  # noqa: F811
    monkeypatch.setattr(apply_copy, "available", lambda: True)
    actual = ActualFactory(kpi=assessments, period=datetime.date(2021, 6, 1), value=D(70))
    plan = importer.preview(actuals_long(["PI.426", "Jun 2021", 75], ["PI.426", "Jul 2021", 76]))
    actual.value = D(71)
    actual.save()
    with pytest.raises(importer.StaleImport), transaction.atomic():
        importer.apply_plan(plan)
    actual.refresh_from_db()
    assert (actual.value, actual.version) == (71, 2)
    assert not Actual.objects.filter(period=datetime.date(2021, 7, 1)).exists()
    assert not Actual.history.filter(value__in=[75, 76]).exists()


def test_copy_leaves_nothing_half_written_when_the_database_refuses_a_row(
    assessments,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setattr(apply_copy, "available", lambda: True)
    plan = importer.preview(actuals_long(["PI.426", "Jun 2021", 75], ["PI.426", "Jul 2021", 76]))
    # Someone else saves July between the preview and the import.
    ActualFactory(kpi=assessments, period=datetime.date(2021, 7, 1), value=D(60))
    with pytest.raises(DatabaseError), transaction.atomic():
        importer.apply_plan(plan)
    assert list(Actual.objects.values_list("value", flat=True)) == [D(60)]
    assert Actual.history.filter(value__in=[75, 76]).count() == 0


def test_copy_writes_history_for_new_figures_whose_ids_have_gaps(mixed, monkeypatch):
    # Another session taking ids from the sequence at the same moment leaves gaps.
    taken, given = apply_copy._new_ids, []

    def with_gaps(cursor, count):
        given.extend(taken(cursor, count * 2)[::2])
        return given

    monkeypatch.setattr(apply_copy, "_new_ids", with_gaps)
    copied = imported(mixed, monkeypatch, copy=True)
    assert len(given) == 3 and max(given) - min(given) == 4
    assert copied == imported(mixed, monkeypatch, copy=False)
