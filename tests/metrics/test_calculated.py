"""Calculated KPIs: worked out from their inputs on every write path, never typed in.

The social worker workforce profile's permanent share is the example: the
permanent FTE as a percentage of the establishment FTE (Scrutiny Committee,
13 March 2023: Social Worker Strategy, workforce profile data as at
September 2022).
"""

import datetime
import html
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from metrics import calculated, importer, rag, summary
from metrics.loading import FixtureError, load_plan_data
from metrics.models import Actual, Kpi, KpiFormula, PeriodLock
from metrics.services import save_actual
from priorities import roles
from tests.factories import (
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)
from tests.metrics.import_helpers import xlsx

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2026, 11, 22)
AUG, NOV, DEC = D(2021, 8, 1), D(2021, 11, 1), D(2021, 12, 1)
SHARE_RULE = (
    "WF.03 is calculated (WF.02 as a percentage of WF.01): its figures are worked out "
    "from those KPIs, never typed in."
)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def analyst(client):
    user = UserFactory(username="analyst", is_staff=True)
    user.groups.add(roles.ensure_groups()[roles.ANALYST])
    client.force_login(user)
    return user


@pytest.fixture
def workforce(analyst):
    """Establishment and permanent FTE, and the permanent share worked out from them."""
    fte = {"unit": Kpi.Unit.FTE, "decimal_places": 2, "polarity": Kpi.Polarity.NEUTRAL}
    establishment = KpiFactory(code="WF.01", title="Establishment (FTE)", **fte)
    permanent = KpiFactory(code="WF.02", title="Permanent social workers (FTE)", **fte)
    share = KpiFactory(code="WF.03", title="Permanent social workers as % of establishment")
    TargetFactory(kpi=share, starts=AUG, value=85)
    KpiFormula.objects.create(
        kpi=share, kind=KpiFormula.Kind.PERCENT, first=permanent, second=establishment
    )
    return establishment, permanent, share


def _save(kpi: Kpi, period: datetime.date, value: str, user, reason: str = "") -> Actual:
    current = Actual.objects.filter(kpi=kpi, period=period).first()
    return save_actual(
        kpi=kpi,
        period=period,
        user=user,
        expected_version=current.version if current else None,
        reason=reason,
        value=Decimal(value),
    )


def _figure(kpi: Kpi, period: datetime.date) -> Decimal | None:
    actual = Actual.objects.filter(kpi=kpi, period=period).first()
    return None if actual is None else actual.value.normalize()


def _profile(workforce, user, months: dict) -> None:
    establishment, permanent, _ = workforce
    for period, (est, perm) in months.items():
        _save(establishment, period, est, user)
        _save(permanent, period, perm, user)


def test_the_permanent_share_is_worked_out_from_permanent_and_establishment_fte(workforce, analyst):
    _profile(workforce, analyst, {AUG: ("129.44", "77.26"), NOV: ("132.44", "68.66")})
    share = workforce[2]
    assert _figure(share, AUG) == Decimal("59.7")
    stored = Actual.objects.get(kpi=share, period=NOV)
    assert stored.value == Decimal("51.8")
    assert stored.source == "Calculated: WF.02 (68.66) as a percentage of WF.01 (132.44)"
    # Judged like any KPI, against its own target of 85%.
    row = summary.for_board(Kpi.objects.filter(pk=share.pk), NOV, today=TODAY)[0]
    assert (row.value, row.status) == (Decimal("51.8"), rag.Status.RED)


def test_only_months_both_inputs_have_are_worked_out(workforce, analyst):
    establishment, permanent, share = workforce
    _save(establishment, AUG, "129.44", analyst)
    _save(permanent, NOV, "68.66", analyst)
    assert not Actual.objects.filter(kpi=share).exists()


def test_changing_an_input_on_the_entry_page_changes_the_figure_in_the_same_save(
    client, workforce, analyst
):
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    _, permanent, share = workforce
    version = Actual.objects.get(kpi=permanent, period=NOV).version
    url = reverse("kpi-entry", args=[permanent.pk, "2021-11"])
    client.post(url, {"value": "76.66", "version": str(version)})
    assert _figure(share, NOV) == Decimal("57.9")
    change = Actual.history.filter(kpi=share, period=NOV).latest("history_date")
    assert change.history_user == analyst
    assert change.history_change_reason == "Calculated from WF.02 as a percentage of WF.01"
    assert "57.9%" in client.get(reverse("kpi-detail", args=[share.pk])).content.decode()


