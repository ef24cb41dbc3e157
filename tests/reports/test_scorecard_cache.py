"""The scorecard page is cached like the board pages, keyed by what it shows."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse

from metrics.models import Scorecard, ScorecardRow
from reports import scorecard_views
from tests.factories import (
    plan_with_kpis,
    save_figure,
)
from tests.reports.helpers import text

NOV = datetime.date(2021, 11, 1)
pytestmark = pytest.mark.django_db


def _first(prefix: str):
    plan, _area, kpis = plan_with_kpis(prefix, count=1)
    return plan, kpis[0]


def _read(client, url: str) -> tuple[bool, str]:
    """Whether the grid was worked out afresh, and the page as words."""
    with mock.patch.object(
        scorecard_views, "read_scorecard", wraps=scorecard_views.read_scorecard
    ) as read:
        response = client.get(url)
    assert response.status_code == 200
    return read.called, text(response.content.decode())


def test_a_warm_scorecard_is_served_from_the_cache(board_client):
    plan, _kpi = _first("CSIP")
    url = reverse("scorecard") + f"?plan={plan.pk}&period=2021-11"
    worked, first = _read(board_client, url)
    assert worked and "10.5" in first
    worked, again = _read(board_client, url)
    assert not worked and again == first


def test_a_write_shows_at_once_and_leaves_another_plans_scorecard_warm(board_client):
    plan, kpi = _first("CSIP")
    other, _ = _first("SEND")
    url, other_url = (reverse("scorecard") + f"?plan={p.pk}&period=2021-11" for p in (plan, other))
    _read(board_client, url)
    _read(board_client, other_url)

    save_figure(kpi, NOV, "77.7")

    worked, page = _read(board_client, url)
    assert worked and "77.7" in page
    assert not _read(board_client, other_url)[0]


def test_a_new_saved_scorecard_shows_in_the_list_at_once(board_client):
    plan, kpi = _first("CSIP")
    url = reverse("scorecard") + f"?plan={plan.pk}"
    assert "Quarterly performance" not in _read(board_client, url)[1]
    card = Scorecard.objects.create(slug="quarterly", title="Quarterly performance")
    ScorecardRow.objects.create(scorecard=card, kpi=kpi)
    assert "Quarterly performance" in _read(board_client, url)[1]
    worked, page = _read(board_client, reverse("scorecard") + "?scorecard=quarterly")
    assert worked and "CSIP.1" in page
