"""How fast the workbook import is, against openpyxl merely reading the same file.

Builds a wide Actuals sheet of 1,000 KPIs by 100 months (100,000 figures) and
imports it into a throwaway database: SQLite under /tmp by default, or with
``--postgresql`` a database created (and dropped afterwards) on the server
DATABASE_URL names. Each round reads the file with openpyxl (read-only, the
reference) and python-calamine (the floor), empties the figures and imports
the file; the medians of the rounds give the ratio to openpyxl. A separate
import measures peak memory. Targets: ratio at most 2.5, peak at most 256 MiB.
Run with `make bench`.
"""

import argparse
import datetime
import gc
import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

KPIS, MONTHS = 1000, 100
TARGET_RATIO, TARGET_MIB = 2.5, 256
ROUNDS = 5

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SQLITE = Path(tempfile.gettempdir()) / "dudley_improve_import_bench.sqlite3"


def throwaway_postgresql() -> tuple[str, object]:
    """A new database beside DATABASE_URL's, and a function dropping it."""
    import dj_database_url
    import psycopg2

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        sys.exit("--postgresql needs DATABASE_URL pointing at a PostgreSQL server.")
    name = f"{config['NAME']}_import_bench_{os.getpid()}"
    server = {
        "dbname": "postgres",
        "user": config["USER"],
        "password": config["PASSWORD"],
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
    }

    def run(statement: str) -> None:
        admin = psycopg2.connect(**server)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(statement)
        admin.close()

    run(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0].rsplit("?", 1)[0]
    return f"{base}/{name}", lambda: run(f'DROP DATABASE IF EXISTS "{name}"')


def setup_django(postgresql: bool):
    if postgresql:
        url, drop = throwaway_postgresql()
    else:
        SQLITE.unlink(missing_ok=True)
        url, drop = f"sqlite:///{SQLITE}", lambda: SQLITE.unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudley_improve.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    # A hundred thousand rows may take longer than a web request's statement limit.
    os.environ["DATABASE_STATEMENT_TIMEOUT"] = "0"
    import django

    django.setup()
    return drop


def build_database():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from metrics.models import Kpi

    call_command("migrate", verbosity=0)
    Kpi.objects.bulk_create(
        Kpi(code=f"B.{n:04d}", title=f"Bench measure {n}", polarity=Kpi.Polarity.HIGHER)
        for n in range(KPIS)
    )
    return get_user_model().objects.create(username="bench")


def build_workbook(months: list[datetime.date]) -> bytes:
    from openpyxl import Workbook

    # A normal (not write-only) workbook, so the sheet records its dimension
    # as Excel does: without it openpyxl's read-only load parses the whole
    # sheet an extra time, which would flatter the ratio.
    book = Workbook()
    sheet = book.active
    sheet.title = "Actuals"
    sheet.append(["KPI code", "Title", *months])
    for cell in sheet[1][2:]:
        cell.number_format = "mmm yyyy"
    rng = random.Random(2021)
    for n in range(KPIS):
        sheet.append(
            [f"B.{n:04d}", f"Bench measure {n}"] + [round(rng.uniform(40, 100), 1) for _ in months]
        )
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def openpyxl_pass(data: bytes) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    for row in book["Actuals"].iter_rows(values_only=True):
        cells += len(row)
    book.close()
    return time.perf_counter() - start


def calamine_pass(data: bytes) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    cells = 0
    for row in book.get_sheet_by_name("Actuals").iter_rows():
        cells += len(row)
    book.close()
    return time.perf_counter() - start


def clear_figures():
    from django.db import connection

    from metrics.models import Actual

    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Actual.history.model, Actual)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def rounds(data: bytes, user) -> dict[str, list[float]]:
    """Each round: the two readers, then the import as `import_workbook --commit` runs it."""
    from metrics import importer
    from metrics.models import Actual

    times = {"openpyxl": [], "calamine": [], "import": []}
    for _ in range(ROUNDS):
        clear_figures()
        gc.collect()
        times["openpyxl"].append(openpyxl_pass(data))
        times["calamine"].append(calamine_pass(data))
        plan, took = timed(importer.commit, data, user=user)
        assert not plan.rejections, plan.rejections[:5]
        times["import"].append(took)
    written, history = Actual.objects.count(), Actual.history.count()
    assert written == KPIS * MONTHS == history, (written, history)
    return times


def stages(data: bytes, user) -> dict[str, float]:
    """Where the time goes: a re-import that changes nothing, then each step into empty tables.

    Committing is a step of its own: PostgreSQL checks the foreign keys of
    every row written (declared deferred by Django) only then.
    """
    from django.db import transaction

    from metrics import importer

    again, unchanged = timed(importer.commit, data, user=user)
    assert again.change_count == 0 and again.sheets["Actuals"].unchanged == KPIS * MONTHS
    clear_figures()
    with importer.collector_paused():
        book, reading = timed(importer.read_workbook, data)
        with transaction.atomic():
            plan, planning = timed(importer.plan_workbook, book, lock=True)
            _, writing = timed(importer.apply_plan, plan, user=user)
            start = time.perf_counter()
        committing = time.perf_counter() - start
    return {
        "reading": reading,
        "planning": planning,
        "writing": writing,
        "committing": committing,
        "unchanged": unchanged,
    }


def peak_memory(data: bytes, user) -> float:
    from metrics import importer

    clear_figures()
    gc.collect()
    tracemalloc.start()
    importer.commit(data, user=user)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024


def report(vendor: str, times: dict[str, list[float]], parts: dict[str, float], mib: float):
    read = statistics.median(times["openpyxl"])
    took = statistics.median(times["import"])
    ratio = took / read
    print(f"Import into {vendor}, median of {ROUNDS} rounds:")
    rows = [
        ("openpyxl read-only pass (reference)", read, ""),
        ("python-calamine reading it (floor)", statistics.median(times["calamine"]), ""),
        ("import: check, read, plan, write", took, f"ratio {ratio:.2f} (target <= {TARGET_RATIO})"),
        ("  of which checking and reading", parts["reading"], ""),
        ("  of which planning (the preview)", parts["planning"], ""),
        ("  of which writing rows and history", parts["writing"], ""),
        ("  of which the commit (PG: FK checks)", parts["committing"], ""),
        ("re-import with nothing to change", parts["unchanged"], ""),
    ]
    for label, seconds, note in rows:
        if not note and label.startswith(("  ", "re-")):
            note = f"ratio {seconds / read:.2f} (one run)"
        print(f"  {label:<38}{seconds:6.2f} s  {note}")
    print(f"  {'import peak memory (tracemalloc)':<38}{mib:6.0f} MiB (target <= {TARGET_MIB})")
    met = ratio <= TARGET_RATIO and mib <= TARGET_MIB
    print("  Targets met." if met else "  Targets NOT met.")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="import into a throwaway database on DATABASE_URL's PostgreSQL server",
    )
    drop = setup_django(parser.parse_args().postgresql)
    try:
        from django.db import connection

        from metrics import periods

        user = build_database()
        last = periods.latest_completed_month(datetime.date.today())
        months = [periods.add_months(last, -n) for n in range(MONTHS - 1, -1, -1)]
        data = build_workbook(months)
        print(f"Workbook: {KPIS:,} KPIs x {MONTHS} months, {len(data) / 1024 / 1024:.1f} MB")
        times = rounds(data, user)
        parts = stages(data, user)
        met = report(connection.vendor, times, parts, peak_memory(data, user))
    finally:
        from django.db import connections

        connections.close_all()
        drop()
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
