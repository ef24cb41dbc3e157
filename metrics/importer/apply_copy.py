"""PostgreSQL: new and changed actuals, and their history, written through COPY.

apply.py calls ``copy_actuals`` on PostgreSQL (with psycopg2) in place of its
batched INSERT ... SELECT. New figures take their ids from the table's own
sequence. Only the columns that differ between rows (id, KPI, month and the
fields the sheet gave) are formatted per row and copied into a temporary
table; one INSERT ... SELECT then writes them with every other column bound
once, and a second copies the rows just written into history, both on the
server, which costs less than parsing every column of every row as text.
Changed figures are copied into a temporary table and written with one
UPDATE ... FROM that moves each version on and refuses the whole import
(StaleImport) if any version moved since planning; their history is then
copied from the rows as they stand. Every row is signed off as apply.py's
INSERT signs it off (``constant_values``).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from contextlib import nullcontext
from itertools import islice

from django.db import connection

from metrics.importer.errors import StaleImport
from metrics.importer.plan import ACTUAL_FIELDS, Change
from metrics.models import Actual

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"
UPDATES = "import_updated_actuals"
CREATED = "import_new_actuals"


def available() -> bool:
    """COPY is used on PostgreSQL through psycopg2, the driver the project installs."""
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return not is_psycopg3


def copy_text(value) -> str:
    """One value in COPY's text format: backslash, tab and line breaks escaped, None as \\N."""
    if value is None:
        return NULL
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def copy_actuals(cursor, created, updated, codes, *, constant: dict, history) -> None:
    """Write new and changed actuals, each with a history row.

    ``constant`` holds every column's value for a new row (by attname), as
    apply.py's INSERT binds them; ``history(type)`` gives the INSERT ... SELECT
    copying rows into history, up to its WHERE: (sql, params).
    """
    if created:
        _copy_created(cursor, created, codes, constant=constant, history=history("+"))
    if updated:
        _copy_updated(cursor, updated, constant=constant, history=history("~"))


def _copy_created(cursor, created: list[Change], codes: dict, *, constant, history) -> None:
    """Write the new rows, with ids from the table's sequence, then copy them into history."""
    quote = connection.ops.quote_name
    ids = _new_ids(cursor, len(created))
    groups: dict[tuple, list[tuple[int, Change]]] = defaultdict(list)
    for pk, change in zip(ids, created, strict=True):
        groups[tuple(change.values)].append((pk, change))
    months: dict[datetime.date, str] = {}
    for given, group in groups.items():
        varying = ["id", "kpi_id", "period", *given]
        fixed = [name for name in constant if name not in varying]
        _staging(cursor, CREATED, varying)
        _copy(cursor, CREATED, varying, _created_lines(group, given, codes, months))
        cursor.execute(
            f"INSERT INTO {quote(Actual._meta.db_table)} "
            f"({', '.join(quote(name) for name in [*varying, *fixed])}) "
            f"SELECT {', '.join([*map(quote, varying), *['%s'] * len(fixed)])} FROM {CREATED}",
            [constant[name] for name in fixed],
        )
        cursor.execute(f"DROP TABLE {CREATED}")
    head, params = history
    # One range when the ids run without a gap, as one call of the sequence's usually do.
    first, last = min(ids), max(ids)
    if last - first + 1 == len(ids):
        cursor.execute(f"{head}id BETWEEN %s AND %s", [*params, first, last])
    else:
        cursor.execute(f"{head}id = ANY(%s)", [*params, ids])


def _new_ids(cursor, count: int) -> list[int]:
    """Ids for new figures from the table's own sequence, as its default would give them."""
    # The sequence is named once: pg_get_serial_sequence is not folded into a
    # constant, so calling it per row would look it up a hundred thousand times.
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Actual._meta.db_table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
    return [record[0] for record in cursor.fetchall()]


def _created_lines(group, given: tuple, codes: dict, months: dict) -> Iterator[str]:
    """A new figure's line: its id, KPI, month and the fields the sheet gave."""
    for pk, change in group:
        period = change.refs["period"]
        month = months.get(period) or months.setdefault(period, period.isoformat())
        values = [copy_text(change.values[name]) for name in given]
        yield "\t".join([str(pk), str(codes[change.refs["kpi"]]), month, *values]) + "\n"


def _copy_updated(cursor, updated: list[Change], *, constant, history) -> None:
    """COPY the changed figures into a temporary table and UPDATE ... FROM it, all or none."""
    quote = connection.ops.quote_name
    table = quote(Actual._meta.db_table)
    fields = list(ACTUAL_FIELDS)
    _staging(cursor, UPDATES, ["id", "version", *fields])
    rows = (
        "\t".join([str(c.pk), str(c.version), *(copy_text(c.values[f]) for f in fields)]) + "\n"
        for c in updated
    )
    _copy(cursor, UPDATES, ["id", "version", *fields], rows)
    # The sign-off fields as the INSERT sets them, except when the figure first arrived.
    stamped = ("updated_by_id", "updated_at", "state", "reviewed_by_id", "reviewed_at")
    sets = [f"{quote(f)} = given.{quote(f)}" for f in fields]
    sets += [f"{quote(name)} = %s" for name in stamped]
    sets += [f"{quote('returned_reason')} = ''", f"version = {table}.version + 1"]
    cursor.execute(
        f"UPDATE {table} SET {', '.join(sets)} FROM {UPDATES} AS given "
        f"WHERE {table}.id = given.id AND {table}.version = given.version",
        [constant[name] for name in stamped],
    )
    if cursor.rowcount != len(updated):
        raise StaleImport()
    head, params = history
    cursor.execute(f"{head}id IN (SELECT id FROM {UPDATES})", params)
    cursor.execute(f"DROP TABLE {UPDATES}")


def _staging(cursor, name: str, columns: list[str]) -> None:
    """A temporary table of these columns of the actuals table, as they are typed there."""
    quote = connection.ops.quote_name
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS SELECT "
        f"{', '.join(map(quote, columns))} FROM {quote(Actual._meta.db_table)} WITH NO DATA"
    )


def _copy(cursor, table: str, columns: list[str], lines) -> None:
    """COPY these text lines into the table's columns, logged like any query when DEBUG is on."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    debug = getattr(cursor, "debug_sql", None)
    # Errors raised as Django's own (IntegrityError...), as from any other statement.
    with connection.wrap_database_errors, debug(sql) if debug else nullcontext():
        cursor.cursor.copy_expert(sql, _Stream(lines))


class _Stream:
    """Lines for COPY, formatted a chunk at a time as psycopg2 reads them.

    The server writes one chunk while the next is formatted here, and the
    whole text is never held in memory at once.
    """

    LINES_PER_CHUNK = 2000

    def __init__(self, lines):
        self.lines = iter(lines)

    def read(self, size: int = -1) -> bytes:
        # Any length will do: psycopg2 sends what it is given, and stops at b"".
        return "".join(islice(self.lines, self.LINES_PER_CHUNK)).encode()
