import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from priorities import roles
from priorities.models import Finding
from priorities.services import StaleFinding, record_finding_status, update_finding
from tests.factories import FindingFactory, UserFactory

pytestmark = pytest.mark.django_db

NOV_2021 = datetime.date(2021, 11, 30)


def _dated(finding, *states):
    for day, status, evidence in states:
        record_finding_status(finding, status=status, evidence=evidence, as_at=day)
        finding.save()


def test_a_past_month_shows_the_findings_status_as_it_stood_then():
    finding = FindingFactory(source__date=datetime.date(2021, 1, 15))
    _dated(
        finding,
        (datetime.date(2021, 1, 15), "open", ""),
        (datetime.date(2021, 6, 1), "in_progress", ""),
        (datetime.date(2022, 2, 1), "closed", "Audit of 40 assessments: 90% timely."),
    )
    stood = {
        day: Finding.objects.as_at(day).get(pk=finding.pk).state_on(day)
        for day in (datetime.date(2021, 3, 31), NOV_2021, datetime.date(2022, 2, 28))
    }
    assert [state.status for state in stood.values()] == ["open", "in_progress", "closed"]
    assert stood[datetime.date(2022, 2, 28)].evidence.startswith("Audit of 40")
    # Read without the annotation, from the dated rows: the same answer.
    assert Finding.objects.get(pk=finding.pk).state_on(NOV_2021).status == "in_progress"


def test_a_finding_is_not_shown_before_its_source_made_it():
    finding = FindingFactory(source__date=datetime.date(2021, 1, 15))
    assert finding.state_on(datetime.date(2020, 12, 31)) is None
    assert not Finding.objects.made_by(datetime.date(2020, 12, 31)).exists()


def test_closing_a_finding_needs_evidence_and_an_earlier_month_is_never_rewritten():
    finding = FindingFactory(source__date=datetime.date(2021, 1, 15))
    _dated(finding, (datetime.date(2021, 6, 1), "in_progress", ""))
    with pytest.raises(ValidationError, match="evidence that closes"):
        record_finding_status(finding, status="closed", evidence=" ", as_at=NOV_2021)
    with pytest.raises(ValidationError, match="recorded as at 1 Jun 2021"):
        record_finding_status(finding, status="done", evidence="", as_at=datetime.date(2021, 5, 1))
    with pytest.raises(ValidationError, match="finding was made on 15 Jan 2021"):
        record_finding_status(
            FindingFactory(source=finding.source),
            status="open",
            evidence="",
            as_at=datetime.date(2020, 1, 1),
        )


def test_only_analysts_change_a_finding_and_a_stale_change_is_refused():
    finding = FindingFactory()
    groups = roles.ensure_groups()
    head = UserFactory()
    head.groups.add(groups[roles.HEAD_OF_SERVICE])
    with pytest.raises(PermissionDenied):
        update_finding(pk=finding.pk, user=head, expected_version=1, status="done")
    analyst = UserFactory()
    analyst.groups.add(groups[roles.ANALYST])
    changed = update_finding(
        pk=finding.pk, user=analyst, expected_version=1, status="in_progress", why="Board review"
    )
    assert (changed.status, changed.version) == ("in_progress", 2)
    assert changed.history.first().history_user == analyst
    assert changed.statuses.get().recorded_by == analyst
    with pytest.raises(StaleFinding):
        update_finding(pk=finding.pk, user=analyst, expected_version=1, status="done")
