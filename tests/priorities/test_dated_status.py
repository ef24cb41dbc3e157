"""Every month as it stood: an action's status, dates and overdue flag read as at a month's end."""

import datetime
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from priorities import roles, services
from priorities.models import Action, ActionStatus, Plan, PriorityArea
from tests import test_write_rules
from tests.factories import ActionFactory, UserFactory

pytestmark = pytest.mark.django_db
analyst = test_write_rules.analyst  # the fixture: a signed-in analyst
D = datetime.date
PLAN_2021 = "improvement-plan-2021"


@pytest.fixture
def dudley():
    call_command("seed", stdout=StringIO())
    return Plan.objects.get(slug=PLAN_2021)


def _action(area: int, ref: str) -> Action:
    return Action.objects.get(area__plan__slug=PLAN_2021, area__number=area, ref=ref)


def _main(client, url: str, **query) -> str:
    page = client.get(url, query).content.decode()
    return page[page.index("<main") : page.index("</main>")]


def _row(page: str, action: Action) -> str:
    start = page.index(f'id="action-{action.pk}"')
    return page[start : page.index("</tr>", start)]


def _overdue(plan: Plan, day: datetime.date) -> int:
    areas = PriorityArea.objects.filter(plan=plan).with_overdue_actions(day)
    return sum(area.overdue_actions for area in areas)


def test_changing_an_action_today_leaves_november_2021_exactly_as_it_was(client, dudley, analyst):
    area = PriorityArea.objects.get(plan=dudley, number=5)
    month = {"plan": dudley.pk, "period": "2021-11"}
    pages = {
        "overview": (reverse("home"), month),
        "area": (reverse("area-detail", args=[area.pk]), {"period": "2021-11"}),
        "pack": (reverse("board-pack"), month),
    }

    def read_all() -> dict[str, str]:
        shown = {name: _main(client, url, **query) for name, (url, query) in pages.items()}
        out = StringIO()
        call_command("status", period="2021-11", plan=dudley.pk, format="csv", stdout=out)
        shown["status"] = out.getvalue()
        shown["count"] = str(_overdue(dudley, D(2021, 11, 30)))
        return shown

    before = read_all()
    action = _action(5, "6")
    services.update_action(
        pk=action.pk,
        user=analyst,
        expected_version=action.version,
        why="Training finished",
        status=Action.Status.COMPLETED,
        completed_date=timezone.localdate(),
        current_delivery_date=D(2022, 3, 31),
    )
    assert read_all() == before
    # This month does show the change.
    this_month = f"{timezone.localdate():%Y-%m}"
    today_page = _main(client, reverse("area-detail", args=[area.pk]), period=this_month)
    assert "Completed" in _row(today_page, action)


def test_november_2021_shows_what_the_scrutiny_paper_reported_then(client, dudley, analyst):
    action = _action(5, "6")  # Achieving Permanency training: "106 staff have attended"
    url = reverse("area-detail", args=[action.area_id])
    june = _row(_main(client, url, period="2021-06"), action)
    november = _row(_main(client, url, period="2021-11"), action)
    assert "Not started" in june and "Status last reported 28 Feb 2021" in june
    assert "In progress" in november and "Status last reported 30 Nov 2021" in november
    assert "Overdue" in november  # due July 2021 and still not completed
    source = action.statuses.get(effective=D(2021, 11, 30)).source
    assert "Scrutiny Committee, 20 January 2022" in source and "106 staff" in source


def test_an_action_no_later_paper_reports_stays_as_the_plan_recorded_it(client, dudley, analyst):
    action = _action(7, "1")
    assert list(action.statuses.values_list("effective", "status")) == [
        (D(2021, 2, 28), Action.Status.NOT_STARTED)
    ]
    row = _row(_main(client, reverse("area-detail", args=[action.area_id])), action)
    assert "Not started" in row and "Status last reported 28 Feb 2021" in row


def test_a_month_before_the_plan_recorded_any_status_shows_not_yet_reported(
    client, dudley, analyst
):
    action = _action(2, "7")  # a baseline audit due December 2020, not started in February
    row = _row(
        _main(client, reverse("area-detail", args=[action.area_id]), period="2021-01"), action
    )
    assert "Not yet reported" in row and "Overdue" not in row
    assert not action.is_overdue(D(2021, 1, 31)) and action.is_overdue(D(2021, 2, 28))


