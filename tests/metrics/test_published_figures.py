"""Every figure the shipped data holds is the one the council's paper prints, and says where."""

import json
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from metrics.models import Actual, Benchmark, DefinitionChange, Kpi, Scorecard, Target

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures"

# A quotation opens after a space, bracket or colon and closes before one, so
# the apostrophes in "Children's" or "Two's" neither open nor close one.
QUOTED = re.compile(r"(?:^|(?<=[\s(\[:;,]))'(.+?)'(?=[\s)\],;:.]|$)")
# A number as printed ("365days" too): not the tail of "Aug-21", "2021/22" or "PI.426".
SIGNED = re.compile(r"-?\d[\d,]*(?:\.\d+)?")
NUMBER = re.compile(r"(?<![\w\-/.])\d[\d,]*(?:\.\d+)?")

# Figures the paper gives without printing the number itself, and why.
NOT_PRINTED = {
    ("CSIP.10", "2021-01-01", "value"): "30 of 38 return interviews: it prints the counts only",
}


def quoted_numbers(source: str) -> set[Decimal]:
    numbers = set()
    for quote in QUOTED.findall(source):
        # A quotation that is one number may be signed: a progress score such as '-1.4'.
        if SIGNED.fullmatch(quote):
            numbers.add(Decimal(quote.replace(",", "")))
        numbers |= {Decimal(number.replace(",", "")) for number in NUMBER.findall(quote)}
    return numbers


@pytest.fixture
def seeded():
    call_command("seed", stdout=StringIO())


def test_quoted_numbers_reads_a_quotation_as_printed():
    source = (
        "Quarterly Corporate Performance Report Quarter 2 2021/22 (Children and Young People "
        "Scrutiny Committee, 20 January 2022), PI.2129: 'Quarter 2 position \N{EN DASH} 77.7%' "
        "(appendix: 'Take up 77.67%') 'Establishment (FTE)' 'Nov-21': '132.44 (1.)' '3,505'"
    )
    # "2021/22", "20 January 2022" and "PI.2129" are outside the quotations; "Nov-21" is a month.
    assert quoted_numbers(source) == {
        Decimal(n) for n in ("2", "77.7", "77.67", "132.44", "1", "3505")
    }


def test_every_stored_figure_is_printed_in_the_words_its_source_quotes(seeded):
    unquoted = []
    figures = [
        *(
            (actual.kpi.code, actual.period, name, getattr(actual, name), actual.source)
            for actual in Actual.objects.filter(kpi__formula__isnull=True).select_related("kpi")
            for name in ("value", "numerator", "denominator")
            if getattr(actual, name) is not None
        ),
        *(
            (target.kpi.code, target.starts, "target", target.value, target.source)
            for target in Target.objects.exclude(value=None).select_related("kpi")
        ),
        *(
            (bench.kpi.code, bench.period, bench.comparator, bench.value, bench.source)
            for bench in Benchmark.objects.select_related("kpi")
        ),
    ]
    assert len(figures) > 300
    for code, period, name, number, source in figures:
        if (code, period.isoformat(), name) in NOT_PRINTED:
            continue
        if number not in quoted_numbers(source):
            unquoted.append((code, period.isoformat(), name, number, source))
    assert not unquoted, unquoted[:5]
    # The allow-list names only figures that exist, so it cannot hide a stale entry.
    for code, period, _ in NOT_PRINTED:
        assert Actual.objects.filter(kpi__code=code, period=period).exists(), (code, period)


def test_no_figure_cites_a_seed_number_and_every_source_names_its_document(seeded):
    sources = [
        # A calculated figure names the figures it is worked out from instead.
        *Actual.objects.filter(kpi__formula__isnull=True).values_list("source", flat=True),
        *Target.objects.values_list("source", flat=True),
        *Benchmark.objects.values_list("source", flat=True),
        *DefinitionChange.objects.values_list("source", flat=True),
        *Scorecard.objects.values_list("source", flat=True),
    ]
    assert sources and all(sources)
    assert not [source for source in sources if "seed 0" in source.lower()]
    documents = (
        "Children's Services Improvement Plan 2021",
        "Social Care Improvement update (Children and Young People Scrutiny Committee, 20 Jan",
        "Quarterly Corporate Performance Report Quarter 2 2021/22 (Children and Young People",
        "Education Report (Children and Young People Scrutiny Committee, 20 January 2022)",
        "Social Worker Workforce Development Strategy, Version 1 - Final",
        "Children's Services Improvement Update (Children and Young People Scrutiny Committee, 13",
        "Minutes of the Children and Young People Scrutiny Committee, 19 January 2023",
    )
    assert not [s for s in sources if not s.startswith(documents)]


def test_the_corporate_report_reproduces_as_a_saved_scorecard(seeded):
    card = Scorecard.objects.get(slug="corporate-performance-q2-2021-22")
    assert card.title == "Corporate quarterly performance report, Q2 2021/22"
    assert (card.columns, card.periods, card.as_at.isoformat()) == ("quarterly", 2, "2021-09-01")
    rows = [(row.group, row.kpi.code) for row in card.rows.select_related("kpi")]
    one_council = "One Council \N{EN DASH} Building a Dynamic and Sustainable Organisation"
    safer = "Strong and Safer Communities"
    assert rows == [
        (one_council, "PI.2249"),
        (safer, "PI.432"),
        (safer, "PI.426"),
        (safer, "PI.433"),
        (safer, "PI.2250"),
        (safer, "PI.2129"),
    ]
    for _, code in rows:
        kpi = Kpi.objects.get(code=code)
        quarter_one, quarter_two = (kpi.actuals.get(period=p) for p in ("2021-06-01", "2021-09-01"))
        assert quarter_one.value is not None and kpi.targets.exists(), code
        # The report's commentary is there for each measure it comments on.
        assert quarter_two.issues_and_risks and quarter_two.evidence_of_impact, code
    pi433 = Kpi.objects.get(code="PI.433")
    assert pi433.actuals.get(period="2021-06-01").value == Decimal("34.1")
    # The report's table says 47.3 where its text says 43.7 (also the target): the table's is kept.
    region = pi433.benchmarks.get(comparator="region")
    assert region.value == Decimal("47.3") and "43.7" in region.source


