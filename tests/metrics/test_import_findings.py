"""The Findings sheet and the link columns: preview, apply, refusals, history, round trip."""

import datetime
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from openpyxl import load_workbook

from metrics import importer
from metrics.loading import load_plan_data
from metrics.models import FindingKpi, Kpi
from priorities.models import Action, Finding, FindingAction, FindingStatus
from priorities.services import record_finding_status
from tests.factories import (
    ActionFactory,
    FindingActionFactory,
    FindingFactory,
    FindingKpiFactory,
    FindingSourceFactory,
    OfficerFactory,
    PriorityAreaFactory,
    UserFactory,
)
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import xlsx

pytestmark = pytest.mark.django_db

assessments = support.assessments
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl

HEADINGS = [
    "Source", "Ref", "Kind", "Grade", "Title", "Text", "Where in the source",
    "Responsible officer", "Status", "Status as at", "Evidence", "Actions", "KPIs",
    "Links from",
]  # fmt: skip
MADE = datetime.date(2021, 1, 15)


@pytest.fixture
def register(assessments):
    """A source made on 15 Jan 2021, a plan area with action 1, and KPI PI.426."""
    source = FindingSourceFactory(slug="ofsted-2021", date=MADE)
    area = PriorityAreaFactory(number=2)
    action = ActionFactory(area=area, ref="1")
    OfficerFactory(role_title="Head of Social Work")
    return source, area, action


def finding_row(area=None, **cells):
    """A row under HEADINGS: a new improvement finding unless cells say otherwise."""
    values = {
        "Source": "ofsted-2021",
        "Ref": "W1",
        "Kind": "Recommendation",
        "Title": "Assessments are not timely",
        "Where in the source": "What needs to improve, point 1",
    } | cells
    if area is not None:
        values.setdefault("Actions", f"{area.plan.slug}/{area.number}/1")
    return [values.get(heading) for heading in HEADINGS]


def findings(*rows) -> bytes:
    return xlsx({"Findings": [HEADINGS, *rows]})


def counts(plan) -> tuple:
    sheet = plan.sheets["Findings"]
    return sheet.new, sheet.changed, sheet.unchanged, sheet.rejected


def only_rejection(data: bytes):
    plan = importer.preview(data)
    assert len(plan.rejections) == 1, [str(issue) for issue in plan.rejections]
    return plan.rejections[0]


# Preview and apply ---------------------------------------------------------------


def test_a_new_finding_with_its_links_is_previewed_then_written_with_history(register):
    _, area, action = register
    data = findings(finding_row(area, KPIs="pi.426", Status="In progress"))
    plan = importer.preview(data)
    assert not plan.rejections, [str(issue) for issue in plan.rejections]
    assert counts(plan) == (1, 0, 0, 0)
    described = [importer.describe_change(change) for change in plan.changes]
    assert [d["record"] for d in described] == [
        "ofsted-2021 W1",
        f"ofsted-2021 W1: action {area.plan.slug}/2/1",
        "ofsted-2021 W1: KPI PI.426",
    ]
    assert not Finding.objects.exists()

    user = UserFactory()
    importer.commit(data, user=user)
    finding = Finding.objects.get()
    today = timezone.localdate()
    assert finding.kind == Finding.Kind.IMPROVEMENT and finding.status == Finding.Status.IN_PROGRESS
    assert finding.status_as_at == today
    assert list(finding.actions.all()) == [action]
    assert finding.action_links.get().since == today
    assert FindingKpi.objects.get(finding=finding).kpi.code == "PI.426"
    (status,) = FindingStatus.objects.all()
    assert status.recorded_by == user and status.source == "Workbook import"
    assert finding.history.filter(history_user=user, history_change_reason="Workbook import")
    assert FindingAction.history.get().history_user == user


def test_a_status_change_is_dated_and_the_earlier_months_keep_the_old_one(register):
    finding = FindingFactory(source=register[0], ref="W1")
    data = findings(
        ["ofsted-2021", "W1", None, None, None, None, None, None, "Closed", "30/06/2021",
         "Re-audit in June 2021: 92% on time", None, None, None]
    )  # fmt: skip
    plan = importer.commit(data)
    assert counts(plan) == (0, 1, 0, 0)
    finding.refresh_from_db()
    assert finding.status == Finding.Status.CLOSED and finding.status_as_at == datetime.date(
        2021, 6, 30
    )
    assert finding.state_on(datetime.date(2021, 7, 31)).status == Finding.Status.CLOSED
    # Before the dated change nothing was recorded, so May 2021 does not read as closed.
    assert finding.state_on(datetime.date(2021, 5, 31)) is None


