"""Quick cold timings of board pages while working on them (not the benchmark).

Builds the cold benchmark's data once into /tmp/bench-probe-<kpis>x<months>.sqlite3
and reuses it, so a change can be timed in seconds; ``make bench`` and
bench/cold_bench.py remain the measurements of record. Prints CPU time beside
wall time: on a machine shared with other work it is the steadier figure.

    python bench/probe.py 2000 60                  # every page: median cold time and size
    python bench/probe.py 2000 60 scorecard "pack, page 2"   # just these
    python bench/probe.py 2000 60 --profile scorecard
    PROFILE_SORT=cumulative PROFILE_LINES=80 python bench/probe.py 200 36 --profile area
"""

import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cold_bench


def data_for(kpis: int, months: int) -> dict:
    database = Path(f"/tmp/bench-probe-{kpis}x{months}.sqlite3")
    saved = database.with_suffix(".json")
    fresh = not saved.exists()
    if fresh:
        database.unlink(missing_ok=True)
    cold_bench.setup(database)
    from django.contrib.auth import get_user_model

    if fresh:
        import bench_data

        data = bench_data.build(kpis, months)
        saved.write_text(json.dumps({"pages": data["pages"]}))
    data = json.loads(saved.read_text())
    data["board"] = get_user_model().objects.get(username="bench-board")
    return data


def main(argv: list[str]) -> None:
    from django.test import Client, override_settings

    kpis, months = int(argv[0]), int(argv[1])
    data = data_for(kpis, months)
    client = Client()
    client.force_login(data["board"])
    with override_settings(**cold_bench.COLD):
        if "--profile" in argv:
            path = data["pages"][argv[argv.index("--profile") + 1]]
            cold_bench.timed(client, path)
            profiler = cProfile.Profile()
            profiler.enable()
            cold_bench.timed(client, path)
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
            stats.print_stats(int(os.environ.get("PROFILE_LINES", "35")))
            return
        for name in argv[2:] or data["pages"]:
            path = data["pages"][name]
            cold_bench.timed(client, path)
            runs, cpu = [], []
            for _ in range(5):
                started = time.process_time()
                runs.append(cold_bench.timed(client, path))
                cpu.append((time.process_time() - started) * 1000)
            median = statistics.median(ms for ms, _ in runs)
            size = len(runs[-1][1]) / 1024
            cpu_ms = statistics.median(cpu)
            print(f"{kpis}x{months} {name:<20} {median:7.1f} ms (CPU {cpu_ms:6.1f}) {size:7.1f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