def test_a_status_completed_after_the_month_is_not_counted_done_in_it(dudley):
    recruitment = _action(1, "3")  # the workforce strategy approved on 28 March 2022
    assert recruitment.status == Action.Status.COMPLETED
    assert recruitment.completed_date == D(2022, 3, 28)
    assert recruitment.is_overdue(D(2021, 11, 30))
    assert not recruitment.is_overdue(D(2022, 3, 31))
    assert _overdue(dudley, D(2022, 3, 31)) == _overdue(dudley, D(2021, 11, 30)) - 1


# Writing a dated status ------------------------------------------------------------


def _update(action, user, **fields):
    return services.update_action(
        pk=action.pk, user=user, expected_version=action.version, **fields
    )


def test_a_change_on_the_action_page_takes_effect_today(client):
    head = UserFactory()
    head.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    client.force_login(head)
    action = ActionFactory(owner__user=head)
    response = client.post(
        reverse("action-update", args=[action.pk]),
        {"status": "in_progress", "version": action.version},
    )
    assert response.status_code == 302
    latest = action.statuses.latest("effective", "pk")
    assert (latest.effective, latest.status, latest.recorded_by) == (
        timezone.localdate(),
        Action.Status.IN_PROGRESS,
        head,
    )
    page = client.get(reverse("action-update", args=[action.pk])).content.decode()
    assert f"Status last reported {timezone.localdate():%-d %B %Y}" in page


def test_an_action_first_dated_by_a_change_keeps_its_earlier_months(analyst):
    action = ActionFactory(original_delivery_date=D(2021, 3, 31))
    _update(action, analyst, status=Action.Status.IN_PROGRESS)
    action.refresh_from_db()
    assert action.state_on(timezone.localdate()).status == Action.Status.IN_PROGRESS
    for earlier in (timezone.localdate() - datetime.timedelta(days=1), D(2021, 11, 30)):
        assert action.state_on(earlier).status == Action.Status.NOT_STARTED
        assert action.is_overdue(earlier) == (earlier > D(2021, 3, 31))


def test_only_a_change_of_status_or_dates_is_a_new_dated_status(analyst):
    action = ActionFactory()
    _update(action, analyst, status=Action.Status.IN_PROGRESS)
    action.refresh_from_db()
    count = action.statuses.count()
    _update(action, analyst, evidence_of_impact="Audits show better plans")
    assert action.statuses.count() == count


def test_a_status_cannot_be_dated_before_the_latest_one_or_in_the_future(analyst):
    action = ActionFactory()
    _update(action, analyst, status=Action.Status.IN_PROGRESS, as_at=D(2021, 11, 30))
    action.refresh_from_db()
    with pytest.raises(ValidationError, match="recorded as at 30 Nov 2021"):
        _update(action, analyst, status=Action.Status.NOT_STARTED, as_at=D(2021, 10, 31))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="future"):
        _update(action, analyst, status=Action.Status.NOT_STARTED, as_at=tomorrow)
    assert action.statuses.latest("effective", "pk").effective == D(2021, 11, 30)


