"""Preview, then all or nothing: round trips, history, stale previews, every sheet's rules."""

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from metrics import importer
from metrics.importer import apply
from metrics.loading import load_plan_data
from metrics.models import Actual, Benchmark, ImportRun, Kpi, Target
from priorities.models import Action
from tests.factories import (
    ActionFactory,
    ActualFactory,
    KpiFactory,
    OfficerFactory,
    PriorityAreaFactory,
    TargetFactory,
    UserFactory,
)
from tests.metrics import import_helpers as support
from tests.metrics.import_helpers import (
    AUG_2021,
    actuals_long,
    actuals_wide,
    shared_strings,
    xlsx,
)

pytestmark = pytest.mark.django_db
D = Decimal

assessments = support.assessments
# Every workbook a test has the import read is also read by openpyxl: the cells must agree.
streamed_cells_match_openpyxl = support.streamed_cells_match_openpyxl


@pytest.fixture
def dudley(db):
    """The real Dudley plan, KPIs and figures from the shipped fixture."""
    fixture = Path(settings.BASE_DIR) / "fixtures" / "dudley.json"
    load_plan_data(json.loads(fixture.read_text(encoding="utf-8")))


def counts(plan: importer.ImportPlan) -> dict:
    return {
        name: (s.new, s.changed, s.unchanged, s.rejected)
        for name, s in plan.sheets.items()
        if s.present
    }


# Round trip -------------------------------------------------------------------


def test_the_template_round_trips_with_no_changes(dudley):
    data = importer.build_template()
    plan = importer.preview(data)
    assert not plan.rejections and not plan.changes, [str(i) for i in plan.rejections[:5]]
    totals = counts(plan)
    assert totals["KPIs"] == (0, 0, Kpi.objects.count(), 0)
    assert totals["Actuals"] == (0, 0, Actual.objects.count(), 0)
    assert totals["Targets"] == (0, 0, Target.objects.count(), 0)
    assert totals["Benchmarks"] == (0, 0, Benchmark.objects.count(), 0)
    assert totals["Actions"] == (0, 0, Action.objects.count(), 0)


def test_the_template_round_trips_through_excel_style_shared_strings(dudley):
    assert not importer.preview(shared_strings(importer.build_template())).changes


