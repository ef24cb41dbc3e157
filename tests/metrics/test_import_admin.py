"""The Import workbook pages in the data admin: who may use them, and upload, preview, confirm."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from metrics import importer
from metrics.models import Actual, ImportRun, PeriodLock
from priorities import roles
from tests.factories import ActualFactory, UserFactory
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import AUG_2021, actuals_wide

pytestmark = pytest.mark.django_db

assessments = support.assessments
# Every workbook a test has the import read is also read by openpyxl: the cells must agree.
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl

IMPORT = "admin:metrics_kpi_import"
TEMPLATE = "admin:metrics_kpi_import_template"


def user_in(group: str | None, *, staff: bool = True, superuser: bool = False):
    user = UserFactory(is_staff=staff, is_superuser=superuser)
    if group:
        user.groups.add(roles.ensure_groups()[group])
    return user


@pytest.fixture
def analyst(client):
    user = user_in(roles.ANALYST)
    client.force_login(user)
    return user


def upload(client, data: bytes, name: str = "tracker.xlsx"):
    return client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, data)})


def preview_url(run: ImportRun) -> str:
    return reverse("admin:metrics_kpi_import_preview", args=[run.pk])


# Who may import --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "superuser"), [(roles.ANALYST, False), (None, True)], ids=["analyst", "admin"]
)
def test_analysts_and_administrators_reach_the_import_page_and_template(client, group, superuser):
    client.force_login(user_in(group, superuser=superuser))
    assert client.get(reverse(IMPORT)).status_code == 200
    response = client.get(reverse(TEMPLATE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("group", [roles.BOARD_MEMBER, roles.HEAD_OF_SERVICE])
def test_board_members_and_heads_of_service_cannot_reach_the_import_pages(
    client, group, assessments
):
    client.force_login(user_in(group, staff=True))
    run = ImportRun.objects.create(file_name="x.xlsx")
    for url in (
        reverse(IMPORT),
        reverse(TEMPLATE),
        preview_url(run),
        reverse("admin:metrics_importrun_changelist"),
    ):
        assert client.get(url).status_code == 403, url
    response = upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    assert response.status_code == 403
    assert not Actual.objects.exists() and ImportRun.objects.count() == 1


@pytest.mark.parametrize("group", [roles.BOARD_MEMBER, roles.HEAD_OF_SERVICE])
def test_users_without_admin_access_are_sent_to_sign_in(client, group):
    client.force_login(user_in(group, staff=False))
    response = client.get(reverse(IMPORT))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_kpi_and_import_lists_offer_import_and_template_only_to_those_who_may(client, analyst):
    page = client.get(reverse("admin:metrics_kpi_changelist")).content.decode()
    assert "Import workbook" in page and "Download template" in page
    page = client.get(reverse("admin:metrics_importrun_changelist")).content.decode()
    assert "Import workbook" in page and "Download template" in page
    client.force_login(user_in(roles.BOARD_MEMBER))
    page = client.get(reverse("admin:metrics_kpi_changelist")).content.decode()
    assert "Import workbook" not in page


# Upload, preview, confirm ------------------------------------------------------


def test_upload_previews_then_confirm_writes(client, analyst, assessments):
    ActualFactory(kpi=assessments, period=AUG_2021, value=77)
    response = upload(client, actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", 80, 81]))
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == preview_url(run)
    page = client.get(preview_url(run)).content.decode()
    assert "Confirm import" in page and "Cancel" in page
    assert "<td>77</td><td>80</td>" in page.replace("\n", "").replace(" ", "")
    assert Actual.objects.get(period=AUG_2021).value == 77

    response = client.post(reverse("admin:metrics_kpi_import_confirm", args=[run.pk]))
    assert response.status_code == 302
    assert sorted(Actual.objects.values_list("value", flat=True)) == [80, 81]
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.APPLIED and run.user == analyst
    assert "applied" in client.get(preview_url(run)).content.decode()


def test_a_preview_with_rejections_offers_no_confirm(client, analyst, assessments):
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", "132.44 (1.)"]))
    run = ImportRun.objects.get()
    page = client.get(preview_url(run)).content.decode()
    assert "Confirm import" not in page
    assert "B (Aug 2021)" in page and "(1.)" in page
    assert (
        client.post(reverse("admin:metrics_kpi_import_confirm", args=[run.pk])).status_code == 302
    )
    assert not Actual.objects.exists()


def test_the_preview_lists_total_rows_as_skipped_and_still_offers_confirm(
    client, analyst, assessments
):
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80], ["Total", 80]))
    page = client.get(preview_url(ImportRun.objects.get())).content.decode()
    assert "Sheet Actuals: row 3 (Total) skipped" in page
    assert "Confirm import" in page


def test_cancel_writes_nothing(client, analyst, assessments):
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    run = ImportRun.objects.get()
    client.post(reverse("admin:metrics_kpi_import_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.CANCELLED and not Actual.objects.exists()


def test_a_preview_left_a_day_says_so_and_cannot_be_confirmed(client, analyst, assessments):
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    run = ImportRun.objects.get()
    ImportRun.objects.filter(pk=run.pk).update(
        created_at=run.created_at - datetime.timedelta(hours=25)
    )
    page = client.get(preview_url(run)).content.decode()
    assert "more than 24 hours old, so it can no longer be confirmed" in page
    assert "Confirm import" not in page
    response = client.post(reverse("admin:metrics_kpi_import_confirm", args=[run.pk]), follow=True)
    assert "upload the file again to see a fresh preview" in response.content.decode()
    assert not Actual.objects.exists()


def test_a_command_line_preview_shown_in_the_admin_is_a_preview_only(client, analyst, assessments):
    run, _ = importer.start_run(
        data=actuals_wide(["Aug 2021"], ["PI.426", 80]),
        file_name="tracker.xlsx",
        user=analyst,
        via=ImportRun.Via.COMMAND,
    )
    page = client.get(preview_url(run)).content.decode()
    assert "Preview only: 1 change(s)." in page
    assert "no longer be confirmed" not in page and "Confirm import" not in page
    client.post(reverse("admin:metrics_kpi_import_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.PREVIEWED


def test_confirm_asks_for_a_fresh_preview_when_the_data_changed(client, analyst, assessments):
    actual = ActualFactory(kpi=assessments, period=AUG_2021, value=70)
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    run = ImportRun.objects.get()
    actual.value = 72
    actual.save()
    response = client.post(reverse("admin:metrics_kpi_import_confirm", args=[run.pk]), follow=True)
    assert (
        "The data changed since your preview: preview the file again." in response.content.decode()
    )
    actual.refresh_from_db()
    assert actual.value == 72


def test_changing_a_locked_month_needs_a_reason_which_is_recorded(client, analyst, assessments):
    PeriodLock.objects.create(locked_through=datetime.date(2021, 9, 1))
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    run = ImportRun.objects.get()
    page = client.get(preview_url(run)).content.decode()
    assert "Changes to locked months" in page and 'name="reason"' in page
    confirm = reverse("admin:metrics_kpi_import_confirm", args=[run.pk])
    response = client.post(confirm, {"reason": ""})
    assert (
        "give a reason for the change" in response.content.decode() and not Actual.objects.exists()
    )
    client.post(confirm, {"reason": "Audit correction agreed by the board"})
    history = Actual.history.get()
    assert history.history_change_reason == (
        f"Workbook import {run.pk}: Audit correction agreed by the board"
    )
    run.refresh_from_db()
    assert run.reason == "Audit correction agreed by the board"


def test_someone_elses_preview_cannot_be_seen_or_confirmed(client, analyst, assessments):
    other = user_in(roles.ANALYST)
    client.force_login(other)
    upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    run = ImportRun.objects.get()
    client.force_login(analyst)
    assert client.get(preview_url(run)).status_code == 404
    assert (
        client.post(reverse("admin:metrics_kpi_import_confirm", args=[run.pk])).status_code == 404
    )
    assert not Actual.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        b"<html><table></table></html>",
        b"PK\x03\x04truncated",
    ],
    ids=["empty", "xls", "html", "truncated"],
)
def test_a_broken_upload_gets_a_message_not_an_error_page(client, analyst, data):
    response = upload(client, data)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        page = client.get(response["Location"]).content.decode()
        assert "The file was refused" in page
    assert not Actual.objects.exists()


@override_settings(IMPORT_MAX_UPLOAD_BYTES=100)
def test_an_upload_over_the_limit_is_refused_without_being_read(client, analyst, assessments):
    response = upload(client, actuals_wide(["Aug 2021"], ["PI.426", 80]))
    run = ImportRun.objects.get()
    assert response["Location"] == preview_url(run)
    assert run.outcome == ImportRun.Outcome.REFUSED and "largest accepted" in run.message


# The history ------------------------------------------------------------------


def test_the_import_history_shows_who_what_and_the_full_rejection_report(
    client, analyst, assessments
):
    upload(client, actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", "x", 80]), name="may.xlsx")
    run = ImportRun.objects.get()
    listing = client.get(reverse("admin:metrics_importrun_changelist")).content.decode()
    assert "may.xlsx" in listing and "Rows rejected" in listing
    page = client.get(reverse("admin:metrics_importrun_change", args=[run.pk])).content.decode()
    assert run.sha256 in page and "B (Aug 2021)" in page and "is not a number" in page
    assert client.get(reverse("admin:metrics_importrun_add")).status_code == 403
    delete = reverse("admin:metrics_importrun_delete", args=[run.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
