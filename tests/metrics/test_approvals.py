"""The approvals page: what awaits each approver, bulk sign-off and returns with a reason."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics import signoff
from metrics.models import Actual, Kpi
from metrics.services import save_actual
from priorities import roles
from tests.factories import (
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    TargetFactory,
    user_in,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 22)
OCT_2026 = datetime.date(2026, 10, 1)
APPROVALS = "/approvals/"


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def world():
    head = user_in(roles.HEAD_OF_SERVICE, "head")
    approver = user_in(roles.HEAD_OF_SERVICE, "approver")
    plan = PlanFactory(title="Children's Services Improvement Plan 2021")
    area = PriorityAreaFactory(
        plan=plan,
        number=2,
        title="Timely decisions at the front door",
        responsible_officer=OfficerFactory(user=approver, role_title="Acting DCS"),
    )
    owner = OfficerFactory(user=head, role_title="Head of Service, MASH")
    kpi = KpiFactory(
        code="CSIP.01",
        title="Contacts progressed within one working day",
        owner=owner,
        numerator_label="Contacts progressed",
        denominator_label="Contacts received",
        reporting_from=datetime.date(2020, 11, 1),
    )
    kpi.areas.add(area)
    TargetFactory(kpi=kpi, starts=datetime.date(2020, 11, 1), value=95)
    for month, value in [(8, "70"), (9, "88.5")]:
        save_actual(kpi=kpi, period=datetime.date(2026, month, 1), user=head,
                    expected_version=None, value=Decimal(value))  # fmt: skip
    actual = save_actual(
        kpi=kpi,
        period=OCT_2026,
        user=head,
        expected_version=None,
        value=Decimal("93.3"),
        numerator=Decimal(140),
        denominator=Decimal(150),
        what_data_tells_us="More contacts are decided the same day.",
        issues_and_risks="Two social workers left.",
        evidence_of_impact="Audits show better screening.",
        note="Includes the out-of-hours team.",
    )
    # Elsewhere: a KPI of an area the approver is not responsible for.
    other = KpiFactory(code="CSIP.09", owner=OfficerFactory())
    other.areas.add(PriorityAreaFactory(plan=plan, number=1))
    elsewhere = save_actual(
        kpi=other, period=OCT_2026, user=head, expected_version=None, value=Decimal(50)
    )
    return {"head": head, "approver": approver, "kpi": kpi, "actual": actual,
            "elsewhere": elsewhere, "area": area}  # fmt: skip


def test_an_approver_sees_what_awaits_them_with_what_they_need_to_decide(client, world):
    client.force_login(world["approver"])
    page = client.get(APPROVALS).content.decode()
    assert "3 figures are awaiting your sign-off" in page  # Aug, Sep and Oct
    assert "Children&#x27;s Services Improvement Plan 2021" in page
    assert "2. Timely decisions at the front door" in page
    assert "CSIP.01 Contacts progressed within one working day: Oct 2026" in page
    assert "93.3% (140 of 150)" in page
    assert "Amber" in page  # status in words
    assert "Sep 2026: 88.5%" in page and "Aug 2026: 70.0%" in page
    assert "Jul 2026: no figure" in page
    assert "More contacts are decided the same day." in page
    assert "Two social workers left." in page and "Audits show better screening." in page
    assert "Note: Includes the out-of-hours team." in page
    assert "by head for the Head of Service, MASH" in page
    assert "CSIP.09" not in page  # not an area of theirs
    kpi = world["kpi"]
    assert reverse("kpi-entry", args=[kpi.pk, "2026-10"]) in page
    assert reverse("kpi-detail", args=[kpi.pk]) in page
    assert f'name="version-{world["actual"].pk}" value="{world["actual"].version}"' in page
    assert 'href="/approvals/">Approvals</a>' in page


def test_an_approver_reads_the_entry_page_but_cannot_change_the_figure(client, world):
    client.force_login(world["approver"])
    url = reverse("kpi-entry", args=[world["kpi"].pk, "2026-10"])
    page = client.get(url).content.decode()
    assert "You sign off this KPI's figures, so you can read this one" in page
    assert "Awaiting sign-off since" in page
    assert '<form method="post" novalidate>' not in page
    assert client.post(url, {"version": "9", "value": "1"}).status_code == 403


def test_an_analyst_sees_everything_awaiting_except_what_they_saved(client, world):
    analyst = user_in(roles.ANALYST, "analyst")
    save_actual(kpi=world["kpi"], period=datetime.date(2026, 7, 1), user=analyst,
                expected_version=None, value=Decimal(60))  # fmt: skip
    client.force_login(analyst)
    page = client.get(APPROVALS).content.decode()
    assert "4 figures are awaiting your sign-off" in page  # Aug, Sep, Oct and CSIP.09
    assert "CSIP.09" in page and "Jul 2026</h4>" not in page


def test_sign_off_selected_signs_off_every_ticked_figure(client, world):
    client.force_login(world["approver"])
    figures = list(signoff.awaiting_for(world["approver"]))
    data = {"figure": [a.pk for a in figures]} | {f"version-{a.pk}": a.version for a in figures}
    response = client.post(APPROVALS, data, follow=True)
    page = response.content.decode()
    assert (
        "Signed off 3 figures: CSIP.01 for Aug 2026, CSIP.01 for Sep 2026, CSIP.01 for Oct" in page
    )
    assert "No figures are awaiting your sign-off" in page
    states = set(Actual.objects.filter(kpi=world["kpi"]).values_list("state", flat=True))
    assert states == {Actual.State.SIGNED_OFF}


def test_a_stale_figure_refuses_the_whole_sign_off(client, world):
    client.force_login(world["approver"])
    figures = list(signoff.awaiting_for(world["approver"]))
    data = {"figure": [a.pk for a in figures]} | {f"version-{a.pk}": a.version for a in figures}
    actual = world["actual"]
    save_actual(kpi=world["kpi"], period=OCT_2026, user=world["head"],
                expected_version=actual.version, value=Decimal("94"), numerator=None,
                denominator=None)  # fmt: skip
    page = client.post(APPROVALS, data).content.decode()
    assert "There is a problem" in page
    assert "CSIP.01 for Oct 2026 was changed after you opened this page. Nothing was signed" in page
    assert not Actual.objects.filter(state=Actual.State.SIGNED_OFF).exists()


def test_nothing_ticked_says_so(client, world):
    client.force_login(world["approver"])
    page = client.post(APPROVALS, {}).content.decode()
    assert "Select at least one figure to sign off." in page
    assert f'href="#figure-{signoff.awaiting_for(world["approver"]).first().pk}"' in page


def test_signing_off_a_figure_of_another_area_is_forbidden(client, world):
    client.force_login(world["approver"])
    elsewhere = world["elsewhere"]
    data = {"figure": [elsewhere.pk], f"version-{elsewhere.pk}": elsewhere.version}
    assert client.post(APPROVALS, data).status_code == 403
    assert Actual.objects.get(pk=elsewhere.pk).state == Actual.State.SUBMITTED


def test_return_with_a_reason_goes_back_to_the_owner(client, world):
    client.force_login(world["approver"])
    actual = world["actual"]
    url = reverse("approval-return", args=[actual.pk])
    data = {"version": actual.version, "reason": "The count does not match the MASH log."}
    response = client.post(url, data, follow=True)
    assert "Returned CSIP.01 for Oct 2026 to its owner" in response.content.decode()
    actual.refresh_from_db()
    assert actual.state == Actual.State.RETURNED
    assert actual.returned_reason == "The count does not match the MASH log."
    client.force_login(world["head"])
    assert "The count does not match the MASH log." in client.get("/updates/").content.decode()


def test_return_without_a_reason_is_refused_with_an_error_summary(client, world):
    client.force_login(world["approver"])
    actual = world["actual"]
    url = reverse("approval-return", args=[actual.pk])
    page = client.post(url, {"version": actual.version, "reason": "  "}).content.decode()
    assert "There is a problem" in page
    assert f'href="#return-{actual.pk}-reason"' in page
    assert "Say why the figure is returned, so its owner can fix it." in page
    assert "<title>Error: Approvals" in page
    assert Actual.objects.get(pk=actual.pk).state == Actual.State.SUBMITTED


def test_a_stale_return_is_refused(client, world):
    client.force_login(world["approver"])
    actual = world["actual"]
    url = reverse("approval-return", args=[actual.pk])
    page = client.post(url, {"version": actual.version - 1, "reason": "Wrong"}).content.decode()
    assert "was changed after you opened this page. Nothing was returned" in page
    assert Actual.objects.get(pk=actual.pk).state == Actual.State.SUBMITTED


@pytest.mark.parametrize("role", ["board member", "head without an area", "anonymous"])
def test_who_may_not_open_the_approvals_page(client, world, role):
    if role == "board member":
        user = user_in(roles.BOARD_MEMBER, "board")
        world["area"].responsible_officer.user = None
        world["area"].responsible_officer.save()
        OfficerFactory(user=user)
        world["area"].responsible_officer = user.officer
        world["area"].save()
    elif role == "head without an area":
        user = world["head"]
    if role != "anonymous":
        client.force_login(user)
    actual = world["actual"]
    get = client.get(APPROVALS)
    post = client.post(APPROVALS, {"figure": [actual.pk], f"version-{actual.pk}": actual.version})
    returned = client.post(
        reverse("approval-return", args=[actual.pk]), {"version": actual.version, "reason": "x"}
    )
    if role == "anonymous":
        assert get.status_code == post.status_code == returned.status_code == 302
        assert "/accounts/login/" in get["Location"]
    else:
        assert get.status_code == post.status_code == returned.status_code == 403
        assert 'href="/approvals/"' not in client.get("/").content.decode()
    assert Actual.objects.get(pk=actual.pk).state == Actual.State.SUBMITTED


def test_the_approver_sees_an_empty_page_when_nothing_waits(client, world):
    Actual.objects.update(state=Actual.State.SIGNED_OFF)
    client.force_login(world["approver"])
    page = client.get(APPROVALS).content.decode()
    assert "No figures are awaiting your sign-off." in page
    assert "Sign off selected" not in page


def test_the_page_is_off_when_the_service_asks_for_no_sign_off(client, world, settings):
    settings.SIGN_OFF_REQUIRED = False
    client.force_login(world["approver"])
    assert client.get(APPROVALS).status_code == 403
    assert 'href="/approvals/"' not in client.get("/updates/").content.decode()


def _many(count: int, approver) -> None:
    """``count`` figures awaiting sign-off across a few KPIs, areas and months."""
    plan = PlanFactory(start=datetime.date(2021, 1, 1))
    areas = [PriorityAreaFactory(plan=plan, responsible_officer=approver.officer) for _ in range(3)]
    owners = [OfficerFactory() for _ in range(3)]
    kpis = Kpi.objects.bulk_create(
        Kpi(code=f"M.{n:03d}", title=f"Measure {n}", owner=owners[n % 3], unit="percent",
            polarity="higher", reporting_from=datetime.date(2020, 1, 1))
        for n in range(count // 10)
    )  # fmt: skip
    for n, kpi in enumerate(kpis):
        kpi.areas.add(areas[n % 3])
    Actual.objects.bulk_create(
        Actual(kpi=kpi, period=datetime.date(2026 - m // 12, 12 - m % 12, 1), value=50 + m,
               numerator=m, denominator=100)
        for kpi in kpis for m in range(1, 11)
    )  # fmt: skip


@pytest.mark.parametrize("figures", [10, 200])
def test_the_page_runs_the_same_queries_whatever_the_number_of_figures(client, world, figures):
    approver = world["approver"]
    Actual.objects.all().delete()
    _many(figures, approver)
    client.force_login(approver)
    client.get(reverse("accessibility"))  # the session's first save happens here
    with CaptureQueriesContext(connection) as queries:
        page = client.get(APPROVALS).content.decode()
    assert page.count('name="figure"') == figures
    # Session and user (2), groups, whether they approve, the figures, their KPIs with
    # targets, figures, areas, definition changes and the areas' officers (6), the
    # caption's post, and the menu's My updates and Approvals (2).
    assert len(queries) <= 14, "\n".join(q["sql"][:150] for q in queries.captured_queries)
