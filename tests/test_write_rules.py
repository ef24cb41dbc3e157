"""One home per write rule: the entry pages, the data admin and the workbook import
refuse the same bad input with the same message.

Each case is tried through every path that can express it (a page cannot
ask for month 9999-12: its address does not exist), and the message a user
reads must be the same sentence on each.
"""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from metrics import importer
from metrics.models import Actual, Kpi, KpiFormula, PeriodLock
from priorities import roles
from priorities.models import Action
from tests.factories import (
    ActionFactory,
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
LONG = "x" * (Actual.COMMENTARY_MAX_LENGTH + 1)


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
def kpi(analyst):
    kpi = KpiFactory(code="CSIP.01", reporting_from=D(2020, 11, 1))
    TargetFactory(kpi=kpi, starts=D(2020, 11, 1), value=95)
    return kpi


def _page_figure(client, kpi: Kpi, period: datetime.date, fields: dict) -> str:
    data = {"version": "0", "value": "", "reason": "", **fields}
    url = reverse("kpi-entry", args=[kpi.pk, period.strftime("%Y-%m")])
    return html.unescape(client.post(url, data).content.decode())


def _admin_figure(client, kpi: Kpi, period: datetime.date, fields: dict) -> str:
    data = {"kpi": kpi.pk, "period": period.isoformat(), "source": "", **fields}
    return html.unescape(client.post(reverse("admin:metrics_actual_add"), data).content.decode())


def _import_figure(client, kpi: Kpi, period: datetime.date, fields: dict) -> str:
    headings = ["KPI code", "Period", *(_HEADINGS[name] for name in fields)]
    row = [kpi.code, period.strftime("%Y-%m"), *fields.values()]
    plan = importer.preview(xlsx({"Actuals": [headings, row]}))
    return " ".join(issue.message for issue in plan.rejections)


_HEADINGS = {
    "value": "Value",
    "numerator": "Numerator",
    "denominator": "Denominator",
    "what_data_tells_us": "What is the data telling us",
}
FIGURE_PATHS = {"page": _page_figure, "admin": _admin_figure, "import": _import_figure}

# (case, month, fields, the message, the paths that can express it)
FIGURE_CASES = [
    (
        "a month not yet over",
        D(2035, 1, 1),
        {"value": "90"},
        "Jan 2035 has not ended yet: the latest period you can record is Oct 2026.",
        FIGURE_PATHS,
    ),
    (
        "the year 9999",
        D(9999, 12, 1),
        {"value": "90"},
        "9999 is not a year this service records: check the date.",
        ["admin", "import"],
    ),
    (
        "the year 1",
        D(1, 1, 1),
        {"value": "90"},
        "1 is not a year this service records: check the date.",
        ["admin"],
    ),
    (
        "a percentage over 100",
        D(2021, 9, 1),
        {"value": "150"},
        "Enter a percentage between 0 and 100, for example 90.3.",
        FIGURE_PATHS,
    ),
    (
        "a figure too large to store",
        D(2021, 9, 1),
        {"value": "123456789"},
        "Enter a number below 100,000,000.",
        FIGURE_PATHS,
    ),
    (
        "a value the counts do not give",
        D(2021, 9, 1),
        {"value": "90", "numerator": "1", "denominator": "2"},
        "The value 90.0 does not match 1 out of 2, which gives 50.0: correct the value or the "
        "counts.",
        ["admin", "import"],
    ),
    (
        "commentary too long",
        D(2021, 9, 1),
        {"value": "90", "what_data_tells_us": LONG},
        "Shorten this to 5,000 characters or fewer.",
        FIGURE_PATHS,
    ),
]


@pytest.mark.parametrize(
    ("case", "period", "fields", "message", "path"),
    [
        pytest.param(case, period, fields, message, path, id=f"{case}-{path}")
        for case, period, fields, message, paths in FIGURE_CASES
        for path in paths
    ],
)
def test_every_path_refuses_a_bad_figure_with_the_same_message(
    client, kpi, case, period, fields, message, path
):
    said = FIGURE_PATHS[path](client, kpi, period, fields)
    assert message in said
    assert not Actual.objects.exists()


@pytest.mark.parametrize("path", FIGURE_PATHS)
def test_every_path_refuses_a_locked_month_without_a_reason(client, kpi, path):
    PeriodLock.objects.create(locked_through=D(2021, 10, 1))
    said = FIGURE_PATHS[path](client, kpi, D(2021, 9, 1), {"value": "90"})
    assert "Sep 2021 is locked (closed up to Oct 2021): give a reason for the change." in said
    assert not Actual.objects.exists()


@pytest.mark.parametrize("path", FIGURE_PATHS)
def test_every_path_refuses_a_typed_figure_for_a_calculated_kpi(client, kpi, path):
    share = KpiFactory(code="CSIP.03")
    KpiFormula.objects.create(
        kpi=share, kind=KpiFormula.Kind.PERCENT, first=kpi, second=KpiFactory(code="CSIP.02")
    )
    said = FIGURE_PATHS[path](client, share, D(2021, 9, 1), {"value": "90"})
    assert (
        "CSIP.03 is calculated (CSIP.01 as a percentage of CSIP.02): its figures are worked "
        "out from those KPIs, never typed in."
    ) in said
    assert not Actual.objects.exists()


# Target, KPI and lock months ----------------------------------------------------


def test_admin_and_import_refuse_a_target_from_the_year_9999(client, kpi):
    data = {"kpi": kpi.pk, "starts": "9999-12-01", "value": "90", "source": ""}
    page = client.post(reverse("admin:metrics_target_add"), data).content.decode()
    message = "9999 is not a year this service records: check the date."
    assert message in page
    plan = importer.preview(xlsx({"Targets": [["KPI code", "In force from", "Target"], [
        kpi.code, "9999-12", 90
    ]]}))  # fmt: skip
    assert [issue.message for issue in plan.rejections] == [message]


@pytest.mark.parametrize(
    ("reporting_from", "message"),
    [
        ("0001-01-01", "1 is not a year this service records: check the date."),
        ("2021-03-15", "A period is a month: enter the first day of the month."),
    ],
)
def test_admin_refuses_a_kpi_reported_from_a_day_that_is_not_a_month(
    client, analyst, reporting_from, message
):
    data = {
        "code": "CSIP.99", "title": "Audits", "unit": "percent", "polarity": "higher",
        "tolerance_kind": "absolute", "decimal_places": "1", "frequency": "monthly",
        "reporting_from": reporting_from, "targets-TOTAL_FORMS": "0",
        "targets-INITIAL_FORMS": "0", "benchmarks-TOTAL_FORMS": "0",
        "benchmarks-INITIAL_FORMS": "0", "formula-TOTAL_FORMS": "0",
        "formula-INITIAL_FORMS": "0",
    }  # fmt: skip
    page = client.post(reverse("admin:metrics_kpi_add"), data).content.decode()
    assert message in page
    assert not Kpi.objects.filter(title="Audits").exists()


def test_a_lock_closes_only_months_that_have_ended_and_says_why(client, analyst):
    url = reverse("admin:metrics_periodlock_add")
    page = client.post(url, {"locked_through": "2026-11-01", "reason": ""}).content.decode()
    assert "Only months that have ended can be locked: the latest is Oct 2026." in page
    assert "Say why, for example: the board met on 5 November." in page
    client.post(url, {"locked_through": "2026-10-01", "reason": "Board met on 5 November"})
    assert str(PeriodLock.objects.get()) == "Locked up to Oct 2026"


def test_a_lock_cannot_be_set_in_an_impossible_year(client, analyst):
    page = client.post(
        reverse("admin:metrics_periodlock_add"), {"locked_through": "9999-12-01", "reason": ""}
    ).content.decode()
    assert "9999 is not a year this service records: check the date." in page
    assert not PeriodLock.objects.exists()


# KPI codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["csip.01", " CSIP.01 ", "CSIP.01\u200b", "\uff23\uff33\uff29\uff30.\uff10\uff11"]
)
def test_a_kpi_code_that_differs_only_by_case_spacing_or_invisible_characters_is_the_same(
    client, kpi, code
):
    data = {
        "code": code, "title": "A second copy", "unit": "percent", "polarity": "higher",
        "tolerance_kind": "absolute", "decimal_places": "1", "frequency": "monthly",
        "targets-TOTAL_FORMS": "0", "targets-INITIAL_FORMS": "0",
        "benchmarks-TOTAL_FORMS": "0", "benchmarks-INITIAL_FORMS": "0",
        "formula-TOTAL_FORMS": "0", "formula-INITIAL_FORMS": "0",
    }  # fmt: skip
    page = client.post(reverse("admin:metrics_kpi_add"), data).content.decode()
    assert page.count("Another KPI already has this code.") == 1
    # The import reads the same code as the KPI that exists, not as a new one.
    plan = importer.preview(xlsx({"KPIs": [["KPI code", "Title"], [code, kpi.title]]}))
    assert not plan.rejections
    assert plan.sheets["KPIs"].new == 0
    assert Kpi.objects.count() == 1


