"""The board pack as a tagged PDF, printed by headless Chromium from the pack page itself.

The pack page's HTML (``reports.pack_page``) is loaded in Chromium with no
network: the page and the site's static files are answered from here through
``page.route`` and every other request is refused. Once plotly has drawn every
chart, Chromium prints the page: tagged (headings, tables, reading order),
with an outline, its title and language from the page, its fonts embedded,
and the plan, month and page numbers in the margins.
"""

import functools
import logging
import mimetypes
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urljoin

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.urls import reverse
from django.utils.html import escape

from reports import pack_page
from reports.pack import Pack

logger = logging.getLogger(__name__)

UNAVAILABLE = "This server cannot make PDFs: it has no Chromium browser to print them with."
FAILED = (
    "The server could not print the PDF just now. Try again in a minute; if it fails "
    "again, tell the service's administrators."
)
# A4 less the side margins below, in CSS pixels (96 to the inch): the width the
# page is laid out and its charts drawn at, so nothing is scaled to fit.
PAGE_WIDTH_PX = 703
MARGINS = {"top": "16mm", "bottom": "14mm", "left": "12mm", "right": "12mm"}
TIMEOUT_MS = 60_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# True once plotly has drawn every chart the page carries.
CHARTS_DRAWN = """() => Array.from(document.querySelectorAll("script.app-chart-data")).every(
  (data) => {
    const plot = document.getElementById(data.id.replace(/-data$/, ""));
    return plot !== null && plot.querySelector(".main-svg") !== null;
  })"""
MARGIN_STYLE = "font-family: Arial, sans-serif; font-size: 8pt; width: 100%; margin: 0 12mm;"


class PdfError(Exception):
    """The PDF could not be made; the message says why, for a person to read."""


def chromium() -> str | None:
    """The browser that prints PDFs (settings.PDF_CHROMIUM), or None if the server has none."""
    return shutil.which(settings.PDF_CHROMIUM)


def available() -> bool:
    return chromium() is not None


def render_pack(pack: Pack, *, progress: Callable[[str], None] | None = None) -> bytes:
    """The pack as PDF bytes. Raises PdfError when there is no Chromium or it fails."""
    say = progress or (lambda message: None)
    browser = chromium()
    if browser is None:
        raise PdfError(UNAVAILABLE)
    for number, report in enumerate(pack.reports, start=1):
        say(f"Area {number} of {len(pack.reports)}")
        for panel in report.panels:  # each chart's figure and data table, drawn once here
            panel.figure, panel.table  # noqa: B018
    html = pack_page.render_html(pack)
    url = f"{settings.SITE_URL}{reverse('board-pack')}?{pack_page.query(pack)}"
    say("Rendering PDF…")
    # Playwright's sync API refuses a thread that runs an event loop (an async
    # server, a test that drives a browser): it gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print, browser, url, html, _header(pack)).result()


def _header(pack: Pack) -> str:
    return (
        f'<div style="{MARGIN_STYLE}">{escape(pack.plan.title)}: board pack for '
        f"{pack.period:%B %Y}, as it stood at the end of the month</div>"
    )


FOOTER = (
    f'<div style="{MARGIN_STYLE} text-align: right;">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def _print(browser: str, url: str, html: str, header: str) -> bytes:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
            try:
                page = chromium.new_page(viewport={"width": PAGE_WIDTH_PX, "height": 1000})
                page.set_default_timeout(TIMEOUT_MS)
                page.route("**/*", functools.partial(_answer, url, html))
                page.emulate_media(media="print")
                page.goto(url, wait_until="load")
                page.wait_for_function(CHARTS_DRAWN)
                page.evaluate("() => document.fonts.ready.then(() => true)")
                return page.pdf(
                    format="A4",
                    margin=MARGINS,
                    tagged=True,
                    outline=True,
                    print_background=True,
                    display_header_footer=True,
                    header_template=header,
                    footer_template=FOOTER,
                )
            finally:
                chromium.close()
    except Error as error:
        # The browser's own words go to the log, not to the reader.
        logger.exception("Chromium could not print the board pack")
        raise PdfError(FAILED) from error


def _answer(url: str, html: str, route) -> None:
    """The page itself and the site's static files; nothing else leaves the browser."""
    asked = route.request.url
    if asked == url:
        route.fulfill(body=html, content_type="text/html; charset=utf-8")
        return
    static = urljoin(url, settings.STATIC_URL)
    name = unquote(asked[len(static) :].split("?")[0])
    body = static_file(name) if asked.startswith(static) else None
    if body is None:
        route.abort()
        return
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    route.fulfill(body=body, content_type=kind)


def static_file(name: str) -> bytes | None:
    """A static file by the name {% static %} gave it: from the finders (development) or
    the collected files (a deployment's hashed names), or None."""
    try:
        found = finders.find(name)
        if found:
            with open(found, "rb") as file:
                return file.read()
        if staticfiles_storage.exists(name):
            with staticfiles_storage.open(name) as file:
                return file.read()
    except (SuspiciousFileOperation, ValueError, OSError):
        return None
    return None
