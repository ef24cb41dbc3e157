"""How fast the workbook import is, against openpyxl merely reading the same file.

Builds a wide Actuals sheet of 1,000 KPIs by 100 months (100,000 figures),
imports it into a throwaway SQLite database, and prints the import's time as
a ratio to a read-only openpyxl pass over the file, and the import's peak
memory. Targets: ratio at most 2.5, peak at most 256 MiB. Run with `make bench`.
"""

import datetime
import gc
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

KPIS, MONTHS = 1000, 100
TARGET_RATIO, TARGET_MIB = 2.5, 256

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = Path(tempfile.gettempdir()) / "dudley_improve_import_bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudley_improve.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from openpyxl import Workbook, load_workbook  # noqa: E402

from metrics import importer, periods  # noqa: E402
from metrics.models import Actual, Kpi  # noqa: E402


def build_database():
    DATABASE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    Kpi.objects.bulk_create(
        Kpi(code=f"B.{n:04d}", title=f"Bench measure {n}", polarity=Kpi.Polarity.HIGHER)
        for n in range(KPIS)
    )
    return get_user_model().objects.create(username="bench")


def build_workbook(months: list[datetime.date]) -> bytes:
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


def read_only_pass(data: bytes) -> float:
    start = time.perf_counter()
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    cells = 0
    for row in book["Actuals"].iter_rows(values_only=True):
        cells += len(row)
    book.close()
    return time.perf_counter() - start


def clear_figures():
    with connection.cursor() as cursor:
        for model in (Actual.history.model, Actual):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> int:
    user = build_database()
    last = periods.latest_completed_month(datetime.date.today())
    months = [periods.add_months(last, -n) for n in range(MONTHS - 1, -1, -1)]
    data = build_workbook(months)
    print(f"Workbook: {KPIS:,} KPIs x {MONTHS} months, {len(data) / 1024 / 1024:.1f} MB")
    read = min(read_only_pass(data) for _ in range(3))

    # The import as `import_workbook --commit` runs it: check, read, plan, write.
    gc.collect()
    plan, took = timed(importer.commit, data, user=user)
    assert not plan.rejections, plan.rejections[:5]
    written, history = Actual.objects.count(), Actual.history.count()
    assert written == KPIS * MONTHS == history, (written, history)

    again, unchanged = timed(importer.commit, data, user=user)
    assert again.change_count == 0 and again.sheets["Actuals"].unchanged == KPIS * MONTHS

    # Where the time goes, on a second import into an empty table (which
    # reuses the pages the first import left, so writing is a little faster).
    clear_figures()
    with importer.collector_paused():
        book, reading = timed(importer.read_workbook, data)
        plan, planning = timed(importer.plan_workbook, book)
        with transaction.atomic():
            _, writing = timed(importer.apply_plan, plan, user=user)
    del book, plan

    clear_figures()
    gc.collect()
    tracemalloc.start()
    importer.commit(data, user=user)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mib = peak / 1024 / 1024

    ratio = took / read
    rows = [
        ("openpyxl read-only pass (best of 3)", read, ""),
        ("import: check, read, plan, write", took, f"ratio {ratio:.2f} (target <= {TARGET_RATIO})"),
        ("  of which checking and reading", reading, f"ratio {reading / read:.2f}"),
        ("  of which planning (the preview)", planning, f"ratio {planning / read:.2f}"),
        ("  of which writing rows and history", writing, f"ratio {writing / read:.2f}"),
        ("re-import with nothing to change", unchanged, f"ratio {unchanged / read:.2f}"),
    ]
    for label, seconds, note in rows:
        print(f"{label:<38}{seconds:6.2f} s  {note}")
    print(f"{'import peak memory (tracemalloc)':<38}{peak_mib:6.0f} MiB (target <= {TARGET_MIB})")
    print(f"rows written: {written:,} actuals and {history:,} history rows")
    met = ratio <= TARGET_RATIO and peak_mib <= TARGET_MIB
    print("Targets met." if met else "Targets NOT met.")
    DATABASE.unlink(missing_ok=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
