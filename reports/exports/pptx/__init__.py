"""The board pack as a PowerPoint file (python-pptx), from ``reports.pack.build``.

A title slide with the plan's status in words; each priority area's slide
with its status, counts and native, editable line charts of actual against
target (a grid of its KPIs first when it has more than four, see
``slides``), the month's commentary in the slide's notes; and a closing
slide naming the figures not yet signed off. Reads only the pack: no
queries, no RAG rule of its own.
"""

import io
from collections.abc import Callable

from django.utils import timezone
from pptx import Presentation

from reports.exports.pptx import slides, words
from reports.exports.pptx.layout import HEIGHT, LANGUAGE, WIDTH, clean, in_english
from reports.pack import Pack


def render_pack(pack: Pack, *, progress: Callable[[str], None] | None = None) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    slides.title_slide(prs, pack)
    for number, report in enumerate(pack.reports, start=1):
        if progress:
            progress(f"Area {number} of {len(pack.reports)}")
        slides.area_slides(prs, report, pack.period)
    slides.closing_slides(prs, pack)
    _describe(prs, pack)
    buffer = io.BytesIO()
    prs.save(buffer)
    return buffer.getvalue()


def _describe(prs, pack: Pack) -> None:
    """The file's title, author and language; every run of text marked British English."""
    properties = prs.core_properties
    month = words.month(pack.period)
    properties.title = clean(f"{pack.plan.title}: board pack, {month}")
    properties.subject = clean(f"The board pack as it stood in {month}")
    properties.author = properties.last_modified_by = words.AUTHOR
    properties.language = LANGUAGE
    properties.revision = 1
    properties.created = properties.modified = timezone.now().replace(tzinfo=None)
    for part in [prs, prs.slide_master, *prs.slide_layouts]:
        in_english(part._element)
    for slide in prs.slides:
        in_english(slide._element)
        if slide.has_notes_slide:
            in_english(slide.notes_slide._element)
