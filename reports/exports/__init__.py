"""The board's files: the pack (and an area of it) as PDF, Excel and PowerPoint.

Each format module renders a ``reports.pack.Pack`` with ``render_pack(pack,
*, progress=None) -> bytes``; the download views and ``manage.py
board_pack`` find them here by format.
"""

import datetime
import importlib
from dataclasses import dataclass

from django.utils.text import slugify


@dataclass(frozen=True)
class Format:
    key: str
    label: str
    extension: str
    content_type: str
    module: str

    def render_pack(self, pack, *, progress=None) -> bytes:
        return importlib.import_module(self.module).render_pack(pack, progress=progress)


FORMATS = {
    fmt.key: fmt
    for fmt in [
        Format("pdf", "PDF", "pdf", "application/pdf", "reports.exports.pdf"),
        Format(
            "xlsx",
            "Excel",
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "reports.exports.xlsx",
        ),
        Format(
            "pptx",
            "PowerPoint",
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "reports.exports.pptx",
        ),
    ]
}


def filename(stem: str, period: datetime.date, what: str, extension: str) -> str:
    """A download's name: its plan (or KPI), month and content, e.g.
    ``improvement-plan-2021-2021-09-board-pack.pdf``."""
    parts = [slugify(stem) or "plan", f"{period:%Y-%m}", slugify(what)]
    return "-".join(part for part in parts if part) + f".{extension}"
