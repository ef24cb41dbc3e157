"""A board member downloads the board pack from the pack page in each format.

Every format in the registry (reports.exports.FORMATS) is tried; each file
must open as its kind: a PDF starts %PDF, Excel and PowerPoint files are zip
packages.
"""

import datetime
import io
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from priorities.models import Plan
from reports.exports import FORMATS, filename
from tests.browser.helpers import check_accessibility, sign_in

pytestmark = pytest.mark.django_db(transaction=True)
SEPTEMBER = datetime.date(2021, 9, 1)


def opens(key: str, data: bytes) -> bool:
    if key == "pdf":
        return data.startswith(b"%PDF-")
    return zipfile.is_zipfile(io.BytesIO(data))


@pytest.mark.parametrize("key", list(FORMATS))
def test_a_board_member_downloads_the_pack(page, dudley, key):
    plan = Plan.objects.get(slug="improvement-plan-2021")
    fmt = FORMATS[key]
    page.set_viewport_size({"width": 375, "height": 900})
    sign_in(page, "board")
    page.goto(f"/pack/?plan={plan.pk}&period=2021-09")
    link = page.get_by_role("link", name=f"Board pack ({fmt.label})")
    expect(link).to_be_visible()
    check_accessibility(page)
    with page.expect_download(timeout=90_000) as started:
        # The PDF is printed in the request: the click waits for the download
        # to start, which on a slow or busy machine is past Playwright's 30 s.
        link.click(timeout=90_000)
        if key == "pdf":
            # Said at once, while the server prints; a screen reader hears it.
            expect(page.get_by_role("status")).to_have_text(re.compile("^Preparing the PDF…"))
            check_accessibility(page)
    download = started.value
    assert download.failure() is None
    assert download.suggested_filename == filename(plan.slug, SEPTEMBER, "board-pack", key)
    assert opens(key, Path(download.path()).read_bytes())
