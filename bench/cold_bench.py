"""Cold board pages: one request at a time with the cache off, and each page's weight.

Builds a throwaway SQLite database under /tmp (never the development
database) with the Dudley plan scaled to 200 KPIs x 36 months, then
2,000 KPIs x 60 months, and requests each board page RUNS times through
Django's test client with a dummy cache, so every request does all its work
(as the first one after a write does). Prints the median of each against its
goal, with a trivial page (/healthz) measured in the same run as the
reference, the HTML size, and at 200 KPIs the page weight as served
(the site's own HTML, CSS and JS, gzipped; plotly.js separately). Exits
non-zero if a goal is missed.

    python bench/cold_bench.py                  # both sizes
    python bench/cold_bench.py --small          # 200 x 36 only
    python bench/cold_bench.py --profile area   # cProfile one cold page at 200 x 36
    python bench/cold_bench.py --default-gc     # without the server's garbage collector tuning
"""

import cProfile
import gzip
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
RUNS = 5
SIZES = [(200, 36), (2000, 60)]
# (KPIs, page) -> goal in ms; at the larger size every board page has the same goal.
GOALS_MS = {
    200: {
        "overview": 80,
        "overview, Sep 2021": 80,
        "area": 80,
        "scorecard": 80,
        "KPI": 40,
        "pack": 400,
        "pack, page 2": 400,
    },
}
LARGE_GOAL_MS = 300
GOAL_BYTES = 300 * 1024
GOAL_WEIGHT = 100 * 1024
# Every request does all its work, as the first after a write does; static files
# by their own names, so no collectstatic is needed.
COLD = {
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
    "STORAGES": {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
}


def setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dudley_improve.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    import django

    django.setup()
    if "--default-gc" not in sys.argv:
        # As the served process does (dudley_improve/wsgi.py).
        from dudley_improve.runtime import tune_gc

        tune_gc()


def timed(client, path: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return elapsed, response.content


def static_weight(html: bytes) -> tuple[int, int]:
    """The gzipped bytes of the page's own CSS and JS, and of plotly.js (if it loads it)."""
    from django.contrib.staticfiles import finders

    own, plotly = 0, 0
    for url in re.findall(rb'(?:src|href)="/static/([^"?]+)"', html):
        found = finders.find(url.decode())
        if not found or not url.endswith((b".css", b".js")):
            continue
        size = len(gzip.compress(Path(found).read_bytes()))
        if b"plotly" in url:
            plotly += size
        else:
            own += size
    return own, plotly


def measure(kpis: int, months: int, data: dict) -> bool:
    from django.test import Client, override_settings

    client = Client()
    client.force_login(data["board"])
    met = True
    with override_settings(**COLD):
        timed(client, "/healthz")
        for path in data["pages"].values():
            timed(client, path)  # load code and templates once
        reference = statistics.median(timed(client, "/healthz")[0] for _ in range(RUNS))
        print(f"\n{kpis} KPIs x {months} months, cold (cache off), median of {RUNS}:")
        print(f"  reference: a trivial page (/healthz) {reference:.1f} ms")
        for name, path in data["pages"].items():
            runs = [timed(client, path) for _ in range(RUNS)]
            median = statistics.median(ms for ms, _ in runs)
            html = runs[-1][1]
            goal = GOALS_MS.get(kpis, {}).get(name, LARGE_GOAL_MS)
            ok = median < goal and len(html) <= GOAL_BYTES
            met &= ok
            line = (
                f"  {name:<20} {median:7.1f} ms (goal < {goal})  "
                f"HTML {len(html) / 1024:6.1f} KB (goal <= {GOAL_BYTES // 1024})"
            )
            if kpis == 200:
                own, plotly = static_weight(html)
                weight = len(gzip.compress(html)) + own
                ok_weight = weight <= GOAL_WEIGHT
                met &= ok_weight
                line += f"  weight {weight / 1024:5.1f} KB gzip (goal <= 100)"
                line += f" + plotly.js {plotly / 1024:.0f} KB" if plotly else ""
                ok &= ok_weight
            print(line + ("" if ok else "  MISSED"))
    return met


def profile(page: str, data: dict) -> None:
    from django.test import Client, override_settings

    client = Client()
    client.force_login(data["board"])
    path = data["pages"][page]
    with override_settings(**COLD):
        timed(client, path)
        profiler = cProfile.Profile()
        profiler.enable()
        timed(client, path)
        profiler.disable()
    pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(40)


def main(argv: list[str]) -> int:
    import bench_data

    sizes = SIZES[:1] if "--small" in argv or "--profile" in argv else SIZES
    if "--large" in argv:
        sizes = SIZES[1:]
    met = True
    with tempfile.TemporaryDirectory(prefix="dudley-cold-") as workdir:
        for n, (kpis, months) in enumerate(sizes):
            database = Path(workdir) / f"cold-{kpis}.sqlite3"
            if n == 0:
                setup(database)
            else:
                from django.db import connections

                connections.close_all()
                connections["default"].settings_dict["NAME"] = str(database)
            data = bench_data.build(kpis, months)
            if "--profile" in argv:
                profile(argv[argv.index("--profile") + 1], data)
                return 0
            met &= measure(kpis, months, data)
    print(f"\ncold pages: goals {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