def test_the_workforce_profile_reproduces_as_a_saved_scorecard(seeded):
    card = Scorecard.objects.get(slug="social-worker-workforce-profile")
    assert (card.columns, card.periods, card.as_at.isoformat()) == ("monthly", 14, "2022-09-01")
    titles = [row.kpi.title for row in card.rows.select_related("kpi")]
    assert titles[:8] == [
        "Social worker establishment (FTE)",
        "Permanent social workers (FTE)",
        "ASYE social workers (FTE)",
        "Agency social workers (FTE)",
        "Social worker vacancies (FTE)",
        "Social worker turnover (12 months)",
        "Average caseload per social worker",
        "Sickness days lost per FTE social worker",
    ]
    assert {"Permanent social worker starters", "Permanent social worker leavers"} < set(titles)
    establishment = Kpi.objects.get(code="WF.01")
    assert establishment.actuals.count() == 14
    permanent_share = Kpi.objects.get(code="WF.13")
    assert permanent_share.formula.describe() == "WF.02 as a percentage of WF.01"
    assert permanent_share.targets.last().value == 85
    assert Kpi.objects.get(code="WF.06").targets.get().value == Decimal("10.5")
    assert Kpi.objects.get(code="CSIP.11").targets.get().value == 12


def test_calculated_kpis_ship_no_typed_figures():
    for name in ("dudley.json", "published.json"):
        for row in json.loads((FIXTURES / name).read_text())["kpis"]:
            if "formula" in row:
                assert row["actuals"] == [], row["code"]


def test_a_footnote_is_a_note_beside_the_figure_never_part_of_it(seeded):
    november = Actual.objects.get(kpi__code="WF.01", period="2021-11-01")
    assert november.value == Decimal("132.44")
    assert november.note == (
        "Increase in Establishment due to the Family Comes First transfer of posts"
    )
    noted = Actual.objects.filter(kpi__code="WF.01").exclude(note="")
    months = [a.period.strftime("%Y-%m") for a in noted]
    assert months == ["2021-11", "2022-01", "2022-06", "2022-07"]
    assert Actual.objects.get(kpi__code="WF.01", period="2021-12-01").note == ""


def test_the_papers_named_figures_are_all_there(seeded):
    def value(code, period):
        return Actual.objects.get(kpi__code=code, period=period).value

    # The 2021 plan.
    assert [value("CSIP.13", p) for p in ("2020-09-01", "2020-12-01")] == [71, 75]
    assert (value("CSIP.14", "2021-02-01"), value("CSIP.17", "2021-02-01")) == (365, Decimal("2.7"))
    assert value("CSIP.18", "2021-02-01") == 74
    # The January 2022 update.
    assert [value("CSIP.22", f"2021-{m}-01") for m in ("09", "10", "11")] == [1255, 1291, 1304]
    assert value("CSIP.23", "2021-11-01") == Decimal("79.1")
    assert (value("CSIP.27", "2021-11-01"), value("CSIP.28", "2021-11-01")) == (86, 116)
    assert (value("CSIP.29", "2021-11-01"), value("CSIP.30", "2021-11-01")) == (12, 22)
    assert value("WF.15", "2021-11-01") == 17
    # The corporate report.
    assert (value("CSIP.24", "2021-09-01"), value("CSIP.25", "2021-09-01")) == (27, 52)
    ended = Actual.objects.filter(kpi__code="CSIP.32").order_by("period")
    assert [(a.numerator, a.denominator) for a in ended] == [(54, 287), (33, 247)]
    # The March 2023 papers.
    assert value("CSIP.11", "2023-01-01") == 19 and value("WF.14", "2023-01-01") == 18
    assert (value("CSIP.38", "2022-12-01"), value("CSIP.39", "2022-12-01")) == (219, 9)


def test_education_outcomes_are_annual_against_england(seeded):
    kpi = Kpi.objects.get(title__startswith="Key Stage 2: expected standard")
    assert (kpi.frequency, kpi.year_ends) == (Kpi.Frequency.ANNUAL, 8)
    assert [(a.period.year, a.value) for a in kpi.actuals.all()] == [
        (2016, 49),
        (2017, 55),
        (2018, 58),
        (2019, 59),
    ]
    assert kpi.benchmarks.get(comparator="england", period="2019-08-01").value == 65
    annual = Kpi.objects.filter(frequency=Kpi.Frequency.ANNUAL)
    assert not Actual.objects.filter(kpi__in=annual).exclude(period__month=8).exists()


def test_mixed_measures_are_split_or_broken(seeded):
    # New-referral assessments were measured apart from all assessments authorised.
    assert not Actual.objects.filter(kpi__code="CSIP.02", period="2020-11-01").exists()
    assert value_of("CSIP.12", "2020-11-01") == Decimal("70.3")
    # Supervision changed from one month to eight weeks: the series breaks.
    change = DefinitionChange.objects.get(kpi__code="CSIP.07")
    assert "one month" in change.old_definition and "eight weeks" in change.new_definition
    kpi = Kpi.objects.get(code="CSIP.07")
    november, october = (a.period for a in kpi.actuals.order_by("period"))
    assert DefinitionChange.between([change], november, october) == change


def value_of(code, period):
    return Actual.objects.get(kpi__code=code, period=period).value
