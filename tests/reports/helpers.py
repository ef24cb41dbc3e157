"""Reading the board pages as a person would: text without tags, and the charts' JSON."""

import json
import re
from html import unescape

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_CHART = re.compile(
    r'<script class="app-chart-data" id="([^"]+)-data" type="application/json">(.*?)</script>',
    re.DOTALL,
)


def text(html: str) -> str:
    """The page's words, as a screen reader would read them in order."""
    return _SPACE.sub(" ", unescape(_TAG.sub(" ", html))).strip()


def element(html: str, element_id: str) -> str:
    """The markup of the element with this id (a row, a section), up to its closing tag."""
    start = html.index(f'id="{element_id}"')
    open_at = html.rindex("<", 0, start)
    tag = re.match(r"<(\w+)", html[open_at:])[1]
    depth, at = 0, open_at
    pattern = re.compile(rf"<(/?){tag}\b[^>]*>")
    for match in pattern.finditer(html, open_at):
        depth += -1 if match[1] else 1
        at = match.end()
        if depth == 0:
            break
    return html[open_at:at]


def charts(html: str) -> dict[str, dict]:
    """Every chart figure on the page, by its container's id."""
    return {chart_id: json.loads(body) for chart_id, body in _CHART.findall(html)}


def trace(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t["name"] == name)


def cells(html: str, series: str) -> dict[str, str]:
    """A data table's cells for a series, by the row's period (YYYY-MM-DD)."""
    found = {}
    for row in re.findall(r'<tr[^>]*data-period="([^"]+)"[^>]*>(.*?)</tr>', html, re.DOTALL):
        period, body = row
        cell = re.search(rf'data-series="{series}"[^>]*>(.*?)</td>', body, re.DOTALL)
        if cell:
            found[period] = text(cell[1])
    return found
