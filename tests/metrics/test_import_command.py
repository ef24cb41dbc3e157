"""`manage.py import_workbook`: the same importer, with exit status for scripts."""

import datetime
import io

import pytest
from django.core.management import call_command

from metrics.models import Actual, ImportRun, PeriodLock
from tests.factories import UserFactory
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import actuals_wide

pytestmark = pytest.mark.django_db

assessments = support.assessments
# Every workbook a test has the import read is also read by openpyxl: the cells must agree.
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl


def run(path, *args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_workbook", str(path), *args, stdout=out, stderr=err)
    return exit_.value.code, out.getvalue(), err.getvalue()


def test_a_preview_prints_counts_and_changes_nothing(tmp_path, assessments):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(actuals_wide(["Jul 2021", "Aug 2021"], ["PI.426", 80, 81]))
    code, out, _ = run(path)
    assert code == 0
    assert "Actuals     wide           2        0          0         0" in out
    assert "nothing was written" in out and not Actual.objects.exists()
    assert ImportRun.objects.get().outcome == ImportRun.Outcome.PREVIEWED


def test_commit_applies_in_one_go_and_records_the_user(tmp_path, assessments):
    user = UserFactory(username="perf")
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(actuals_wide(["Jul 2021", "Aug 2021"], ["PI.426", 80, 81]))
    code, out, _ = run(path, "--commit", "--user", "perf")
    assert code == 0 and "Applied 2 change(s)" in out
    assert Actual.objects.count() == 2 and set(
        Actual.history.values_list("history_user", flat=True)
    ) == {user.pk}
    assert ImportRun.objects.get().outcome == ImportRun.Outcome.APPLIED


def test_rejected_rows_print_sheet_row_column_and_message_and_exit_1(tmp_path, assessments):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(actuals_wide(["Jul 2021", "Aug 2021"], ["PI.426", 80, "132.44 (1.)"]))
    code, out, _ = run(path, "--commit")
    assert code == 1
    assert "Actuals row 2, column C (Aug 2021): '132.44 (1.)' has '(1.)' after the number" in out
    assert not Actual.objects.exists()


def test_a_locked_month_needs_reason_on_the_command_line(tmp_path, assessments):
    PeriodLock.objects.create(locked_through=datetime.date(2021, 9, 1))
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(actuals_wide(["Aug 2021"], ["PI.426", 80]))
    code, out, _ = run(path, "--commit")
    assert code == 1 and "--reason" in out and not Actual.objects.exists()
    code, out, _ = run(path, "--commit", "--reason", "Late return from the MASH")
    assert code == 0 and Actual.objects.count() == 1


@pytest.mark.parametrize(
    "data",
    [b"", b"KPI code,Aug 2021\nPI.426,80\n", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600],
)
def test_a_refused_file_exits_2_with_the_reason(tmp_path, data):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(data)
    code, _out, err = run(path, "--commit")
    assert code == 2 and err.startswith("Refused: The file")
    assert ImportRun.objects.get().outcome == ImportRun.Outcome.REFUSED


def test_a_missing_file_exits_2(tmp_path):
    code, _, err = run(tmp_path / "nowhere.xlsx")
    assert code == 2 and "Cannot read" in err


def test_verbose_preview_lists_each_change_old_to_new(tmp_path, assessments):
    path = tmp_path / "tracker.xlsx"
    path.write_bytes(actuals_wide(["Aug 2021"], ["PI.426", 80]))
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_workbook", str(path), verbosity=2, stdout=out)
    assert "Actuals row 2 PI.426 Aug 2021 (new): Value: (new) -> 80" in out.getvalue()