def test_an_unchanged_row_is_unchanged_and_only_changed_fields_are_shown(register):
    FindingFactory(source=register[0], ref="W1", title="Old title", cited="Point 1")
    plan = importer.preview(
        findings(finding_row(Title="New title", **{"Where in the source": "Point 1"}))
    )
    assert counts(plan) == (0, 1, 0, 0)
    (change,) = plan.changes
    assert [f["field"] for f in importer.describe_change(change)["fields"]] == ["Title"]
    plan = importer.preview(
        findings(finding_row(Title="Old title", **{"Where in the source": "Point 1"}))
    )
    assert counts(plan) == (0, 0, 1, 0) and not plan.changes


def test_a_link_left_out_of_a_filled_cell_ends_on_the_links_from_day(register):
    source, area, action = register
    other = ActionFactory(area=area, ref="2")
    finding = FindingFactory(source=source, ref="W1")
    FindingActionFactory(finding=finding, action=action, since=MADE)
    FindingKpiFactory(finding=finding, kpi=Kpi.objects.get(code="PI.426"), since=MADE)
    data = findings(
        finding_row(Actions=f"{area.plan.slug}/2/2", KPIs=None, **{"Links from": "01/09/2021"})
    )
    importer.commit(data)
    ended = FindingAction.objects.get(action=action)
    assert ended.ended == datetime.date(2021, 9, 1)
    assert FindingAction.objects.get(action=other).since == datetime.date(2021, 9, 1)
    # An empty KPIs cell changes nothing.
    assert FindingKpi.objects.get().ended is None
    # "none" ends every link, on the import's day by default.
    importer.commit(findings(finding_row(Actions="none")))
    assert FindingAction.objects.get(action=other).ended == timezone.localdate()


def test_an_action_new_on_the_actions_sheet_can_answer_a_finding_in_the_same_workbook(register):
    _, area, _ = register
    data = xlsx(
        {
            "Actions": [["Plan", "Area", "Ref", "Action", "KPIs"],
                        [area.plan.slug, 2, "7", "Re-audit assessments", "PI.426"]],
            "Findings": [HEADINGS, finding_row(Actions=f"{area.plan.slug}/2/7")],
        }
    )  # fmt: skip
    plan = importer.commit(data)
    assert not plan.rejections, [str(issue) for issue in plan.rejections]
    new = Action.objects.get(ref="7")
    assert list(Finding.objects.get().actions.all()) == [new]
    assert [kpi.code for kpi in new.kpis.all()] == ["PI.426"]


def test_the_kpis_column_on_actions_sets_the_kpis_an_action_moves_and_says_so_in_its_history(
    register,
):
    _, area, action = register
    second = Kpi.objects.create(code="CSIP.01", title="Caseloads", polarity="lower")
    sheet = ["Plan", "Area", "Ref", "Action", "KPIs"]
    data = xlsx({"Actions": [sheet, [area.plan.slug, 2, "1", None, "PI.426, csip.01"]]})
    plan = importer.preview(data)
    (change,) = plan.changes
    assert importer.describe_change(change)["fields"] == [
        {"field": "KPIs", "old": "(empty)", "new": "CSIP.01; PI.426"}
    ]
    user = UserFactory()
    importer.commit(data, user=user)
    assert set(action.kpis.all()) == {second, Kpi.objects.get(code="PI.426")}
    latest = Action.history.filter(id=action.pk).latest("history_date")
    assert latest.history_change_reason == "Workbook import; KPIs it moves: CSIP.01, PI.426"
    assert latest.history_user == user
    importer.commit(xlsx({"Actions": [sheet, [area.plan.slug, 2, "1", None, "none"]]}))
    assert not action.kpis.exists()


# Refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "says"),
    [
        ({"Source": "ofsted-2099"}, "A (Source)", "There is no source 'ofsted-2099'"),
        ({"Kind": "Gossip"}, "C (Kind)", "'Gossip' is not one of"),
        ({"Kind": "Judgement"}, "D (Grade)", "A judgement needs its grade"),
        ({"Grade": "Good"}, "D (Grade)", "Only a judgement has a grade"),
        ({"Kind": "Judgement", "Grade": "Brilliant"}, "D (Grade)", "'Brilliant' is not one of"),
        ({"Title": None}, "E (Title)", "Finding W1 is new: enter its title"),
        ({"Status": "Closed"}, "K (Evidence)", "Give the evidence that closes this finding"),
        ({"Status": "Done", "Status as at": "01/01/2021"}, "J (Status as at)",
         "The finding was made on 15 Jan 2021"),
        ({"Responsible officer": "Dr Nobody"}, "H (Responsible officer)", "no officer 'Dr Nobody'"),
        ({"Actions": "improvement-plan-9/2/1"}, "L (Actions)",
         "There is no action 'improvement-plan-9/2/1'"),
        ({"Actions": "action one"}, "L (Actions)", "'action one' does not name an action"),
        ({"KPIs": "PI.999"}, "M (KPIs)", "There is no KPI with code 'PI.999'"),
        ({"KPIs": "PI.426", "Links from": "01/01/2021"}, "N (Links from)",
         "links take effect on that day or later"),
    ],
)  # fmt: skip
def test_a_bad_row_is_refused_naming_its_sheet_row_and_column(register, cells, column, says):
    issue = only_rejection(findings(finding_row(**cells)))
    assert (issue.sheet, issue.row, issue.column) == ("Findings", 2, column)
    assert says in issue.message