# Actions ------------------------------------------------------------------------


@pytest.fixture
def action(analyst):
    head = UserFactory(username="head")
    head.groups.add(roles.ensure_groups()[roles.HEAD_OF_SERVICE])
    return ActionFactory(area=PriorityAreaFactory(), owner=OfficerFactory(user=head), ref="7"), head


def _page_action(client, action: Action, head, fields: dict) -> str:
    client.force_login(head)
    data = {
        "status": action.status, "version": str(action.version), "current_delivery_date": "",
        "date_change_reason": "Moved by the board", "completed_date": "",
        "evidence_of_impact": "", **fields,
    }  # fmt: skip
    return html.unescape(
        client.post(reverse("action-update", args=[action.pk]), data).content.decode()
    )


def _admin_action(client, action: Action, head, fields: dict) -> str:
    data = {
        "area": action.area.pk, "ref": action.ref, "theme": action.theme,
        "description": action.description, "owner": action.owner.pk,
        "current_delivery_date": "", "expected_outputs": "", "status": action.status,
        "evidence_of_impact": "", "completed_date": "", "seen_version": str(action.version),
        "change_reason": "Moved by the board", **fields,
    }  # fmt: skip
    url = reverse("admin:priorities_action_change", args=[action.pk])
    return html.unescape(client.post(url, data).content.decode())


