"""Slides, text boxes, tables and status boxes on a 16:9 page, and the words' language.

Status is written in words in every box; its fill (the board pages' tag
colours) is only an addition.
"""

from dataclasses import dataclass

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from metrics import rag

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
LANGUAGE = "en-GB"
FONT = "Arial"
TITLE_ONLY = 5  # the default template's "Title Only" layout
TITLE_SLIDE = 0

TEXT = RGBColor(0x0B, 0x0C, 0x0C)
# The board pages' status tags (static/css/app.css): text colour on fill colour.
STATUS_COLOURS = {
    "green": (RGBColor(0x00, 0x5A, 0x30), RGBColor(0xCC, 0xE2, 0xD8)),
    "amber": (RGBColor(0x6E, 0x36, 0x19), RGBColor(0xFC, 0xD6, 0xC3)),
    "red": (RGBColor(0x94, 0x25, 0x14), RGBColor(0xF6, 0xD7, 0xD2)),
}
NEUTRAL_COLOURS = (RGBColor(0x38, 0x3F, 0x43), RGBColor(0xEE, 0xEF, 0xEF))


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    width: int
    height: int

    def split(self, columns: int, rows: int, gap: int = Inches(0.2)) -> list["Box"]:
        """The box cut into a grid of equal boxes, row by row."""
        width = (self.width - gap * (columns - 1)) // columns
        height = (self.height - gap * (rows - 1)) // rows
        return [
            Box(self.left + c * (width + gap), self.top + r * (height + gap), width, height)
            for r in range(rows)
            for c in range(columns)
        ]


def batched(items: list, size: int) -> list[list]:
    """``items`` in runs of ``size`` (itertools.batched is Python 3.12's)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def below(top: int, height: int) -> Box:
    """A full-width box at ``top``."""
    return Box(MARGIN, top, WIDTH - 2 * MARGIN, height)


def clean(words) -> str:
    """Text an XML attribute or property can hold: control characters dropped."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(words))


def colours(status: rag.Status) -> tuple[RGBColor, RGBColor]:
    if status.is_performance:
        return STATUS_COLOURS.get(status.value, NEUTRAL_COLOURS)
    return NEUTRAL_COLOURS


def place(shape, box: Box) -> None:
    shape.left, shape.top, shape.width, shape.height = box.left, box.top, box.width, box.height


def new_slide(prs, title: str, *, name: str):
    """A "Title Only" slide with its title across the top; ``name`` tells slides apart."""
    slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
    slide._element.cSld.set("name", clean(name))
    heading = slide.shapes.title
    top = below(Inches(0.3), Inches(0.9))
    heading.left, heading.top, heading.width, heading.height = (
        top.left,
        top.top,
        top.width,
        top.height,
    )
    write(heading.text_frame, [title], size=title_size(title), bold=True)
    return slide


def title_size(title: str) -> int:
    """Smaller type for a long title, so two or three lines fit above the slide's content."""
    return 26 if len(title) <= 60 else 20 if len(title) <= 120 else 16


def write(frame, paragraphs: list[str], *, size: int = 14, bold: bool = False, colour=TEXT):
    """Paragraphs into a text frame, in Arial, shrinking to fit where PowerPoint can."""
    frame.clear()
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    for i, words in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = str(words)
        run.font.name, run.font.size, run.font.bold = FONT, Pt(size), bold
        run.font.color.rgb = colour
    return frame


def text_box(slide, box: Box, paragraphs: list[str], **style):
    shape = slide.shapes.add_textbox(box.left, box.top, box.width, box.height)
    write(shape.text_frame, paragraphs, **style)
    return shape


def status_box(slide, box: Box, words: str, status: rag.Status, *, size: int = 18):
    """A status sentence on the status's tag colour: the words carry the meaning."""
    fore, back = colours(status)
    shape = text_box(slide, box, [words], size=size, bold=True, colour=fore)
    shape.fill.solid()
    shape.fill.fore_color.rgb = back
    return shape


def table(slide, box: Box, header: list[str], rows: list[list[str]], *, widths: list[float]):
    """A table with a header row; ``widths`` are each column's share of the box."""
    shape = slide.shapes.add_table(len(rows) + 1, len(header), box.left, box.top, box.width, 0)
    grid = shape.table
    grid.first_row = True
    for column, share in zip(grid.columns, widths, strict=True):
        column.width = Emu(int(box.width * share))
    for r, cells in enumerate([header, *rows]):
        grid.rows[r].height = Inches(0.3)
        for c, words in enumerate(cells):
            write(grid.cell(r, c).text_frame, [words], size=11, bold=r == 0)
    return grid


def colour_cell(cell, status: rag.Status) -> None:
    fore, back = colours(status)
    cell.fill.solid()
    cell.fill.fore_color.rgb = back
    for paragraph in cell.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.color.rgb = fore


def in_english(element) -> None:
    """Mark every run under ``element`` (a slide, its notes, a chart) as British English."""
    for run in element.iter(qn("a:r")):
        if run.find(qn("a:rPr")) is None:
            run.insert(0, run.makeelement(qn("a:rPr"), {}))
    for tag in ("a:rPr", "a:endParaRPr", "a:defRPr"):
        for properties in element.iter(qn(tag)):
            properties.set("lang", LANGUAGE)
