"""An import run's record stays true whatever order confirmations and cancellations come in.

A run is read by each request before it acts; these tests act on copies
read before another request confirmed or cancelled the run, as two browser
tabs or a double click would.
"""

import pytest
from django.urls import reverse

from metrics import importer
from metrics.models import Actual, ImportRun
from tests.factories import UserFactory
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import actuals_wide

pytestmark = pytest.mark.django_db

assessments = support.assessments
analyst_user = support.analyst_user
# Every workbook a test has the import read is also read by openpyxl: the cells must agree.
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl


def previewed(user) -> ImportRun:
    run, _ = importer.start_run(
        data=actuals_wide(["Aug 2021"], ["PI.426", 75]), file_name="t.xlsx", user=user
    )
    return run


def copies(run: ImportRun) -> tuple[ImportRun, ImportRun]:
    return ImportRun.objects.get(pk=run.pk), ImportRun.objects.get(pk=run.pk)


def test_a_confirmed_run_cannot_be_confirmed_again_and_stays_applied(assessments):
    user = UserFactory()
    first, second = copies(previewed(user))
    importer.confirm_run(first, user=user)
    with pytest.raises(importer.StaleImport, match="can no longer be confirmed"):
        importer.confirm_run(second, user=user)
    run = ImportRun.objects.get(pk=first.pk)
    assert run.outcome == ImportRun.Outcome.APPLIED
    assert run.message == "1 change(s) applied."
    assert Actual.objects.get().value == 75 and Actual.history.count() == 1
    assert second.outcome == ImportRun.Outcome.APPLIED  # the caller's copy is brought up to date


def test_a_cancelled_run_cannot_be_confirmed_and_stays_cancelled(assessments):
    user = UserFactory()
    first, second = copies(previewed(user))
    assert importer.cancel_run(first)
    with pytest.raises(importer.StaleImport, match="can no longer be confirmed"):
        importer.confirm_run(second, user=user)
    run = ImportRun.objects.get(pk=first.pk)
    assert run.outcome == ImportRun.Outcome.CANCELLED and not run.file_data
    assert not Actual.objects.exists()


def test_cancelling_a_run_confirmed_meanwhile_leaves_it_applied(assessments):
    user = UserFactory()
    first, second = copies(previewed(user))
    importer.confirm_run(first, user=user)
    assert not importer.cancel_run(second)
    run = ImportRun.objects.get(pk=first.pk)
    assert run.outcome == ImportRun.Outcome.APPLIED and run.message == "1 change(s) applied."
    assert Actual.objects.get().value == 75


def test_the_admin_says_when_a_cancel_came_too_late(client, analyst_user, assessments):
    client.force_login(analyst_user)
    run = previewed(analyst_user)
    client.post(reverse("admin:metrics_kpi_import_confirm", args=[run.pk]))
    page = client.post(reverse("admin:metrics_kpi_import_cancel", args=[run.pk]), follow=True)
    text = page.content.decode()
    assert "was not cancelled: it had already ended (applied). 1 change(s) applied." in text
    assert ImportRun.objects.get(pk=run.pk).outcome == ImportRun.Outcome.APPLIED