def test_a_failed_recalculation_leaves_the_input_unsaved(client, workforce, analyst, monkeypatch):
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    _, permanent, share = workforce

    def broken(*args, **kwargs):
        raise RuntimeError("worked out wrongly")

    monkeypatch.setattr(calculated, "_work_out", broken)
    url = reverse("kpi-entry", args=[permanent.pk, "2021-11"])
    with pytest.raises(RuntimeError):
        client.post(url, {"value": "76.66", "version": "1"})
    assert (_figure(permanent, NOV), _figure(share, NOV)) == (Decimal("68.66"), Decimal("51.8"))


def test_an_import_that_changes_inputs_works_the_share_out_again(workforce, analyst):
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    sheet = [
        ["KPI code", "Nov 2021", "Dec 2021"],
        ["WF.01", 132.44, 132.44],
        ["WF.02", 70, 76.66],
    ]
    plan = importer.commit(xlsx({"Actuals": sheet}), user=analyst)
    assert not plan.rejections
    assert plan.notices == [
        "Calculated from these figures, and worked out again when the import is confirmed "
        "(with any calculated from them): WF.03."
    ]
    share = workforce[2]
    assert (_figure(share, NOV), _figure(share, DEC)) == (Decimal("52.9"), Decimal("57.9"))
    change = Actual.history.filter(kpi=share, period=DEC).get()
    assert (change.history_user, change.history_type) == (analyst, "+")


def test_deleting_an_input_in_the_admin_removes_the_calculated_figure(client, workforce, analyst):
    _profile(workforce, analyst, {NOV: ("132.44", "68.66"), DEC: ("132.44", "76.66")})
    establishment, _, share = workforce
    figure = Actual.objects.get(kpi=establishment, period=NOV)
    client.post(reverse("admin:metrics_actual_delete", args=[figure.pk]), {"post": "yes"})
    assert _figure(share, NOV) is None
    assert _figure(share, DEC) == Decimal("57.9")
    gone = Actual.history.filter(kpi=share, period=NOV).latest("history_date")
    assert (gone.history_type, gone.history_user) == ("-", analyst)


def test_a_typed_figure_is_refused_on_the_entry_page_the_admin_and_the_import(
    client, workforce, analyst
):
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    share = workforce[2]
    url = reverse("kpi-entry", args=[share.pk, "2021-11"])
    page = html.unescape(client.post(url, {"value": "90", "version": "1"}).content.decode())
    assert SHARE_RULE in page
    add = {"kpi": share.pk, "period": "2021-12-01", "value": "90", "source": ""}
    page = html.unescape(client.post(reverse("admin:metrics_actual_add"), add).content.decode())
    assert SHARE_RULE in page
    sheet = [["KPI code", "Period", "Value"], ["WF.03", "2021-11", 90]]
    issues = importer.preview(xlsx({"Actuals": sheet})).rejections
    assert [(i.sheet, i.row, i.column, i.message) for i in issues] == [
        ("Actuals", 2, "C (Value)", SHARE_RULE)
    ]
    assert _figure(share, NOV) == Decimal("51.8")
    assert _figure(share, DEC) is None


def test_an_unchanged_calculated_figure_in_a_workbook_is_not_refused(workforce, analyst):
    # The template lists calculated figures too: uploading it again changes nothing.
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    sheet = [["KPI code", "Period", "Value"], ["WF.03", "2021-11", 51.8]]
    plan = importer.preview(xlsx({"Actuals": sheet}))
    assert not plan.rejections
    assert plan.sheets["Actuals"].unchanged == 1


