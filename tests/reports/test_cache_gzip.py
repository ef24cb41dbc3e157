"""Board pages go out gzipped to a browser that accepts it; downloads are left as they are."""

import gzip
import re

import pytest
from django.urls import reverse

from dudley_improve.middleware import COMPRESSED_TYPES
from tests.factories import KpiFactory, PlanFactory, PriorityAreaFactory

pytestmark = pytest.mark.django_db


def test_a_board_page_comes_back_gzipped_and_unpacks_to_the_same_page(board_client):
    plan = PlanFactory()
    KpiFactory().areas.add(PriorityAreaFactory(plan=plan))
    url = reverse("home") + f"?plan={plan.pk}"
    plain = board_client.get(url)
    packed = board_client.get(url, headers={"accept-encoding": "gzip"})
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    unpacked = gzip.decompress(packed.content)
    # The same page, but for the CSRF token (in the sign-out form), which Django
    # masks afresh in every response, so compression cannot leak it (BREACH).
    assert _token(unpacked) != _token(plain.content)
    assert _token(unpacked, strip=True) == _token(plain.content, strip=True)
    assert len(packed.content) < len(plain.content) / 4


def _token(html: bytes, *, strip: bool = False) -> bytes:
    pattern = rb'name="csrfmiddlewaretoken" value="([^"]+)"'
    if strip:
        return re.sub(pattern, b"", html)
    return re.search(pattern, html).group(1)


def test_a_download_that_is_a_zip_already_is_not_gzipped_again(board_client):
    plan = PlanFactory()
    KpiFactory().areas.add(PriorityAreaFactory(plan=plan))
    url = reverse("pack-download", args=["xlsx"]) + f"?plan={plan.pk}"
    response = board_client.get(url, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(COMPRESSED_TYPES)
    assert "Content-Encoding" not in response
    assert response.content[:2] == b"PK"