def test_text_that_looks_like_a_formula_is_escaped_in_the_template_and_comes_back(assessments):
    hostile = [
        '=HYPERLINK("http://evil","click")',
        "+44 risk",
        "-5 cases",
        "@SUM(A1)",
        "\tindented",
        "\rreturn",
    ]
    for month, text in enumerate(hostile, 1):
        ActualFactory(
            kpi=assessments, period=datetime.date(2021, month, 1), value=80, what_data_tells_us=text
        )
    data = importer.build_template()
    book = load_workbook(io.BytesIO(data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    written = [c.value for c in book["Actuals"]["F"][1:]]
    # A carriage return may come back as a newline (openpyxl's plain XML writer) or as
    # itself (with lxml); the apostrophe is what matters.
    assert [text.replace("\r", "\n") for text in written] == [
        "'" + text.replace("\r", "\n") for text in hostile
    ]
    assert not importer.preview(data).changes


def test_escaping_covers_every_formula_trigger():
    for trigger in "=+-@\t\r":
        assert importer.escape_cell_text(trigger + "1") == "'" + trigger + "1"
    assert importer.escape_cell_text("Improving") == "Improving"
    assert importer.escape_cell_text("bell\x07") == "bell"


def test_an_edited_template_previews_exactly_the_edits(dudley):
    data = importer.build_template()
    book = load_workbook(io.BytesIO(data))
    sheet = book["Actuals"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "PI.426")
    old = row[2].value
    row[2].value = 91.5
    output = io.BytesIO()
    book.save(output)
    plan = importer.preview(output.getvalue())
    (change,) = plan.changes
    described = importer.describe_change(change)
    assert described["fields"] == [
        {"field": "Value", "old": importer.show_value(D(str(old))), "new": "91.5"}
    ]
    assert described["record"].startswith("PI.426 Q")


# All or nothing, and idempotence ------------------------------------------------


def workbook_with_a_bad_last_row() -> bytes:
    return xlsx(
        {
            "KPIs": [
                ["KPI code", "Title", "Unit", "Polarity"],
                ["CSIP.99", "New measure", "percent", "higher"],
            ],
            "Targets": [["KPI code", "In force from", "Target"], ["CSIP.99", "Apr 2021", 90]],
            "Actuals": [
                ["KPI code", "Period", "Value"],
                ["CSIP.99", "Jun 2021", 70],
                ["PI.426", "Jun 2021", 80],
                ["PI.426", "Jul 2021", "132.44 (1.)"],
            ],
        }
    )


def test_a_bad_last_row_leaves_the_database_unchanged(assessments):
    user = UserFactory()
    plan = importer.commit(workbook_with_a_bad_last_row(), user=user)
    (issue,) = plan.rejections
    assert (issue.sheet, issue.row) == ("Actuals", 4)
    assert not Kpi.objects.filter(code="CSIP.99").exists()
    assert not Target.objects.exists() and not Actual.objects.exists()
    assert not Kpi.history.filter(code="CSIP.99").exists() and not Actual.history.exists()


def test_a_failure_while_writing_rolls_everything_back(assessments, monkeypatch):
    data = xlsx(
        {
            "KPIs": [["KPI code", "Title", "Polarity"], ["CSIP.99", "New measure", "higher"]],
            "Actuals": [["KPI code", "Period", "Value"], ["PI.426", "Jun 2021", 80]],
        }
    )

    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(apply, "_write_actuals", fail)
    with pytest.raises(importer.StaleImport):
        importer.commit(data)
    assert not Kpi.objects.filter(code="CSIP.99").exists()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(assessments):
    data = actuals_long(["PI.426", "Jun 2021", 80, 80, 100, "Better"], ["PI.426", "Jul 2021", 81])
    first = importer.commit(data)
    assert counts(first)["Actuals"] == (2, 0, 0, 0)
    history = Actual.history.count()
    second = importer.commit(data)
    assert counts(second)["Actuals"] == (0, 0, 2, 0) and not second.changes
    assert Actual.history.count() == history


def test_apply_refuses_a_plan_with_rejections(assessments):
    plan = importer.preview(actuals_wide(["Aug 2021"], ["PI.426", "lots"]))
    with pytest.raises(ValueError):
        importer.apply_plan(plan)


# History ------------------------------------------------------------------------


def test_every_figure_written_has_a_history_row_with_who_and_why(assessments):
    user = UserFactory(username="perf")
    existing = ActualFactory(kpi=assessments, period=datetime.date(2021, 6, 1), value=D(70))
    data = actuals_wide(["Jun 2021", "Jul 2021", "Aug 2021"], ["PI.426", 75, 76, 77])
    run, _plan = importer.start_run(
        data=data, file_name="tracker.xlsx", user=user, via=ImportRun.Via.COMMAND, apply=True
    )
    assert run.outcome == ImportRun.Outcome.APPLIED
    existing.refresh_from_db()
    assert existing.value == 75 and existing.version == 2 and existing.updated_by == user
    records = Actual.history.filter(kpi=assessments).order_by("period", "history_id")
    assert [(r.period.month, r.history_type, r.value, r.version) for r in records] == [
        (6, "+", 70, 1),
        (6, "~", 75, 2),
        (7, "+", 76, 1),
        (8, "+", 77, 1),
    ]
    written = [r for r in records if r.history_type != "+" or r.period.month > 6]
    assert {r.history_user for r in written} == {user}
    assert {r.history_change_reason for r in written} == {f"Workbook import {run.pk}"}
    new = Actual.objects.get(kpi=assessments, period=AUG_2021)
    assert new.updated_by == user and new.updated_at is not None


def test_many_rows_of_mixed_shapes_are_each_written_once_with_a_matching_history_row(
    monkeypatch,
):
    # Several statements per shape, and a last one part full, as in a big import.
    monkeypatch.setattr(apply, "ROWS_PER_INSERT", 7)
    plain, noted, counted = (KpiFactory(code=f"K.{n}", decimal_places=1) for n in range(3))
    kept = ActualFactory(kpi=plain, period=datetime.date(2014, 1, 1), value=D(50))
    ActualFactory(kpi=plain, period=datetime.date(2014, 2, 1)).delete()
    months = [datetime.date(2015 + n // 12, n % 12 + 1, 1) for n in range(20)]
    rows = [["K.0", month, 60 + n / 10] for n, month in enumerate(months)]
    rows += [
        ["K.1", month, 70, None, None, f"Note {n}", "", "Audit"]
        for n, month in enumerate(months[:10])
    ]
    rows += [["K.2", month, None, n, 40] for n, month in enumerate(months[:9])]

    plan = importer.commit(actuals_long(*rows))

    assert not plan.rejections and plan.sheets["Actuals"].new == 39
    fields = ["kpi_id", "period", "value", "numerator", "denominator", "what_data_tells_us",
              "evidence_of_impact", "version"]  # fmt: skip
    written = set(Actual.objects.exclude(pk=kept.pk).values_list("id", *fields))
    assert len(written) == 39
    assert {(r[2], r[3]) for r in written if r[1] == plain.pk} == {
        (month, D(60 + n / 10).quantize(D("0.1"))) for n, month in enumerate(months)
    }
    assert {(r[2], r[6], r[7]) for r in written if r[1] == noted.pk} == {
        (month, f"Note {n}", "Audit") for n, month in enumerate(months[:10])
    }
    assert {(r[2], r[3]) for r in written if r[1] == counted.pk} == {
        (month, D(n * 100) / 40) for n, month in enumerate(months[:9])
    }
    copies = Actual.history.filter(history_type="+").exclude(id=kept.pk).exclude(period__year=2014)
    assert sorted(copies.values_list("id", *fields)) == sorted(written)
    assert Actual.history.filter(id=kept.pk).count() == 1


def test_new_figures_import_while_queries_are_logged_as_with_debug_on(assessments):
    with CaptureQueriesContext(connection) as queries:
        importer.commit(actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", 80, 81]))
    assert Actual.objects.count() == 2 and Actual.history.count() == 2
    # PostgreSQL writes figures with COPY (metrics.importer.apply_copy), logged like the rest.
    writes = ("INSERT", "COPY")
    assert any(w in query["sql"] for query in queries.captured_queries for w in writes)


def test_several_updated_figures_each_move_their_version_on(assessments):
    months = [datetime.date(2021, m, 1) for m in (6, 7, 8)]
    for month in months:
        ActualFactory(kpi=assessments, period=month, value=D(70))
    importer.commit(actuals_wide(["Jun 2021", "Jul 2021", "Aug 2021"], ["PI.426", 71, 72, 73]))
    assert list(Actual.objects.order_by("period").values_list("value", "version")) == [
        (71, 2),
        (72, 2),
        (73, 2),
    ]
    assert Actual.history.filter(history_type="~").count() == 3


def test_an_update_whose_version_moved_on_after_planning_is_refused(assessments):
    actual = ActualFactory(kpi=assessments, period=AUG_2021, value=D(70))
    plan = importer.preview(actuals_wide(["Aug 2021"], ["PI.426", 75]))
    actual.value = D(71)
    actual.save()
    with pytest.raises(importer.StaleImport), transaction.atomic():
        importer.apply_plan(plan)
    actual.refresh_from_db()
    assert actual.value == 71 and actual.version == 2
    assert not Actual.history.filter(history_type="~", value=75).exists()


def test_kpis_targets_benchmarks_and_actions_get_history_through_the_bulk_helpers(assessments):
    user = UserFactory()
    area = PriorityAreaFactory(number=1)
    data = xlsx(
        {
            "KPIs": [
                ["KPI code", "Title", "Polarity"],
                ["PI.426", "Renamed", None],
                ["CSIP.99", "New", "lower"],
            ],
            "Targets": [["KPI code", "In force from", "Target"], ["PI.426", "Apr 2021", 86.3]],
            "Benchmarks": [
                ["KPI code", "Comparator", "Period", "Value"],
                ["PI.426", "SN", "Mar 2021", 85.5],
            ],
            "Actions": [["Plan", "Area", "Ref", "Action"], [area.plan.slug, 1, "1", "Audit"]],
        }
    )
    plan = importer.commit(data, user=user)
    assert not plan.rejections
    assert Kpi.history.filter(code="PI.426", history_type="~", title="Renamed").exists()
    assert Kpi.history.filter(code="CSIP.99", history_type="+", history_user=user).exists()
    assert Target.history.get().value == D("86.3")
    assert Benchmark.history.get().comparator == "statistical_neighbours"
    assert Action.history.get().description == "Audit"


# Preview, confirm, cancel -------------------------------------------------------


def test_confirm_refuses_when_the_data_changed_since_the_preview(assessments):
    user = UserFactory()
    actual = ActualFactory(kpi=assessments, period=AUG_2021, value=D(70))
    run, _plan = importer.start_run(
        data=actuals_wide(["Aug 2021"], ["PI.426", 75]), file_name="t.xlsx", user=user
    )
    assert run.outcome == ImportRun.Outcome.PREVIEWED and run.file_data and run.fingerprint
    actual.value = D(72)
    actual.save()
    with pytest.raises(importer.StaleImport, match="changed since your preview"):
        importer.confirm_run(run, user=user)
    actual.refresh_from_db()
    assert actual.value == 72
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.REFUSED and not run.file_data


def test_confirm_applies_the_previewed_bytes(assessments):
    user = UserFactory()
    run, _ = importer.start_run(
        data=actuals_wide(["Aug 2021"], ["PI.426", 75]), file_name="t.xlsx", user=user
    )
    importer.confirm_run(run, user=user)
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.APPLIED and run.finished_at and not run.file_data
    assert Actual.objects.get().value == 75


def test_cancel_writes_nothing_and_frees_the_file(assessments):
    run, _ = importer.start_run(data=actuals_wide(["Aug 2021"], ["PI.426", 75]), file_name="t.xlsx")
    importer.cancel_run(run)
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.CANCELLED and not run.file_data
    assert not Actual.objects.exists()
    with pytest.raises(importer.StaleImport):
        importer.confirm_run(run)


def preview_run(user, age_hours: int = 0) -> ImportRun:
    run, _ = importer.start_run(
        data=actuals_wide(["Aug 2021"], ["PI.426", 75]), file_name="t.xlsx", user=user
    )
    old = timezone.now() - datetime.timedelta(hours=age_hours)
    ImportRun.objects.filter(pk=run.pk).update(created_at=old)
    run.refresh_from_db()
    return run


def test_a_preview_older_than_the_limit_cannot_be_confirmed_and_frees_its_file(assessments):
    user = UserFactory()
    run = preview_run(user, age_hours=settings.IMPORT_PREVIEW_HOURS + 1)
    with pytest.raises(importer.StaleImport, match="more than 24 hours old"):
        importer.confirm_run(run, user=user)
    run.refresh_from_db()
    assert run.outcome == ImportRun.Outcome.CANCELLED and not run.file_data
    assert not Actual.objects.exists()


def test_an_upload_ends_stale_previews_of_anyone_and_earlier_previews_of_the_same_analyst(
    assessments,
):
    mine, theirs = UserFactory(), UserFactory()
    my_earlier = preview_run(mine)
    their_stale = preview_run(theirs, age_hours=settings.IMPORT_PREVIEW_HOURS + 1)
    their_fresh = preview_run(theirs, age_hours=settings.IMPORT_PREVIEW_HOURS - 1)

    importer.expire_previews(mine)

    ended = ImportRun.objects.filter(outcome=ImportRun.Outcome.CANCELLED, file_data=None)
    assert {run.pk: run.message for run in ended} == {
        my_earlier.pk: "Replaced by a later upload: nothing was written.",
        their_stale.pk: "Not confirmed within 24 hours: nothing was written.",
    }
    importer.confirm_run(ImportRun.objects.get(pk=their_fresh.pk), user=theirs)
    assert Actual.objects.get().value == 75


def test_a_rejected_preview_records_the_full_report(assessments):
    run, _plan = importer.start_run(
        data=actuals_wide(["Aug 2021", "Sep 2021"], ["PI.426", "x", "y"]), file_name="t.xlsx"
    )
    assert run.outcome == ImportRun.Outcome.REJECTED and not run.file_data
    assert [(i["row"], i["column"]) for i in run.report["rejections"]] == [
        (2, "B (Aug 2021)"),
        (2, "C (Sep 2021)"),
    ]
    assert run.counts["Actuals"]["rejected"] == 2


# KPIs sheet -------------------------------------------------------------------


def test_a_new_kpi_needs_a_title_and_a_polarity():
    plan = importer.preview(xlsx({"KPIs": [["KPI code", "Unit"], ["CSIP.99", "count"]]}))
    assert {i.message for i in plan.rejections} == {
        "CSIP.99 is a new KPI: give it a Title.",
        "CSIP.99 is a new KPI: give it a Polarity.",
    }


def test_kpi_words_accept_values_and_labels(db):
    OfficerFactory(role_title="Head of Assessment")
    data = xlsx(
        {
            "KPIs": [
                ["KPI code", "Title", "Unit", "Polarity", "Frequency", "Decimal places", "Owner"],
                [
                    "CSIP.99",
                    "New",
                    "Rate per 10,000 children",
                    "Lower is better",
                    "Quarterly",
                    2,
                    "head of assessment",
                ],
            ]
        }
    )
    change = importer.preview(data).changes[0]
    assert change.values["unit"] == "rate_per_10000" and change.values["polarity"] == "lower"
    assert change.values["owner"].role_title == "Head of Assessment"


def test_an_unknown_unit_or_officer_is_rejected_with_the_allowed_words(db):
    data = xlsx(
        {
            "KPIs": [
                ["KPI code", "Title", "Polarity", "Unit", "Owner"],
                ["CSIP.99", "New", "higher", "furlongs", "Nobody"],
            ]
        }
    )
    messages = sorted(i.message for i in importer.preview(data).rejections)
    assert "'furlongs' is not one of: percent, rate_per_10000" in messages[0]
    assert "There is no officer 'Nobody'" in messages[1]


def test_a_kpi_code_in_another_case_updates_the_kpi_rather_than_adding_one(assessments):
    data = xlsx({"KPIs": [["KPI code", "Title"], ["pi.426", "Assessments in 45 days"]]})
    (change,) = importer.commit(data).changes
    assert change.pk == assessments.pk and Kpi.objects.count() == 1


def test_figures_for_a_kpi_created_in_the_same_workbook_are_imported(db):
    data = xlsx(
        {
            "KPIs": [
                ["KPI code", "Title", "Polarity", "Unit", "Decimal places"],
                [2250, "Closed cases not re-referred", "higher", "percent", 1],
            ],
            "Actuals": [["KPI code", "Q1 2021/22", "Q2 2021/22"], [2250, 85, 91.8]],
        }
    )
    plan = importer.commit(data)
    assert not plan.rejections
    assert list(Actual.objects.values_list("kpi__code", "value")) == [
        ("2250", 85),
        ("2250", D("91.8")),
    ]


# Targets and benchmarks -------------------------------------------------------


def test_a_changed_target_is_shown_old_to_new(assessments):
    TargetFactory(kpi=assessments, starts=datetime.date(2021, 4, 1), value=D(75))
    data = xlsx({"Targets": [["KPI code", "In force from", "Target"], ["PI.426", "Apr-21", 80]]})
    (change,) = importer.preview(data).changes
    assert change.old == {"value": D(75)} and change.values == {"value": D(80)}


def test_a_band_with_its_ends_the_wrong_way_round_is_rejected_by_the_model(db):
    KpiFactory(code="PI.433", polarity=Kpi.Polarity.NEUTRAL, unit=Kpi.Unit.RATE_PER_10000)
    data = xlsx(
        {
            "Targets": [
                ["KPI code", "In force from", "Band lower", "Band upper"],
                ["PI.433", "Apr 2021", 50, 40],
            ]
        }
    )
    (issue,) = importer.preview(data).rejections
    assert "lower end of the band cannot be above the upper end" in issue.message


def test_target_and_benchmark_rows_missing_a_key_or_given_twice_are_rejected_in_place(
    assessments,
):
    data = xlsx(
        {
            "Targets": [
                ["KPI code", "In force from", "Target"],
                ["PI.426", None, 90],
                [None, "Apr 2021", 90],
                ["PI.426", "Apr 2021", 90],
                ["PI.426", "Apr-21", 91],
                [None, "Spring", 92],
            ],
            "Benchmarks": [
                ["KPI code", "Comparator", "Period", "Value"],
                ["PI.426", "England", None, 80],
                ["PI.426", "England", "Mar 2021", 80],
                ["pi.426", "england", "Mar-21", 81],
            ],
        }
    )
    plan = importer.preview(data)
    # A row with an unreadable month and no KPI is told about the month only.
    unreadable = plan.rejections.pop(3)
    assert (unreadable.row, unreadable.column) == (6, "B (In force from)")
    assert "'Spring'" in unreadable.message
    assert [(i.sheet, i.row, i.column, i.message) for i in plan.rejections] == [
        ("Targets", 2, "B (In force from)",
         "Enter the month the target is in force from, like Apr 2021."),
        ("Targets", 3, "A (KPI code)", "Enter the KPI code for this target."),
        ("Targets", 5, "B (In force from)",
         "PI.426 from Apr 2021 is already on row 4: keep one row."),
        ("Benchmarks", 2, "C (Period)", "Enter the period for this benchmark."),
        ("Benchmarks", 4, "C (Period)",
         "PI.426 England Mar 2021 is already on row 3: keep one row."),
    ]  # fmt: skip
    assert counts(plan) == {"Targets": (1, 0, 0, 4), "Benchmarks": (1, 0, 0, 2)}


def test_a_new_benchmark_needs_a_value_and_a_known_comparator(assessments):
    data = xlsx(
        {
            "Benchmarks": [
                ["KPI code", "Comparator", "Period", "Value"],
                ["PI.426", "Wales", "Mar 2021", 80],
                ["PI.426", "England", "Mar 2021", None],
            ]
        }
    )
    messages = [i.message for i in importer.preview(data).rejections]
    assert "'Wales' is not one of" in messages[0] and "enter its value" in messages[1]


# Actions sheet, in the SEND action plan's shape ---------------------------------

SEND_HEADINGS = [
    "Plan",
    "Area",
    "Ref",
    "ACTION",
    "SRO",
    "LEAD OFFICER",
    "ORIGINAL DELIVERY DATE",
    "CURRENT DELIVERY DATE",
    "OUTPUTS/PRODUCTS",
    "STATUS AT 11/11/21",
]


@pytest.fixture
def send_area(db):
    OfficerFactory(role_title="Service Director", name="Helen Ellis")
    return PriorityAreaFactory(number=1, responsible_officer=OfficerFactory(name="Toni Dawodu"))


def test_a_send_style_action_row_imports(send_area):
    slug = send_area.plan.slug
    data = xlsx(
        {
            "Actions": [
                SEND_HEADINGS,
                [
                    slug,
                    "1. Improvement strategies",
                    None,
                    "Review SEND Oversight Group membership",
                    "Toni Dawodu",
                    "Helen Ellis",
                    "Oct-19",
                    "Jun-20",
                    "1. Revised attendee list.",
                    "Completed",
                ],
            ]
        }
    )
    plan = importer.commit(data)
    assert not plan.rejections and not plan.warnings, plan.rejections + plan.warnings
    action = Action.objects.get()
    assert action.ref == "1" and action.owner.name == "Helen Ellis"
    assert action.original_delivery_date == datetime.date(2019, 10, 31)
    assert action.current_delivery_date == datetime.date(2020, 6, 30)
    assert action.status == Action.Status.COMPLETED


def test_an_action_is_matched_on_its_text_when_it_has_no_ref(send_area):
    action = ActionFactory(
        area=send_area,
        ref="4",
        description="Audit strategy discussions",
        original_delivery_date=datetime.date(2019, 10, 15),
    )
    data = xlsx(
        {
            "Actions": [
                SEND_HEADINGS,
                [
                    send_area.plan.slug,
                    1,
                    None,
                    "audit strategy  discussions",
                    None,
                    None,
                    "Oct-19",
                    "Nov-21",
                    None,
                    "In progress",
                ],
            ]
        }
    )
    (change,) = importer.commit(data).changes
    assert change.pk == action.pk
    action.refresh_from_db()
    # "Oct-19" agrees with the stored 15 October 2019, so the original date stands.
    assert action.original_delivery_date == datetime.date(2019, 10, 15)
    assert action.current_delivery_date == datetime.date(2021, 11, 30)


def test_an_import_never_changes_an_original_delivery_date(send_area):
    ActionFactory(area=send_area, ref="1", original_delivery_date=datetime.date(2019, 10, 31))
    data = xlsx(
        {
            "Actions": [
                SEND_HEADINGS,
                [send_area.plan.slug, 1, "1", None, None, None, "30/11/2019", None, None, None],
            ]
        }
    )
    (issue,) = importer.preview(data).rejections
    assert issue.column == "G (ORIGINAL DELIVERY DATE)"
    assert "never changed (it is 31 Oct 2019)" in issue.message


def test_a_different_sro_is_a_warning_because_the_sro_belongs_to_the_area(send_area):
    ActionFactory(area=send_area, ref="1")
    data = xlsx(
        {
            "Actions": [
                SEND_HEADINGS,
                [send_area.plan.slug, 1, "1", None, "Helen Ellis", None, None, None, None, None],
            ]
        }
    )
    plan = importer.preview(data)
    (warning,) = plan.warnings
    assert "recorded on the priority area" in warning.message and not plan.changes


def test_status_words_from_the_plan_are_understood(send_area):
    rows = [
        [send_area.plan.slug, 1, str(n), f"Action {n}", None, None, None, None, None, word]
        for n, word in enumerate(["Completed", "In progress", "Yet to start", "Not started"])
    ]
    plan = importer.preview(xlsx({"Actions": [SEND_HEADINGS, *rows]}))
    assert [c.values["status"] for c in plan.changes] == [
        "completed",
        "in_progress",
        "not_started",
        "not_started",
    ]


def test_an_unknown_lead_officer_is_rejected(send_area):
    data = xlsx(
        {
            "Actions": [
                SEND_HEADINGS,
                [send_area.plan.slug, 1, "9", "New", None, "Dr Nobody", None, None, None, None],
            ]
        }
    )
    (issue,) = importer.preview(data).rejections
    assert issue.column == "F (LEAD OFFICER)" and "no officer 'Dr Nobody'" in issue.message