def test_pages_mark_a_calculated_kpi_and_link_its_inputs(client, workforce, analyst):
    establishment, permanent, share = workforce
    entry = client.get(reverse("kpi-entry", args=[share.pk, "2021-11"])).content.decode()
    detail = client.get(reverse("kpi-detail", args=[share.pk])).content.decode()
    for page in (entry, detail):
        assert "Calculated" in page
        assert reverse("kpi-detail", args=[permanent.pk]) in page
        assert reverse("kpi-detail", args=[establishment.pk]) in page
    assert 'name="value"' not in entry
    assert SHARE_RULE in html.unescape(entry)
    plain = client.get(reverse("kpi-entry", args=[permanent.pk, "2021-11"])).content.decode()
    assert 'name="value"' in plain


def test_my_updates_never_lists_a_calculated_kpi_as_due(client, workforce):
    head = UserFactory(username="head")
    head.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    officer = OfficerFactory(user=head)
    area = PriorityAreaFactory()
    for kpi in workforce:
        kpi.owner = officer
        kpi.save()
        kpi.areas.add(area)
    client.force_login(head)
    page = client.get(reverse("my-updates")).content.decode()
    assert "WF.01" in page and "WF.02" in page
    assert "WF.03" not in page


def test_a_calculation_of_a_calculation_is_worked_out_after_its_input(workforce, analyst):
    establishment, permanent, _ = workforce
    # Named so that code order would work the second calculation out first.
    gap = KpiFactory(code="WF.09", unit=Kpi.Unit.FTE, decimal_places=2)
    gap_share = KpiFactory(code="WF.00")
    KpiFormula.objects.create(
        kpi=gap, kind=KpiFormula.Kind.DIFFERENCE, first=establishment, second=permanent
    )
    KpiFormula.objects.create(
        kpi=gap_share, kind=KpiFormula.Kind.PERCENT, first=gap, second=establishment
    )
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    assert (_figure(gap, NOV), _figure(gap_share, NOV)) == (Decimal("63.78"), Decimal("48.2"))
    _save(permanent, NOV, "76.66", analyst)
    assert (_figure(gap, NOV), _figure(gap_share, NOV)) == (Decimal("55.78"), Decimal("42.1"))


def test_a_locked_month_is_left_as_it_stood(workforce, analyst):
    _profile(workforce, analyst, {NOV: ("132.44", "68.66"), DEC: ("132.44", "68.66")})
    PeriodLock.objects.create(locked_through=NOV, reason="The board met on 5 January")
    _, permanent, share = workforce
    _save(permanent, NOV, "76.66", analyst, reason="Corrected by HR")
    _save(permanent, DEC, "76.66", analyst)
    assert _figure(permanent, NOV) == Decimal("76.66")
    assert (_figure(share, NOV), _figure(share, DEC)) == (Decimal("51.8"), Decimal("57.9"))


def _kpi_admin_data(kpi: Kpi, **formula) -> dict:
    data = {
        "code": kpi.code, "title": kpi.title, "unit": kpi.unit, "polarity": kpi.polarity,
        "tolerance_kind": kpi.tolerance_kind, "decimal_places": str(kpi.decimal_places),
        "frequency": kpi.frequency, "year_ends": str(kpi.year_ends),
        "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0",
        "benchmarks-TOTAL_FORMS": "0", "benchmarks-INITIAL_FORMS": "0",
        "formula-TOTAL_FORMS": "1", "formula-INITIAL_FORMS": "0",
        "definition_changes-TOTAL_FORMS": "0", "definition_changes-INITIAL_FORMS": "0",
    }  # fmt: skip
    return data | {f"formula-0-{name}": value for name, value in formula.items()}


def test_the_admin_refuses_a_calculation_that_goes_round_in_a_circle(client, workforce):
    establishment, _, share = workforce
    data = _kpi_admin_data(establishment, kind="sum", first=share.pk, second=share.pk)
    data["formula-0-second"] = workforce[1].pk
    url = reverse("admin:metrics_kpi_change", args=[establishment.pk])
    page = html.unescape(client.post(url, data).content.decode())
    assert (
        "WF.01 is already an input, directly or through another calculation, of one of these "
        "KPIs: a calculation cannot go round in a circle."
    ) in page
    assert not KpiFormula.objects.filter(kpi=establishment).exists()


