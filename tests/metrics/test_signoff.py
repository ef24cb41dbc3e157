"""Sign-off: a saved figure waits for its approver, who signs it off or returns it."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from metrics import signoff
from metrics.models import Actual, PeriodLock
from metrics.services import SignedOff, save_actual
from priorities import roles
from tests.factories import KpiFactory, OfficerFactory, PriorityAreaFactory, UserFactory, user_in

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)
OCT_2026 = datetime.date(2026, 10, 1)
# Sign-off is stamped with the real time, whatever day the tests pretend it is.
DAY = f"{timezone.localtime():%-d %b %Y}"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def people():
    """A head owning a KPI in an area whose responsible officer is another head."""
    head = user_in(roles.HEAD_OF_SERVICE, "head", first_name="Hana", last_name="Head")
    approver = user_in(roles.HEAD_OF_SERVICE, "approver", first_name="Ada", last_name="Approver")
    area = PriorityAreaFactory(
        title="Front door", responsible_officer=OfficerFactory(user=approver, role_title="DCS")
    )
    kpi = KpiFactory(
        code="CSIP.01",
        owner=OfficerFactory(user=head, role_title="Head of Service, MASH"),
        reporting_from=datetime.date(2020, 11, 1),
    )
    kpi.areas.add(area)
    return {
        "head": head,
        "approver": approver,
        "analyst": user_in(roles.ANALYST, "analyst"),
        "board": user_in(roles.BOARD_MEMBER, "board"),
        "kpi": kpi,
    }


def submit(kpi, user, value="90.1", version=None):
    return save_actual(
        kpi=kpi, period=OCT_2026, user=user, expected_version=version, value=Decimal(value)
    )


def entry(kpi):
    return reverse("kpi-entry", args=[kpi.pk, "2026-10"])


# The state machine ------------------------------------------------------------


def test_submit_sign_off_return_and_resubmit(people):
    kpi, head, approver = people["kpi"], people["head"], people["approver"]
    actual = submit(kpi, head)
    assert actual.state == Actual.State.SUBMITTED and actual.is_provisional
    assert actual.first_submitted_at and actual.submitted_at

    returned = signoff.return_figure(approver, actual.pk, actual.version, " Count is wrong ")
    assert returned.state == Actual.State.RETURNED
    assert (returned.reviewed_by, returned.returned_reason) == (approver, "Count is wrong")

    again = submit(kpi, head, "91.0", returned.version)
    assert again.state == Actual.State.SUBMITTED and again.returned_reason == ""
    assert again.first_submitted_at == actual.first_submitted_at

    (signed,) = signoff.sign_off(approver, [(again.pk, again.version)])
    assert signed.state == Actual.State.SIGNED_OFF and not signed.is_provisional
    assert signed.reviewed_by == approver


def test_owner_cannot_change_a_signed_off_figure_until_it_is_returned(people, client):
    kpi, head = people["kpi"], people["head"]
    actual = submit(kpi, head)
    (actual,) = signoff.sign_off(people["approver"], [(actual.pk, actual.version)])
    with pytest.raises(SignedOff):
        submit(kpi, head, "50", actual.version)

    client.force_login(head)
    page = client.get(entry(kpi)).content.decode()
    assert f"Signed off by Ada Approver on {DAY}, so it cannot be changed here" in page
    assert "Ask Ada Approver to return it to you" in page
    assert '<form method="post" novalidate>' not in page
    response = client.post(entry(kpi), {"version": actual.version, "value": "50"})
    assert "is signed off. Ask its approver to return it" in response.content.decode()
    assert Actual.objects.get().value == Decimal("90.1")


def test_an_analyst_change_after_sign_off_needs_sign_off_again(people, client):
    kpi = people["kpi"]
    actual = submit(kpi, people["head"])
    (actual,) = signoff.sign_off(people["approver"], [(actual.pk, actual.version)])
    client.force_login(people["analyst"])
    page = client.get(entry(kpi)).content.decode()
    assert "This figure is signed off: changing it needs sign-off again." in page
    response = client.post(entry(kpi), {"version": actual.version, "value": "92"}, follow=True)
    assert "It now awaits sign-off by the DCS or another analyst." in response.content.decode()
    assert Actual.objects.get().state == Actual.State.SUBMITTED


def test_a_lock_wins_a_return_and_an_owner_save_in_a_locked_month_are_refused(people):
    kpi, head = people["kpi"], people["head"]
    actual = submit(kpi, head)
    PeriodLock.objects.create(locked_through=OCT_2026, reason="Board met")
    with pytest.raises(ValidationError, match="is locked"):
        signoff.return_figure(people["approver"], actual.pk, actual.version, "Wrong")
    from metrics.services import PeriodLocked

    with pytest.raises(PeriodLocked):
        submit(kpi, head, "80", actual.version)
    assert Actual.objects.get().state == Actual.State.SUBMITTED


def test_a_return_needs_a_reason(people):
    actual = submit(people["kpi"], people["head"])
    with pytest.raises(ValidationError, match="Say why"):
        signoff.return_figure(people["approver"], actual.pk, actual.version, "  ")
    assert Actual.objects.get().state == Actual.State.SUBMITTED


def test_without_sign_off_every_save_is_final_and_the_owner_may_change_it(people, settings):
    settings.SIGN_OFF_REQUIRED = False
    kpi, head = people["kpi"], people["head"]
    actual = submit(kpi, head)
    assert not actual.is_provisional
    assert submit(kpi, head, "80", actual.version).value == Decimal("80")


# Who may sign off ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("head", False), ("approver", True), ("analyst", True), ("board", False), ("other", False)],
)
def test_the_permission_matrix(people, who, allowed):
    actual = submit(people["kpi"], people["head"])
    user = people.get(who) or user_in(roles.HEAD_OF_SERVICE, "other")
    if allowed:
        signoff.sign_off(user, [(actual.pk, actual.version)])
        assert Actual.objects.get().state == Actual.State.SIGNED_OFF
    else:
        with pytest.raises(PermissionDenied):
            signoff.sign_off(user, [(actual.pk, actual.version)])
        assert Actual.objects.get().state == Actual.State.SUBMITTED


def test_an_analyst_cannot_sign_off_a_figure_they_saved_themselves(people):
    actual = submit(people["kpi"], people["analyst"])
    with pytest.raises(PermissionDenied, match="You saved this figure"):
        signoff.sign_off(people["analyst"], [(actual.pk, actual.version)])
    assert not signoff.awaiting_for(people["analyst"]).exists()
    assert signoff.awaiting_for(people["approver"]).get() == actual


def test_a_responsible_officer_signs_off_only_kpis_of_their_areas(people):
    other = KpiFactory(owner=OfficerFactory())
    other.areas.add(PriorityAreaFactory())
    theirs = submit(people["kpi"], people["head"])
    elsewhere = save_actual(
        kpi=other, period=OCT_2026, user=people["analyst"], expected_version=None, value=5
    )
    assert list(signoff.awaiting_for(people["approver"])) == [theirs]
    with pytest.raises(PermissionDenied):
        signoff.sign_off(people["approver"], [(elsewhere.pk, elsewhere.version)])


# History names every step ---------------------------------------------------------


def test_history_names_each_step_of_the_sign_off(people, client):
    kpi, head, approver = people["kpi"], people["head"], people["approver"]
    actual = submit(kpi, head)
    actual = signoff.return_figure(approver, actual.pk, actual.version, "Count is wrong")
    actual = submit(kpi, head, "91.0", actual.version)
    signoff.sign_off(approver, [(actual.pk, actual.version)])
    client.force_login(people["analyst"])
    page = client.get(entry(kpi)).content.decode()
    history = page[page.index("Change history") :]
    steps = [
        f"Signed off by Ada Approver on {DAY}",
        "Submitted: value 90.1 to 91 by",
        f"Returned by Ada Approver on {DAY} (reason: Count is wrong)",
        "Submitted: value 90.1 by",
    ]
    positions = [history.index(step) for step in steps]
    assert positions == sorted(positions)


def test_an_admin_save_is_signed_off_by_loading_in_the_history(people, client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    kpi = people["kpi"]
    page = client.get(reverse("admin:metrics_actual_add")).content.decode()
    assert "Saving here signs the figure off in your name" in page
    response = client.post(
        reverse("admin:metrics_actual_add"),
        {"kpi": kpi.pk, "period": "2026-10-01", "value": "90.3", "what_data_tells_us": "",
         "issues_and_risks": "", "evidence_of_impact": "", "source": "", "note": ""},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()
    actual = Actual.objects.get()
    assert (actual.state, actual.reviewed_by) == (Actual.State.SIGNED_OFF, admin)
    page = client.get(entry(kpi)).content.decode()
    assert "Signed off by loading: value 90.3 by admin on" in page
    listing = client.get(reverse("admin:metrics_actual_changelist"), {"state": "signed_off"})
    assert "CSIP.01" in listing.content.decode()


# My updates ---------------------------------------------------------------------


def test_my_updates_shows_awaiting_signed_off_and_returned_with_its_reason(people, client):
    kpi, head, approver = people["kpi"], people["head"], people["approver"]
    client.force_login(head)
    actual = submit(kpi, head)
    page = client.get(reverse("my-updates")).content.decode()
    assert "Saved: awaiting sign-off" in page and "You have 0 of 1 figure still to do" in page

    signoff.return_figure(approver, actual.pk, actual.version, "Count is wrong")
    page = client.get(reverse("my-updates")).content.decode()
    assert f"Returned by Ada Approver on {timezone.now():%-d %B %Y}: Count is wrong" in page
    assert "You have 1 of 1 figure still to do" in page
    assert f"Returned by Ada Approver on {DAY}: Count is wrong" in (
        client.get(entry(kpi)).content.decode()
    )


def test_my_updates_keeps_an_earlier_returned_figure_on_the_list(people, client):
    kpi, head = people["kpi"], people["head"]
    earlier = save_actual(
        kpi=kpi, period=datetime.date(2026, 8, 1), user=head, expected_version=None, value=80
    )
    signoff.return_figure(people["approver"], earlier.pk, earlier.version, "Wrong month")
    client.force_login(head)
    page = client.get(reverse("my-updates")).content.decode()
    assert "figure for Aug 2026" in page and "Wrong month" in page
    assert "figure for Oct 2026" in page
    assert "You have 2 of 2 figures still to do" in page


def test_a_figure_returned_years_later_is_still_on_my_updates(people, client):
    # Outside the twelve months My updates reads for its latest figures.
    kpi, head = people["kpi"], people["head"]
    old = save_actual(
        kpi=kpi, period=datetime.date(2021, 3, 1), user=head, expected_version=None, value=70
    )
    signoff.return_figure(people["approver"], old.pk, old.version, "Recount March 2021")
    client.force_login(head)
    page = client.get(reverse("my-updates")).content.decode()
    assert "figure for Mar 2021" in page and "Recount March 2021" in page


def test_my_updates_runs_the_same_queries_for_few_and_many_figures(people, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    head = people["head"]
    client.force_login(head)
    client.get(reverse("my-updates"))  # the session's first save happens here

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("my-updates")).status_code == 200
        return len(queries)

    submit(people["kpi"], head)
    few = count()
    for n in range(10):
        kpi = KpiFactory(owner=people["kpi"].owner, reporting_from=datetime.date(2020, 11, 1))
        kpi.areas.add(PriorityAreaFactory())
        actual = save_actual(kpi=kpi, period=OCT_2026, user=head, expected_version=None, value=1)
        if n % 2:
            signoff.return_figure(people["analyst"], actual.pk, actual.version, "Check")
    assert count() == few


def test_an_analyst_who_saves_a_figure_is_told_another_analyst_signs_it_off(people, client):
    client.force_login(people["analyst"])
    page = client.post(
        entry(people["kpi"]), {"value": "90.1", "version": "0"}, follow=True
    ).content.decode()
    assert "awaits sign-off by the DCS or another analyst" in page


def test_a_quarterly_kpis_entry_page_for_a_mid_quarter_month_opens_the_quarter_end(people, client):
    kpi = people["kpi"]
    kpi.frequency = kpi.Frequency.QUARTERLY
    kpi.save()
    client.force_login(people["head"])
    response = client.get(reverse("kpi-entry", args=[kpi.pk, "2026-10"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("kpi-entry", args=[kpi.pk, "2026-12"])
