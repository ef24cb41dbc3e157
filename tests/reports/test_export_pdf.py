"""The board pack as a PDF: what it says, and that it is an accessible document.

The 2021 plan's pack for September 2021 is printed once (Chromium takes a few
seconds) and every test reads that one file.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from priorities.models import Plan
from reports import pack
from reports.exports import pdf
from tests.reports.pdf_helpers import catalog, fonts, needs_pdf_tools, page_count, words

# django_db: the module fixture needs the test database set up.
pytestmark = [needs_pdf_tools, pytest.mark.django_db]


@pytest.fixture(scope="module")
def printed(django_db_setup, django_db_blocker):
    """The PDF bytes and the pack they were printed from, seeded in a rolled-back transaction."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed", stdout=StringIO())
        plan = Plan.objects.get(slug="improvement-plan-2021")
        content = pack.build(plan, datetime.date(2021, 9, 1), today=timezone.localdate())
        said = []
        data = pdf.render_pack(content, progress=said.append)
        areas = [(r.area.number, r.area.title, r.line.headline) for r in content.reports]
        transaction.set_rollback(True)
    return {"data": data, "areas": areas, "said": said, "title": plan.title}


def test_every_area_shows_its_status_in_words(printed):
    text = words(printed["data"])
    assert len(printed["areas"]) == 9
    for number, title, headline in printed["areas"]:
        assert f"Status for September 2021: {headline}" in text, number
        # The contents page lists it with the same status, before the areas start.
        contents = text[: text.index("Sign-off of the figures Every figure")]
        opening = " ".join(title.split()[:3])
        assert f"{number}. {opening}" in contents and headline in contents, number


def test_pi426_is_90_3_against_its_target_of_86_3(printed):
    text = words(printed["data"])
    assert "PI.426 Timeliness of single assessments" in text
    assert "Q2 2021/22: 90.30% against a target of 86.30%" in text


def test_says_the_month_as_it_stood_and_which_figures_are_provisional(printed):
    text = words(printed["data"])
    assert "as it stood at the end of September 2021" in text
    assert "Sign-off of the figures" in text and "Every figure in this pack is signed off." in text
    # The header of every page names the plan and month.
    header = f"{printed['title']}: board pack for September 2021"
    assert text.count(header) == page_count(printed["data"])


def test_every_page_is_numbered_of_the_total(printed):
    text = words(printed["data"])
    pages = page_count(printed["data"])
    assert pages > 9  # an area a page at least
    assert all(f"Page {n} of {pages}" in text for n in (1, 2, pages))


def test_is_tagged_titled_and_in_british_english(printed):
    root, info = catalog(printed["data"])
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"])  # a pypdf BooleanObject
    assert root["/Lang"] == "en-GB"
    assert info.title.startswith(f"Board pack: {printed['title']}, September 2021")
    assert "/Outlines" in root  # headings as bookmarks


def test_embeds_every_font(printed):
    found = fonts(printed["data"])
    assert found and all(font["embedded"] == "yes" for font in found), found


def test_reports_progress_area_by_area(printed):
    assert printed["said"] == [f"Area {n} of 9" for n in range(1, 10)] + ["Rendering PDF…"]


def test_the_same_chart_data_the_page_draws_is_in_the_pdf(printed):
    # Each chart's data table prints beside it, as on the page.
    text = words(printed["data"])
    assert "PI.426: actual against target" in text
    assert "Show the data for this chart" not in text  # the toggle is for screens only