def test_a_calculation_set_in_the_admin_works_out_every_month(client, workforce, analyst):
    establishment, permanent, _ = workforce
    _profile(workforce, analyst, {AUG: ("129.44", "77.26"), NOV: ("132.44", "68.66")})
    gap = KpiFactory(code="WF.09", unit=Kpi.Unit.FTE, decimal_places=2)
    ActualFactory(kpi=gap, period=D(2021, 5, 1), value=1)  # typed before it was calculated
    data = _kpi_admin_data(gap, kind="difference", first=establishment.pk, second=permanent.pk)
    client.post(reverse("admin:metrics_kpi_change", args=[gap.pk]), data)
    assert str(gap.__class__.objects.get(pk=gap.pk).formula) == "WF.09 = WF.01 minus WF.02"
    assert _figure(gap, AUG) == Decimal("52.18")
    assert _figure(gap, NOV) == Decimal("63.78")
    assert _figure(gap, D(2021, 5, 1)) is None  # no inputs that month
    assert Actual.history.filter(kpi=gap, period=NOV).get().history_user == analyst


def _queries_to_recalculate(kpis, months: int) -> int:
    establishment, permanent, _ = kpis
    for n in range(months):
        period = D(2018 + n // 12, n % 12 + 1, 1)
        ActualFactory(kpi=establishment, period=period, value=130)
        ActualFactory(kpi=permanent, period=period, value=65)
    with transaction.atomic():
        assert calculated.recalculate(kpi_ids=[establishment.pk]) == months
        with CaptureQueriesContext(connection) as queries:
            assert calculated.recalculate(kpi_ids=[establishment.pk, permanent.pk]) == 0
    return len(queries)


def test_recalculating_reads_in_the_same_queries_for_one_month_or_fifty(workforce):
    one = _queries_to_recalculate(workforce, 1)
    Actual.objects.all().delete()
    assert _queries_to_recalculate(workforce, 50) == one <= 3


def _fixture_kpi(code: str, actuals: list, **extra) -> dict:
    return {
        "code": code, "title": f"Measure {code}", "unit": "fte", "polarity": "neutral",
        "decimal_places": 2, "actuals": actuals, **extra,
    }  # fmt: skip


def test_the_fixture_loader_works_out_calculated_figures_once_everything_is_loaded():
    source = "Scrutiny Committee, 13 March 2023: workforce profile data"
    share = _fixture_kpi("WF.03", [], unit="percent", decimal_places=1)
    share["formula"] = {"kind": "percent", "first": "WF.02", "second": "WF.01"}
    load_plan_data(
        {
            "kpis": [
                share,  # listed before its inputs
                _fixture_kpi("WF.01", [{"period": "2021-11", "value": 132.44, "source": source}]),
                _fixture_kpi("WF.02", [{"period": "2021-11", "value": 68.66, "source": source}]),
            ]
        }
    )
    assert _figure(Kpi.objects.get(code="WF.03"), NOV) == Decimal("51.8")
    change = Actual.history.get(kpi__code="WF.03")
    assert change.history_change_reason == "Calculated from WF.02 as a percentage of WF.01"


def test_the_fixture_loader_refuses_figures_listed_for_a_calculated_kpi():
    share = _fixture_kpi("WF.03", [{"period": "2021-11", "value": 51.8}], unit="percent")
    share["formula"] = {"kind": "percent", "first": "WF.02", "second": "WF.01"}
    data = {"kpis": [_fixture_kpi("WF.01", []), _fixture_kpi("WF.02", []), share]}
    with pytest.raises(FixtureError, match=r"KPI WF\.03 is calculated: .* never listed"):
        load_plan_data(data)
    assert not Kpi.objects.exists()


def test_a_calculated_kpi_given_more_decimal_places_is_worked_out_to_them(
    client, workforce, analyst
):
    establishment, permanent, share = workforce
    _profile(workforce, analyst, {NOV: ("132.44", "68.66")})
    data = _kpi_admin_data(share, kind="percent", first=permanent.pk, second=establishment.pk)
    data |= {"decimal_places": "2", "formula-INITIAL_FORMS": "1"}
    data |= {"formula-0-id": share.formula.pk, "formula-0-kpi": share.pk}
    client.post(reverse("admin:metrics_kpi_change", args=[share.pk]), data)
    assert _figure(share, NOV) == Decimal("51.84")