def test_a_ref_given_twice_is_refused_on_the_second_row(register):
    issue = only_rejection(findings(finding_row(), finding_row(Ref="w1")))
    assert (issue.row, issue.column) == (3, "B (Ref)")
    assert "already on row 2" in issue.message


def test_a_status_as_at_before_the_status_already_recorded_is_refused(register):
    finding = FindingFactory(source=register[0], ref="W1")
    record_finding_status(
        finding, status="in_progress", evidence="", as_at=datetime.date(2021, 9, 30)
    )
    finding.save()
    issue = only_rejection(findings(finding_row(Status="Done", **{"Status as at": "31/08/2021"})))
    assert issue.column == "J (Status as at)" and "recorded as at 30 Sep 2021" in issue.message


def test_one_bad_row_writes_nothing_from_any_sheet(register):
    _, area, _ = register
    data = xlsx(
        {
            "Actions": [["Plan", "Area", "Ref", "Action"], [area.plan.slug, 2, "8", "New"]],
            "Findings": [HEADINGS, finding_row(area), finding_row(Ref="W2", KPIs="PI.999")],
        }
    )
    plan = importer.commit(data)
    assert counts(plan) == (1, 0, 0, 1)
    assert not Finding.objects.exists() and not FindingAction.objects.exists()
    assert not Action.objects.filter(ref="8").exists()


# Round trip -----------------------------------------------------------------------


@pytest.fixture
def dudley_with_findings(db):
    for name in ("dudley.json", "send_wsoa.json"):
        fixture = Path(settings.BASE_DIR) / "fixtures" / name
        load_plan_data(json.loads(fixture.read_text(encoding="utf-8")))
    source = FindingSourceFactory(slug="ofsted-ilacs-2018", date=datetime.date(2018, 6, 1))
    kpis = list(Kpi.objects.order_by("code")[:3])
    actions = list(Action.objects.order_by("pk")[:3])
    area = actions[0].area
    judgement = FindingFactory(
        source=source, ref="J1", kind="judgement", grade="requires_improvement"
    )
    weakness = FindingFactory(
        source=source,
        ref="=W2",  # a formula trigger: escaped in the template, read back as typed
        kind="weakness",
        area=area,
        text="",
        required_outcomes="Timely plans",
        responsible_officer=None,
    )
    record_finding_status(
        weakness, status="closed", evidence="Audit", as_at=datetime.date(2021, 3, 1)
    )
    weakness.save()
    for finding in (judgement, weakness):
        FindingActionFactory(finding=finding, action=actions[0], since=datetime.date(2021, 1, 1))
        FindingActionFactory(finding=finding, action=actions[1], since=datetime.date(2021, 1, 1),
                             ended=datetime.date(2021, 6, 1))  # fmt: skip
        FindingKpiFactory(finding=finding, kpi=kpis[0], since=datetime.date(2021, 1, 1))
    actions[2].kpis.set(kpis[1:])


def test_the_template_round_trips_with_findings_and_links_present(dudley_with_findings):
    plan = importer.preview(importer.build_template())
    assert not plan.rejections and not plan.changes, [str(i) for i in plan.rejections[:5]]
    assert counts(plan) == (0, 0, Finding.objects.count(), 0)
    assert plan.sheets["Actions"].unchanged == Action.objects.count()


def test_the_template_lists_each_finding_with_the_links_in_force(register):
    source, area, action = register
    finding = FindingFactory(source=source, ref="W1", kind="judgement", grade="good")
    ended = ActionFactory(area=area, ref="2")
    FindingActionFactory(finding=finding, action=action, since=MADE)
    FindingActionFactory(finding=finding, action=ended, since=MADE, ended=datetime.date(2021, 6, 1))
    FindingKpiFactory(finding=finding, kpi=Kpi.objects.get(code="PI.426"), since=MADE)
    book = load_workbook(io.BytesIO(importer.build_template()), read_only=True)
    header, row = list(book["Findings"].values)
    cells = dict(zip(header, row, strict=False))
    assert cells["Grade"] == "Good" and cells["Kind"] == "Judgement"
    assert cells["Actions"] == f"{area.plan.slug}/2/1" and cells["KPIs"] == "PI.426"
    assert cells["Links from"] is None
