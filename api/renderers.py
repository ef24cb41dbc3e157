"""CSV for every list: flat columns, a header row, and no text a spreadsheet would run."""

import csv
import datetime
import io
from decimal import Decimal

from rest_framework import renderers

from metrics.display import exact
from metrics.importer import escape_cell_text


def cell(value) -> str:
    """One value as a CSV cell: numbers as stored, dates as ISO, text never a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return exact(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(cell(item) for item in value)
    return escape_cell_text(str(value))


class CSVRenderer(renderers.BaseRenderer):
    """A list's rows (one page of them: the Link header names the next), or an error.

    The columns come from the view's ``csv_columns()``, so an empty page still
    has its header. UTF-8 with a byte order mark, so Excel reads it as UTF-8.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        context = renderer_context or {}
        response, view = context.get("response"), context.get("view")
        if isinstance(data, dict) and "results" in data:
            rows = data["results"]
        else:
            rows = data if isinstance(data, list) else [data]
        rows = [row if isinstance(row, dict) else {"detail": row} for row in rows]
        failed = response is not None and response.status_code >= 400
        if not failed and hasattr(view, "csv_columns"):
            columns = view.csv_columns()
        else:
            columns = list(rows[0]) if rows else []
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([cell(row.get(name)) for name in columns] for row in rows)
        return ("\ufeff" + out.getvalue()).encode("utf-8")