def test_the_data_admin_records_a_status_as_at_the_day_it_gives(client, analyst):
    action = ActionFactory()
    url = reverse("admin:priorities_action_change", args=[action.pk])
    form = {
        "area": action.area_id, "ref": action.ref, "theme": action.theme,
        "description": action.description, "owner": action.owner_id,
        "current_delivery_date": "", "expected_outputs": "", "status": "in_progress",
        "evidence_of_impact": "", "completed_date": "", "seen_version": action.version,
        "change_reason": "", "status_effective": "2021-11-30",
        "status_source": "Scrutiny Committee paper, 20 January 2022",
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    row = action.statuses.get(effective=D(2021, 11, 30))
    assert row.status == Action.Status.IN_PROGRESS and row.source.startswith("Scrutiny")
    action.refresh_from_db()
    response = client.post(url, {**form, "seen_version": action.version, "status": "not_started",
                                 "status_effective": "2021-10-31"})  # fmt: skip
    assert "give that day or a later one" in response.content.decode()


def test_an_import_records_statuses_as_at_its_status_at_heading(analyst):
    from metrics import importer
    from tests.metrics.import_helpers import xlsx

    action = ActionFactory(ref="1", area__number=1)
    headings = ["Plan", "Area", "Ref", "Action", "STATUS AT 11/11/21"]
    row = [action.area.plan.slug, 1, "1", None, "In progress"]
    plan = importer.commit(xlsx({"Actions": [headings, row]}))
    assert not plan.rejections, plan.rejections
    action.refresh_from_db()
    assert action.status_as_at == D(2021, 11, 11)
    assert action.statuses.get(effective=D(2021, 11, 11)).status == Action.Status.IN_PROGRESS
    assert action.state_on(D(2021, 11, 10)).status == Action.Status.NOT_STARTED
    # A later sheet dated earlier would rewrite the record, so it is refused.
    older = ["Plan", "Area", "Ref", "Action", "STATUS AT 1/10/21"]
    plan = importer.preview(xlsx({"Actions": [older, [*row[:4], "Not started"]]}))
    (issue,) = plan.rejections
    assert "recorded as at 11 Nov 2021" in issue.message


def test_an_import_of_a_completed_action_takes_the_status_at_day_as_its_completion(analyst):
    from metrics import importer
    from tests.metrics.import_helpers import xlsx

    area = ActionFactory(ref="1", area__number=1).area
    headings = ["Plan", "Area", "Ref", "Action", "STATUS AT 11/11/21"]
    plan = importer.commit(xlsx({"Actions": [headings, [area.plan.slug, 1, "2", "New", "Done"]]}))
    assert not plan.rejections, plan.rejections
    action = Action.objects.get(area=area, ref="2")
    assert (action.status_as_at, action.completed_date) == (D(2021, 11, 11), D(2021, 11, 11))
    assert not action.is_overdue(D(2021, 11, 30))
    assert action.state_on(D(2021, 11, 10)) is None  # not recorded before the sheet's day


def test_existing_actions_are_dated_from_their_current_state_by_the_migration():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("priorities.migrations.0003_dated_action_status")
    done = ActionFactory(status=Action.Status.COMPLETED, completed_date=D(2021, 5, 1))
    open_ = ActionFactory(status=Action.Status.IN_PROGRESS)
    migration.date_every_action(apps, None)
    done.refresh_from_db()
    open_.refresh_from_db()
    assert done.status_as_at == D(2021, 5, 1)
    assert open_.status_as_at == timezone.localdate()  # its history was written today
    assert ActionStatus.objects.filter(action=open_, status=Action.Status.IN_PROGRESS).exists()


def test_an_action_added_in_the_data_admin_is_dated_and_its_record_shown(client, analyst):
    area = ActionFactory().area
    form = {
        "area": area.pk, "ref": "9", "theme": "people", "description": "New action",
        "owner": "", "original_delivery_date": "2021-06-30", "current_delivery_date": "",
        "expected_outputs": "", "status": "in_progress", "evidence_of_impact": "",
        "completed_date": "", "change_reason": "", "status_effective": "2021-05-01",
        "status_source": "Board minutes, May 2021",
    }  # fmt: skip
    response = client.post(reverse("admin:priorities_action_add"), form)
    assert response.status_code == 302
    action = Action.objects.get(area=area, ref="9")
    assert action.status_as_at == D(2021, 5, 1)
    assert action.state_on(D(2021, 4, 30)) is None
    page = client.get(reverse("admin:priorities_action_change", args=[action.pk]))
    assert "As at 1 May 2021: In progress. Board minutes, May 2021" in page.content.decode()


def test_a_database_seeded_before_the_upgrade_gets_the_fixtures_dated_statuses_on_reseeding(
    dudley, analyst
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("priorities.migrations.0003_dated_action_status")
    corrected = _action(2, "7")  # due December 2020, overdue in November 2021
    ActionStatus.objects.all().delete()
    Action.objects.update(status_as_at=None)
    migration.date_every_action(apps, None)  # as the upgrade dates an already-seeded database
    _update(Action.objects.get(pk=corrected.pk), analyst, status=Action.Status.IN_PROGRESS)
    assert _overdue(dudley, D(2021, 11, 30)) == 0  # dated from the day the rows were typed in
    call_command("seed", stdout=StringIO())
    assert _overdue(dudley, D(2021, 11, 30)) == 67  # 68, less the one corrected since
    assert _action(5, "6").state_on(D(2021, 11, 30)).status == Action.Status.IN_PROGRESS
    recruitment = _action(1, "3")  # completed in March 2022, in progress until then
    assert recruitment.state_on(D(2021, 11, 30)).status == Action.Status.IN_PROGRESS
    assert recruitment.status == Action.Status.COMPLETED
    # An action changed since it was loaded keeps its own record.
    assert not _action(2, "7").statuses.filter(effective=D(2021, 2, 28)).exists()
