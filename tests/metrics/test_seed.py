import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from metrics.models import Actual, Benchmark, FindingKpi, Kpi, Target
from priorities import roles
from priorities.models import Action, Finding, FindingSource, Officer, Plan, PriorityArea

pytestmark = pytest.mark.django_db
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
FIXTURE = json.loads((FIXTURES / "dudley.json").read_text())
PUBLISHED = json.loads((FIXTURES / "published.json").read_text())
ALL = [json.loads((FIXTURES / name).read_text()) for name in ("dudley.json", "send_wsoa.json")]
FINDINGS = json.loads((FIXTURES / "findings.json").read_text())


def seed(*args):
    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Plan, PriorityArea, Officer, Action, Kpi, Target, Actual, Benchmark)
    }


def test_seed_loads_the_2021_plan_with_all_nine_ofsted_areas():
    seed()
    plan = Plan.objects.get(slug="improvement-plan-2021")
    areas = list(plan.areas.order_by("number"))
    assert [area.number for area in areas] == list(range(1, 10))
    for area in areas:
        assert area.responsible_officer is not None, area
        assert area.what_needs_to_improve, area
        assert area.actions.count() >= 3, area
        assert area.actions.exclude(original_delivery_date=None).exists(), area


def test_seed_loads_the_refreshed_plans_five_priorities():
    seed()
    assert Plan.objects.get(slug="improvement-plan-2022-23").areas.count() == 5


def test_seed_counts_match_the_fixtures():
    seed()
    kpis = FIXTURE["kpis"] + PUBLISHED["kpis"]
    plans = [plan for data in ALL for plan in data["plans"]]
    officers = {o["role_title"] for data in [*ALL, FINDINGS] for o in data["officers"]}
    assert counts() == {
        "Plan": len(plans),
        "PriorityArea": sum(len(p["areas"]) for p in plans),
        "Officer": len(officers),
        "Action": sum(len(a["actions"]) for p in plans for a in p["areas"]),
        "Kpi": len(kpis),
        "Target": sum(len(k["targets"]) for k in kpis),
        # Typed figures, and those worked out for the calculated KPIs.
        "Actual": sum(len(k["actuals"]) for k in kpis)
        + Actual.objects.filter(kpi__formula__isnull=False).count(),
        "Benchmark": sum(len(k["benchmarks"]) for k in kpis),
    }
    # The permanent share is worked out from the workforce profile, month by month.
    assert Actual.objects.filter(kpi__code="WF.13").count() == 14
    # Every KPI in the design brief's table of real data is there, and every other
    # measure the papers publish a figure for.
    assert len(FIXTURE["kpis"]) == 17
    assert Kpi.objects.count() == 17 + len(PUBLISHED["kpis"])
    assert FindingSource.objects.count() == len(FINDINGS["sources"])
    assert Finding.objects.count() == len(FINDINGS["findings"])
    assert FindingKpi.objects.count() == sum(len(f.get("kpis", [])) for f in FINDINGS["findings"])


def test_the_2018_and_2022_inspections_keep_their_grades_and_the_areas_are_not_copied():
    seed()
    overall = Finding.objects.filter(kind="judgement", title__icontains="overall")
    assert {(f.source.slug, f.get_grade_display()) for f in overall} == {
        ("ofsted-ilacs-2018", "Requires improvement to be good"),
        ("ofsted-ilacs-2022", "Requires improvement to be good"),
    }
    assert Finding.objects.filter(source__slug="ofsted-ilacs-2018", kind="judgement").count() == 4
    visit = Finding.objects.filter(source__slug="ofsted-visit-2020")
    assert visit.count() == 9
    # The nine areas are the 2021 plan's own: the finding shows the area's words.
    assert all(not f.text and f.statement == f.area.what_needs_to_improve for f in visit)


def test_seed_is_safe_to_run_twice_and_keeps_corrections():
    seed()
    before = counts()
    corrected = Actual.objects.get(kpi__code="PI.426", period="2021-09-01")
    corrected.value = Decimal("90.4")
    corrected.save()
    history = Actual.history.count()
    output = seed()
    assert counts() == before
    assert "Nothing new to load" in output
    assert Actual.objects.get(pk=corrected.pk).value == Decimal("90.4")
    assert Actual.history.count() == history


