"""Load benchmark: board pages under gunicorn with 20 concurrent clients.

Builds a throwaway SQLite database with the Dudley plan scaled to 200 KPIs
of 36 months each, starts gunicorn (2 workers) on 127.0.0.1, signs in as a
board member and sends a bounded load of board-page requests from this
machine (loopback only, at most DURATION seconds), then prints p50/p95
latency and the error count. Goal: p95 under 300 ms and no errors.

Run with `make bench`.
"""

import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
DURATION = 25  # seconds of measured load, after a short warm-up: under a minute in all
WARM_UP = 3
MAX_REQUESTS_PER_CLIENT = 400
KPIS, MONTHS = 200, 36
GOAL_P95_MS = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_database(env: dict) -> list[str]:
    """Seed, scale to KPIS x MONTHS, and return the board paths to request."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    import bench_data

    from metrics.models import Actual, Kpi

    pages = bench_data.build(KPIS, MONTHS)["pages"]
    paths = [pages[name] for name in ("overview", "overview, Sep 2021", "area", "KPI")]
    print(f"data: {Kpi.objects.count()} KPIs, {Actual.objects.count()} actuals; pages: {paths}")
    return paths


def sign_in(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    body = response.read().decode()
    cookies = response.headers.get_all("Set-Cookie") or []
    csrf = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)[1]
    form = urllib.parse.urlencode(
        {
            "username": "bench-board",
            "password": "bench-board-password",
            "csrfmiddlewaretoken": token,
        }
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://127.0.0.1:{port}/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    session = next(
        c.split(";")[0]
        for c in response.headers.get_all("Set-Cookie")
        if c.startswith("sessionid=")
    )
    conn.close()
    return session


def load(
    port: int, paths: list[str], session: str, duration: float
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def client(n: int) -> None:
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() > deadline:
                break
            path = paths[(n + i) % len(paths)]
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": session})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors += not ok
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.monotonic() - started


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="dudley-bench-"))
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "dudley_improve.settings",
        "SECRET_KEY": "bench-only-not-secret",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "BEHIND_TLS_PROXY": "0",
        "AXES_FAILURE_LIMIT": "5",
    }
    paths = build_database(env)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    server = subprocess.Popen(
        [
            str(Path(python).with_name("gunicorn")),
            "dudley_improve.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        session = sign_in(port)
        load(port, paths, session, WARM_UP)  # each worker's first requests load code
        latencies, errors, seconds = load(port, paths, session, DURATION)
    finally:
        server.terminate()
        server.wait(timeout=10)
    latencies.sort()
    p50 = statistics.median(latencies)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"board pages: {len(latencies)} requests from {CLIENTS} clients in {seconds:.1f} s "
        f"({len(latencies) / seconds:.0f}/s)"
    )
    print(f"latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms; errors: {errors}")
    met = p95 < GOAL_P95_MS and errors == 0
    print(f"goal (p95 < {GOAL_P95_MS} ms, no errors): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
