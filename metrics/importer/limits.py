"""How much one import takes: fixed limits, and the sizes set in settings (IMPORT_*)."""

from django.conf import settings

# Fixed limits, besides the IMPORT_* settings: no real workbook comes near them.
MAX_ZIP_MEMBERS = 1000
MAX_COLUMNS = 1000
# Members smaller than this cannot be a bomb, whatever their compression ratio.
RATIO_CHECKED_FROM = 1024 * 1024
# The longest run of a part with no ">". No tag or text a spreadsheet program
# writes comes near it, and the expat bundled with Python before 3.11.9 takes
# time growing with the square of a token's length when it is fed in pieces.
MAX_XML_TOKEN = 1024 * 1024
# The header row may sit under a few title rows, as in real trackers.
HEADER_SEARCH_ROWS = 10
# Rows written per statement batch, and changes listed per sheet in a preview.
BATCH = 2000
ROWS_PER_INSERT = 1000
PREVIEW_CHANGES_PER_SHEET = 200


def size(count: int) -> str:
    """A number of bytes as people read it: 812 KB, 4.2 MB."""
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.0f} KB"


def size_problem(count: int) -> str | None:
    """Why a file of this many bytes is refused (IMPORT_MAX_UPLOAD_BYTES), or None."""
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if count <= limit:
        return None
    return (
        f"The file is {size(count)}; the largest accepted is {size(limit)}. Split it into "
        "smaller workbooks, or delete sheets the import does not read."
    )