def test_pi426_q2_2021_22_is_903_against_a_target_of_863():
    seed()
    kpi = Kpi.objects.get(code="PI.426")
    assert kpi.frequency == Kpi.Frequency.QUARTERLY
    actual = kpi.actuals.get(period="2021-09-01")
    assert actual.value == Decimal("90.3")
    assert kpi.period_label(actual.period) == "Q2 2021/22"
    assert kpi.targets.get().value == Decimal("86.3")
    assert kpi.benchmarks.get(comparator="statistical_neighbours").value == Decimal("85.5")


def test_count_over_total_figures_keep_numerator_and_denominator():
    seed()
    december = Actual.objects.get(
        kpi__title__startswith="Assessments authorised", period="2020-12-01"
    )
    assert (december.numerator, december.denominator) == (76, 151)
    assert december.value == Decimal("50.3")


def test_mash_target_profile_steps_as_the_plan_says():
    seed()
    steps = Target.objects.filter(kpi__title__contains="MASH").order_by("starts")
    assert [(s.starts.strftime("%Y-%m"), s.value) for s in steps] == [
        ("2020-11", 95),
        ("2021-02", 80),
        ("2021-03", 90),
        ("2021-04", 95),
    ]


def test_seed_creates_the_role_groups():
    seed()
    board = roles.ensure_groups()[roles.BOARD_MEMBER]
    assert board.permissions.filter(codename="view_kpi").exists()
    assert not board.permissions.exclude(codename__startswith="view_").exists()


def test_demo_users_are_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only runs with DEBUG=1"):
        seed("--demo-users")
    assert not get_user_model().objects.exists()
    assert not Plan.objects.exists()


def test_demo_users_one_per_role_with_the_head_owning_mash_and_assessments(settings):
    settings.DEBUG = True
    output = seed("--demo-users")
    users = {user.username: user for user in get_user_model().objects.all()}
    assert set(users) == {"head", "director", "approver", "board", "analyst", "admin"}
    assert users["head"].groups.get().name == roles.HEAD_OF_SERVICE
    assert users["board"].groups.get().name == roles.BOARD_MEMBER
    assert users["analyst"].groups.get().name == roles.ANALYST and users["analyst"].is_staff
    assert users["admin"].is_superuser
    owned = set(Kpi.objects.filter(owner__user=users["head"]).values_list("title", flat=True))
    assert any("MASH" in title for title in owned)
    assert any(title.startswith("Assessments authorised") for title in owned)
    assert "demo-board-member" in output
    # Each has an address on a reserved domain, so reminders reach the console only.
    assert users["head"].email == "head@dudley-improve.example"
    assert all(user.email.endswith("@dudley-improve.example") for user in users.values())
    seed("--demo-users")  # and again, without complaint
    assert get_user_model().objects.count() == 6


def test_the_demo_approver_signs_off_the_demo_directors_figures(settings):
    from metrics import signoff

    settings.DEBUG = True
    seed("--demo-users")
    users = {user.username: user for user in get_user_model().objects.all()}
    csip09 = Kpi.objects.get(code="CSIP.09")
    assert csip09.owner.user == users["director"]
    assert signoff.approves_figures(users["approver"])
    assert roles.sign_off_problem(users["approver"], csip09, users["director"].pk) is None
    assert roles.sign_off_problem(users["head"], csip09, users["director"].pk) is not None
    # Two of the director's figures await the approver, so the sign-off pages have work,
    # and seeding again leaves them (and any later decision) alone.
    awaiting = Actual.objects.awaiting_sign_off()
    assert {a.kpi.owner.user for a in awaiting} == {users["director"]} and awaiting.count() == 2
    signoff.sign_off(users["approver"], [(a.pk, a.version) for a in awaiting[:1]])
    seed("--demo-users")
    assert Actual.objects.awaiting_sign_off().count() == 1


def test_a_broken_fixture_loads_nothing(tmp_path):
    broken = json.loads(json.dumps(FIXTURE))
    broken["kpis"][-1]["actuals"].append({"period": "2021-13", "value": 1})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(CommandError, match="2021-13"):
        seed("--file", str(path))
    assert counts() == dict.fromkeys(counts(), 0)


def test_no_fixture_cites_a_source_by_seed_number():
    # A reader cannot look up "seed 003": every citation names the council's document.
    def strings(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                yield from strings(value)
        elif isinstance(node, list):
            for value in node:
                yield from strings(value)
        elif isinstance(node, str):
            yield node

    for path in sorted((Path(settings.BASE_DIR) / "fixtures").glob("*.json")):
        cited = [text for text in strings(json.loads(path.read_text())) if "seed 0" in text.lower()]
        assert not cited, (path.name, cited[:3])
