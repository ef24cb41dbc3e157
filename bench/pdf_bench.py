"""How long the 2021 plan's board pack takes to print as a PDF.

Seeds the shipped data into a throwaway SQLite database under /tmp (never
the development database), then prints the pack for September 2021 three
times through reports.exports.pdf, as the download and `manage.py
board_pack` do, and reports the median against the goal of 20 seconds.
Exits non-zero if the goal is missed. Run with `make bench`.
"""

import datetime
import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

GOAL_SECONDS = 20
RUNS = 3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = Path(tempfile.gettempdir()) / "dudley_improve_pdf_bench.sqlite3"
os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudley_improve.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
# Static files from the source folders, as under `make run`: no collectstatic needed.
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402

from priorities.models import Plan  # noqa: E402
from reports import pack  # noqa: E402
from reports.exports import pdf  # noqa: E402


def main() -> int:
    if not pdf.available():
        print(f"PDF benchmark skipped: {pdf.UNAVAILABLE}")
        return 1
    DATABASE.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    call_command("seed", stdout=StringIO())
    plan = Plan.objects.get(slug="improvement-plan-2021")
    times, size = [], 0
    for _ in range(RUNS):
        # Everything the download does: read the pack, draw its charts, print it.
        started = time.perf_counter()
        content = pack.build(plan, datetime.date(2021, 9, 1), today=timezone.localdate())
        size = len(pdf.render_pack(content))
        times.append(time.perf_counter() - started)
    DATABASE.unlink(missing_ok=True)
    median = statistics.median(times)
    runs = ", ".join(f"{t:.1f}" for t in times)
    print(
        f"PDF board pack, {plan.title}, September 2021 ({size / 1024 / 1024:.1f} MB): "
        f"median {median:.1f} s of {RUNS} ({runs}); goal under {GOAL_SECONDS} s"
    )
    if median >= GOAL_SECONDS:
        print("GOAL MISSED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
