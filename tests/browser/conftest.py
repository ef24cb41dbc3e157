import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the tests still
# use the ORM from it to set up data, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(f"CI must run the browser tests: install chromium ({CHROMIUM}).")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from reports.exports.pdf import CHROMIUM_ARGS

    with sync_playwright() as playwright:
        # The same switches as the PDF pack's browser: quiet, no GPU, nothing fetched.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def on_console(message):
        # A refused sign-in (429) or forbidden page (403) is part of a journey;
        # script errors, CSP violations and server errors (5xx) are not.
        expected = re.search(r"status of 4\d\d", message.text)
        if message.type == "error" and not expected:
            errors.append(message.text)

    page.on("console", on_console)
    yield page
    context.close()
    # A CSP violation or a script error shows up here.
    assert not errors, errors


@pytest.fixture
def dudley(transactional_db):
    """The shipped plan, plus one login per role (the head owns the MASH KPIs)."""
    from io import StringIO

    from django.core.management import call_command

    from tests.browser.helpers import make_logins

    call_command("seed", stdout=StringIO())
    return make_logins()
