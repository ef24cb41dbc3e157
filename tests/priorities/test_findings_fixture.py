"""The findings register's fixture holds the council's real record, and every row points at
something that exists: pure checks on fixtures/findings.json, no database."""

import datetime
import json
from collections import Counter
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PLAN_2021 = "improvement-plan-2021"
SEND_PLAN = "send-written-statement-of-action"
SEND_AREAS = range(1, 15)

KINDS = {"judgement", "improvement", "weakness", "committee_action"}
SOURCE_KINDS = {"inspection", "visit", "review", "committee"}
GRADES = {"outstanding", "good", "requires_improvement", "inadequate"}
STATUSES = {"open", "in_progress", "done", "closed"}


def _load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


FINDINGS = _load("findings.json")
DUDLEY = _load("dudley.json")
SOURCES = {row["slug"]: row for row in FINDINGS["sources"]}
PLAN = next(plan for plan in DUDLEY["plans"] if plan["slug"] == PLAN_2021)
ACTIONS = {(area["number"], a["ref"]) for area in PLAN["areas"] for a in area["actions"]}
KPI_CODES = {kpi["code"] for kpi in DUDLEY["kpis"]}
OFFICERS = {row["role_title"] for row in DUDLEY["officers"] + FINDINGS["officers"]}


def _day(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def _findings(source: str, kind: str | None = None) -> list[dict]:
    return [f for f in FINDINGS["findings"] if f["source"] == source and kind in (None, f["kind"])]


def _action_exists(link: dict) -> bool:
    if link["plan"] == SEND_PLAN:
        return link["area"] in SEND_AREAS
    return link["plan"] == PLAN_2021 and (link["area"], link["ref"]) in ACTIONS


def _area_exists(area: dict) -> bool:
    if area["plan"] == SEND_PLAN:
        return area["number"] in SEND_AREAS
    return area["plan"] == PLAN_2021 and area["number"] in {a["number"] for a in PLAN["areas"]}


def test_each_source_named_and_dated():
    for source in SOURCES.values():
        assert source["kind"] in SOURCE_KINDS, source["slug"]
        assert source["body"] and source["title"] and source["document"], source["slug"]
        _day(source["date"])
        if source["published"]:
            assert _day(source["published"]) >= _day(source["date"]), source["slug"]


def test_officers_new_to_this_fixture_only():
    existing = {row["role_title"] for row in DUDLEY["officers"]}
    titles = [row["role_title"] for row in FINDINGS["officers"]]
    assert len(titles) == len(set(titles))
    assert not existing & set(titles)


@pytest.mark.parametrize("finding", FINDINGS["findings"], ids=lambda f: f"{f['source']}:{f['ref']}")
def test_finding_is_well_formed(finding):
    assert finding["source"] in SOURCES
    assert finding["kind"] in KINDS
    if finding["kind"] == "judgement":
        assert finding["grade"] in GRADES
    assert finding["title"] and len(finding["title"]) <= 200
    assert finding["cited"]
    if finding["responsible_officer"]:
        assert finding["responsible_officer"] in OFFICERS
    if finding["area"]:
        assert _area_exists(finding["area"])
        # The area holds what needs to improve; the finding must not repeat it.
        assert finding["text"] == "" and finding["required_outcomes"] == ""
    else:
        assert finding["text"]


@pytest.mark.parametrize("finding", FINDINGS["findings"], ids=lambda f: f"{f['source']}:{f['ref']}")
def test_statuses_dated_from_the_source_on(finding):
    statuses = finding["statuses"]
    days = [_day(s["as_at"]) for s in statuses]
    assert days == sorted(days)
    assert statuses[0]["status"] == "open"
    assert days[0] == _day(SOURCES[finding["source"]]["date"])
    for status in statuses:
        assert status["status"] in STATUSES
        assert status["source"]
        if status["status"] in ("closed", "done"):
            assert status["evidence"]


@pytest.mark.parametrize("finding", FINDINGS["findings"], ids=lambda f: f"{f['source']}:{f['ref']}")
def test_links_point_at_real_actions_and_kpis(finding):
    for link in finding["actions"]:
        assert _action_exists(link), link
        _day(link["since"])
    for link in finding["kpis"]:
        assert link["code"] in KPI_CODES, link
        _day(link["since"])


def test_action_kpis_point_at_real_actions_and_kpis():
    for row in FINDINGS["action_kpis"]:
        assert _action_exists(row), row
        assert row["kpis"] and set(row["kpis"]) <= KPI_CODES, row


def test_refs_unique_within_each_source():
    refs = Counter((f["source"], f["ref"]) for f in FINDINGS["findings"])
    assert [key for key, count in refs.items() if count > 1] == []


def test_2018_inspection_four_judgements_and_seven_improvements():
    assert len(_findings("ofsted-ilacs-2018", "judgement")) == 4
    assert len(_findings("ofsted-ilacs-2018", "improvement")) == 7


def test_2020_visit_is_the_2021_plans_nine_areas():
    areas = [f["area"] for f in _findings("ofsted-visit-2020")]
    assert sorted(a["number"] for a in areas) == list(range(1, 10))
    assert {a["plan"] for a in areas} == {PLAN_2021}


def test_dfe_review_four_areas():
    titles = [f["title"] for f in _findings("dfe-review-2021", "improvement")]
    assert titles == [
        "Workforce",
        "Demand and caseloads",
        "Quality of practice",
        "Partnership working",
    ]


def test_send_inspection_fourteen_weaknesses_seven_with_all_actions_done():
    weaknesses = _findings("send-joint-area-inspection-2019", "weakness")
    assert sorted(f["area"]["number"] for f in weaknesses) == list(SEND_AREAS)
    done = [f for f in weaknesses if f["statuses"][-1]["status"] == "done"]
    assert len(done) == 7  # "We have completed all actions in seven of the fourteen areas"


def test_every_action_tracker_row_is_a_committee_action():
    actions = [f for f in FINDINGS["findings"] if f["kind"] == "committee_action"]
    assert len(actions) == 20
    assert {SOURCES[f["source"]]["kind"] for f in actions} == {"committee"}
    assert len({f["source"] for f in actions}) == 4  # one source per meeting


def test_2018_and_2022_overall_effectiveness_requires_improvement():
    for slug in ("ofsted-ilacs-2018", "ofsted-ilacs-2022"):
        overall = [f for f in _findings(slug, "judgement") if "Overall" in f["title"]]
        assert [f["grade"] for f in overall] == ["requires_improvement"]
