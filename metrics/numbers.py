"""Reading a number people typed: "1,000", "90.3%", " 42 ".

One reader for every place a person types a figure (the workbook import's
text cells, and the entry forms), so what one accepts the others accept.
"""

import re
from decimal import Decimal

_NUMBER_TEXT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_NUMBER_THEN_TEXT = re.compile(r"^([+-]?[\d,]*\.?\d+)\s*(.+)$")


def read_number(text: str) -> tuple[Decimal, bool]:
    """The number in the text, and whether it carried a % sign ("90.3%" gives 90.3, True).

    Accepts thousands separators in their places (1,000), surrounding spaces,
    a trailing %, and a leading apostrophe (how spreadsheet users force a
    figure to be text). Raises ValueError saying what to type instead; a
    number followed by a note ("12 (provisional)") is told to keep the note
    elsewhere.
    """
    shown = text.strip()
    number = shown.removeprefix("'").strip()
    percent = number.endswith("%")
    number = number.removesuffix("%").strip()
    if not number or not _NUMBER_TEXT.match(number):
        extra = _NUMBER_THEN_TEXT.match(number)
        if extra:
            raise ValueError(
                f"{shown!r} has {extra[2]!r} after the number: delete it and keep "
                f"only the figure ({extra[1]}); put any note in the commentary."
            )
        raise ValueError(f"{shown!r} is not a number: enter a figure such as 90.3.")
    return Decimal(number.replace(",", "")), percent