def _import_action(client, action: Action, head, fields: dict) -> str:
    headings = {"status": "Status", "current_delivery_date": "Current delivery date"}
    row = [action.area.plan.slug, action.area.number, action.ref, action.description]
    sheet = [["Plan", "Area", "Ref", "Action", *(headings[name] for name in fields)]]
    sheet.append([*row, *fields.values()])
    plan = importer.preview(xlsx({"Actions": sheet}))
    return " ".join(issue.message for issue in plan.rejections)


ACTION_PATHS = {"page": _page_action, "admin": _admin_action, "import": _import_action}
ACTION_CASES = [
    (
        "a delivery date in the year 2921",
        {"current_delivery_date": "31/03/2921"},
        "2921 is not a year this service records: check the date.",
        ACTION_PATHS,
    ),
    (
        "completed in the future",
        {"status": "completed", "completed_date": "23/11/2026"},
        "The date completed cannot be in the future.",
        ["page", "admin"],
    ),
    (
        "completed with no date",
        {"status": "completed", "completed_date": ""},
        "Give the date the action was completed.",
        ["admin"],
    ),
]


@pytest.mark.parametrize(
    ("case", "fields", "message", "path"),
    [
        pytest.param(case, fields, message, path, id=f"{case}-{path}")
        for case, fields, message, paths in ACTION_CASES
        for path in paths
    ],
)
def test_every_path_refuses_a_bad_action_update_with_the_same_message(
    client, action, case, fields, message, path
):
    action, head = action
    if path == "admin":
        fields = {
            name: datetime.datetime.strptime(value, "%d/%m/%Y").date().isoformat()
            if name.endswith("_date") and value
            else value
            for name, value in fields.items()
        }
    said = ACTION_PATHS[path](client, action, head, fields)
    assert message in said
    stored = Action.objects.get(pk=action.pk)
    assert (stored.status, stored.version) == (action.status, action.version)


@pytest.mark.parametrize("path", FIGURE_PATHS)
def test_every_path_reads_figures_as_people_type_them(client, kpi, path):
    FIGURE_PATHS[path](client, kpi, D(2021, 9, 1), {"value": "95%"})
    if path == "import":
        importer.commit(xlsx({"Actuals": [["KPI code", "Period", "Value"], [kpi.code, "2021-09",
                                                                            "95%"]]}))  # fmt: skip
    assert Actual.objects.get().value == 95
