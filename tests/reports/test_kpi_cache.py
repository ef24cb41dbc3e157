"""The KPI page is cached like the other board pages, keyed by the KPI's own stamps."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse

from reports import views
from tests.factories import (
    plan_with_kpis,
    save_figure,
)
from tests.reports.helpers import text

NOV = datetime.date(2021, 11, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis():
    return plan_with_kpis("CSIP")[2]


def _built(client, url: str) -> tuple[bool, str]:
    """Whether the page's content was worked out afresh, and the page as words."""
    with mock.patch.object(views, "_kpi_page", wraps=views._kpi_page) as built:
        response = client.get(url)
    assert response.status_code == 200
    return built.called, text(response.content.decode())


def test_a_warm_kpi_page_is_served_from_the_cache_and_says_the_same(board_client, kpis):
    url = reverse("kpi-detail", args=[kpis[0].pk]) + "?period=2021-11"
    built, first = _built(board_client, url)
    assert built and "10.5" in first and "CSIP.1" in first
    built, again = _built(board_client, url)
    assert not built
    assert again == first


def test_a_saved_figure_shows_at_once_and_leaves_another_kpis_page_warm(board_client, kpis):
    first, second = (reverse("kpi-detail", args=[kpi.pk]) for kpi in kpis)
    _built(board_client, first)
    _built(board_client, second)

    save_figure(kpis[0], NOV, "77.7")

    built, page = _built(board_client, first)
    assert built and "77.7" in page
    built, page = _built(board_client, second)
    assert not built and "20.5" in page


def test_a_new_month_moves_the_default_month_at_once(board_client, kpis):
    url = reverse("kpi-detail", args=[kpis[0].pk])
    assert "November 2021" in _built(board_client, url)[1]
    save_figure(kpis[0], datetime.date(2021, 12, 1), "33.3")
    built, page = _built(board_client, url)
    assert built and "December 2021" in page and "33.3" in page


def test_a_missing_kpi_is_not_found(board_client):
    assert board_client.get(reverse("kpi-detail", args=[999999])).status_code == 404
