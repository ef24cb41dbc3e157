"""Downloading the board pack and an area: who may, what the file is called, and what
the pages say when this server cannot make PDFs."""

import pytest
from django.test import override_settings
from django.urls import reverse

from priorities import roles
from reports.exports import FORMATS
from tests.factories import KpiFactory, PlanFactory, PriorityAreaFactory, UserFactory
from tests.reports import export_fixtures
from tests.reports.helpers import text
from tests.reports.pdf_helpers import needs_pdf_tools

pytestmark = pytest.mark.django_db
fake, plan = export_fixtures.fake, export_fixtures.plan

NO_CHROMIUM = override_settings(PDF_CHROMIUM="/nonexistent/chromium")


def pack_url(fmt: str) -> str:
    return reverse("pack-download", args=[fmt])


def login(client, role: str):
    user = UserFactory(username=role.replace(" ", "-"), is_staff=role == "Analyst")
    if role == "administrator":
        user.is_superuser = user.is_staff = True
        user.save()
    else:
        user.groups.add(roles.ensure_groups()[role])
    client.force_login(user)


def test_anonymous_is_asked_to_sign_in(client, plan, fake):
    area = plan.areas.first()
    for url in (pack_url("txt"), reverse("area-download", args=[area.pk, "txt"])):
        response = client.get(url, {"plan": plan.pk, "period": "2021-09"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "role", [roles.BOARD_MEMBER, roles.HEAD_OF_SERVICE, roles.ANALYST, "administrator"]
)
def test_every_role_downloads_the_pack_named_after_plan_and_month(client, plan, fake, role):
    login(client, role)
    response = client.get(pack_url("txt"), {"plan": plan.pk, "period": "2021-09"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == (
        'attachment; filename="improvement-plan-2021-2021-09-board-pack.txt"'
    )
    assert response.content == b"improvement-plan-2021 2021-09 areas 1,2"


def test_an_area_downloads_alone(board_client, plan, fake):
    area = plan.areas.get(number=2)
    response = board_client.get(
        reverse("area-download", args=[area.pk, "txt"]), {"period": "2021-08"}
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="improvement-plan-2021-2021-08-area-2.txt"'
    )
    assert response.content == b"improvement-plan-2021 2021-08 areas 2"


def test_plan_and_month_are_chosen_as_on_the_pack_page(board_client, plan, fake):
    # No month: the latest with figures. A month that cannot be read: the same default.
    for period in ("", "2021-13", "September"):
        response = board_client.get(pack_url("txt"), {"plan": plan.pk, "period": period})
        assert response.content == b"improvement-plan-2021 2021-09 areas 1,2", period
    assert board_client.get(pack_url("txt"), {"plan": "999"}).status_code == 404
    assert board_client.get(pack_url("txt"), {"plan": "x"}).status_code == 404


def test_unknown_formats_and_areas_are_not_found(board_client, plan):
    assert board_client.get(pack_url("docx"), {"plan": plan.pk}).status_code == 404
    assert board_client.get(reverse("area-download", args=[999, "pdf"])).status_code == 404


def test_downloads_only_answer_get(board_client, plan, fake):
    assert board_client.post(pack_url("txt"), {"plan": plan.pk}).status_code == 405
    assert board_client.head(pack_url("txt"), {"plan": plan.pk}).status_code == 200


def test_odd_plans_still_download(board_client, fake):
    empty = PlanFactory(slug="no-areas")
    quiet = PriorityAreaFactory(plan=PlanFactory(slug="no-figures")).plan
    KpiFactory().areas.add(quiet.areas.get())
    for plan in (empty, quiet):
        response = board_client.get(pack_url("txt"), {"plan": plan.pk, "period": "2030-01"})
        assert response.status_code == 200, plan


@needs_pdf_tools
def test_a_month_with_no_figures_prints_a_pdf(board_client):
    area = PriorityAreaFactory(plan=PlanFactory(slug="quiet"), title="Quiet area")
    KpiFactory(code="Q.1").areas.add(area)
    response = board_client.get(pack_url("pdf"), {"plan": area.plan.pk, "period": "2021-09"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="quiet-2021-09-board-pack.pdf"'
    assert response.content.startswith(b"%PDF")


def test_the_pages_link_to_each_format_with_how_long_it_takes(board_client, plan):
    area = plan.areas.get(number=1)
    query = f"plan={plan.pk}&amp;period=2021-09"
    pages = {
        "pack": reverse("board-pack") + f"?{query}",
        "overview": reverse("home") + f"?{query}",
        "area": reverse("area-detail", args=[area.pk]) + "?period=2021-09",
    }
    for name, url in pages.items():
        page = board_client.get(url.replace("&amp;", "&")).content.decode()
        for key in FORMATS:
            link = (
                reverse("area-download", args=[area.pk, key]) + "?period=2021-09"
                if name == "area"
                else f"{pack_url(key)}?{query}"
            )
            assert f'href="{link}"' in page, (name, key)
        assert "PDF unavailable" not in page
    pack = text(board_client.get(pages["pack"].replace("&amp;", "&")).content.decode())
    pack = pack.replace(" ,", ",")  # text() spaces out the end of the link
    assert "Board pack (PDF), takes up to half a minute" in pack
    assert "Board pack (Excel), takes a few seconds" in pack


@NO_CHROMIUM
def test_without_chromium_the_pdf_says_so_and_the_other_formats_work(board_client, plan, fake):
    response = board_client.get(pack_url("pdf"), {"plan": plan.pk, "period": "2021-09"})
    assert response.status_code == 503
    said = text(response.content.decode())
    assert "This server cannot make PDFs" in said
    assert "Excel" in said and "PowerPoint" in said
    area = plan.areas.get(number=1)
    assert board_client.get(reverse("area-download", args=[area.pk, "pdf"])).status_code == 503
    assert board_client.get(pack_url("txt"), {"plan": plan.pk}).status_code == 200


@NO_CHROMIUM
def test_without_chromium_the_board_pages_say_pdf_is_unavailable(board_client, plan):
    area = plan.areas.get(number=1)
    for url in (
        reverse("board-pack") + f"?plan={plan.pk}",
        reverse("home") + f"?plan={plan.pk}",
        reverse("area-detail", args=[area.pk]),
    ):
        page = text(board_client.get(url).content.decode())
        assert "PDF unavailable on this server" in page, url


@override_settings(PDF_CHROMIUM="/bin/false")
def test_a_browser_that_fails_gives_a_plain_503_not_an_error(board_client, plan):
    response = board_client.get(pack_url("pdf"), {"plan": plan.pk})
    assert response.status_code == 503
    assert "The server could not print the PDF just now" in text(response.content.decode())
