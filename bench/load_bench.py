"""Load benchmark: board pages under gunicorn, read-only and in the submission rush.

Builds a throwaway database with the Dudley plan scaled to 200 KPIs of 36
months each: on the PostgreSQL server DATABASE_URL points at when it points
at one (a database load_bench_<pid>, dropped afterwards), else SQLite under
/tmp. Starts gunicorn (2 workers) on 127.0.0.1, with REDIS_URL's server as
the cache when it is set (its database 14, flushed before and after). Then,
from this machine (loopback only, bounded in time), two scenarios:

- read-only: 20 clients signed in as a board member read board pages;
- the submission rush: the same, while a head of service who owns a KPI saves
  its figure every second through the entry page (GET the form, POST it with
  its CSRF token and stale-edit fields, expect the redirect), each save a change.

Each prints p50/p95 latency, requests per second and errors (a refused or
failed save is an error), with the p50 of a trivial page (/healthz) under the
same load as the reference. Goal: p95 under 300 ms and no errors in each.
Then the static files' cache headers and each page's weight as served.

Run with `make bench`.
"""

import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 20
DURATION = 20  # seconds of measured load per scenario, after a short warm-up
WARM_UP = 3
MAX_REQUESTS_PER_CLIENT = 400
KPIS, MONTHS = 200, 36
GOAL_P95_MS = 300
GOAL_PAGE_KB = 100
SAVE_EVERY = 1.0  # seconds between the head of service's saves
REFERENCE_EVERY = 0.25  # seconds between requests for the trivial page
REDIS_DB = 14  # flushed: never the database a site uses
BOARD = ("bench-board", "bench-board-password")
HEAD = ("bench-head", "bench-head-password")


# The site and its data -------------------------------------------------------


def database() -> tuple[str, object]:
    """DATABASE_URL's PostgreSQL server's throwaway database, or SQLite under /tmp; and its drop."""
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_data

    made = bench_data.throwaway_postgresql(
        os.environ.get("DATABASE_URL", ""), f"load_bench_{os.getpid()}"
    )
    if made:
        return made
    workdir = Path(tempfile.mkdtemp(prefix="dudley-bench-"))
    return f"sqlite:///{workdir / 'bench.sqlite3'}", lambda: shutil.rmtree(workdir)


def redis_cache() -> str:
    """REDIS_URL with its database number made REDIS_DB, flushed; empty when unset."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return ""
    import redis

    url = urllib.parse.urlsplit(url)._replace(path=f"/{REDIS_DB}").geturl()
    redis.Redis.from_url(url).flushdb()
    return url


def build_database(env: dict) -> dict:
    """Seed, scale to KPIS x MONTHS; the pages to read and the figure to save."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    import bench_data
    from django.db import connection

    from metrics.models import Actual, Kpi

    built = bench_data.build(KPIS, MONTHS)
    pages = built["pages"]
    # A KPI of the busiest area, shown on the overview and the area page read.
    kpi = Kpi.objects.filter(areas=built["area"], code__startswith="BENCH.").order_by("code")[0]
    bench_data.add_head_of_service(kpi, *HEAD)
    latest = Actual.objects.filter(kpi=kpi).latest("period").period
    paths = [pages[name] for name in ("overview", "overview, Sep 2021", "area", "KPI")]
    print(
        f"data ({connection.vendor}): {Kpi.objects.count()} KPIs, {Actual.objects.count()} "
        f"actuals; pages: {paths}; saves to {kpi.code} for {latest:%Y-%m}"
    )
    connection.close()
    return {"paths": paths, "entry": f"/updates/{kpi.pk}/{latest:%Y-%m}/"}


def start_server(env: dict, port: int) -> subprocess.Popen:
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    gunicorn = [str(Path(python).with_name("gunicorn")), "dudley_improve.wsgi"]
    server = subprocess.Popen(
        [*gunicorn, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server


# A browser, of sorts -------------------------------------------------------------


class Browser:
    """One keep-alive connection with a cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def request(self, method: str, path: str, form: dict | None = None, **headers):
        """(status, headers, body) of one request; raises OSError or HTTPException."""
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, value = cookie.split(";")[0].split("=", 1)
            self.cookies[name] = value
        return response.status, response.headers, content

    def sign_in(self, username: str, password: str) -> "Browser":
        _, _, body = self.request("GET", "/accounts/login/")
        form = FormReader.first(body.decode())
        status, _, _ = self.request(
            "POST", "/accounts/login/", {**form, "username": username, "password": password}
        )
        assert status == 302 and "sessionid" in self.cookies, f"{username} could not sign in"
        return self


class FormReader(HTMLParser):
    """The fields of a page's POST forms, as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self.textarea: str | None = None

    @classmethod
    def first(cls, html: str, having: str = "csrfmiddlewaretoken") -> dict[str, str]:
        reader = cls()
        reader.feed(html)
        return next(form for form in reader.forms if having in form)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.forms.append({})
        elif self.forms and tag == "input" and attrs.get("name"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.forms[-1][attrs["name"]] = attrs.get("value") or ""
        elif self.forms and tag == "textarea":
            self.textarea = attrs.get("name")
            self.forms[-1][self.textarea] = ""

    def handle_data(self, data):
        if self.textarea:
            self.forms[-1][self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None


# The load -------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, ok: bool) -> None:
        with self.lock:
            self.latencies.append((time.perf_counter() - started) * 1000)
            self.errors += not ok

    def p(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, int(len(ordered) * fraction) - 1)] if ordered else float("nan")


def read_pages(browser: Browser, paths: list[str], n: int, deadline: float, tally: Tally):
    for i in range(MAX_REQUESTS_PER_CLIENT):
        if time.monotonic() > deadline:
            break
        started = time.perf_counter()
        try:
            ok = browser.request("GET", paths[(n + i) % len(paths)])[0] == 200
        except (OSError, http.client.HTTPException):
            ok = False
        tally.add(started, ok)


def every(interval: float, deadline: float, action) -> None:
    """Call ``action(n)`` every ``interval`` seconds until the deadline."""
    n, next_at = 0, time.monotonic()
    while next_at < deadline:
        action(n)
        n += 1
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))


def save_figure(browser: Browser, entry: str, n: int, tally: Tally) -> None:
    """Open the entry form and save a new figure, as its owner would: one change, redirected."""
    started = time.perf_counter()
    try:
        status, _, body = browser.request("GET", entry)
        form = FormReader.first(body.decode(), having="value") if status == 200 else {}
        form["value"] = f"{50 + n % 500 / 10:.1f}"  # a change every time
        status, headers, _ = browser.request("POST", entry, form)
        ok = status == 302 and headers.get("Location", "").endswith(entry)
    except (OSError, http.client.HTTPException, StopIteration):
        ok = False
    tally.add(started, ok)


def reference(port: int, deadline: float, tally: Tally) -> None:
    browser = Browser(port)

    def once(_n: int) -> None:
        started = time.perf_counter()
        try:
            ok = browser.request("GET", "/healthz")[0] == 200
        except (OSError, http.client.HTTPException):
            ok = False
        tally.add(started, ok)

    every(REFERENCE_EVERY, deadline, once)


def scenario(
    seconds: float, readers: list[Browser], paths: list[str], head: Browser | None, entry: str
):
    """Readers (and the head of service saving, if given) for some seconds: the tallies."""
    pages, healthz, saves = Tally(), Tally(), Tally()
    deadline = time.monotonic() + seconds
    port = readers[0].port
    threads = [
        threading.Thread(target=read_pages, args=(browser, paths, n, deadline, pages))
        for n, browser in enumerate(readers)
    ]
    threads.append(threading.Thread(target=reference, args=(port, deadline, healthz)))
    if head:
        saving = lambda n: save_figure(head, entry, n, saves)  # noqa: E731
        threads.append(threading.Thread(target=every, args=(SAVE_EVERY, deadline, saving)))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return pages, healthz, saves, time.monotonic() - started


def report(name: str, pages: Tally, healthz: Tally, saves: Tally, seconds: float) -> bool:
    errors = pages.errors + saves.errors
    count, p50 = len(pages.latencies), statistics.median(pages.latencies)
    print(
        f"{name}: {count} board pages from {CLIENTS} clients in {seconds:.1f} s "
        f"({count / seconds:.0f}/s): p50 {p50:.0f} ms, p95 {pages.p(0.95):.0f} ms; errors: {errors}"
    )
    if saves.latencies:
        made, p50 = len(saves.latencies) - saves.errors, statistics.median(saves.latencies)
        print(
            f"  saves: {made} made, {saves.errors} refused or failed (open the form and save: "
            f"p50 {p50:.0f} ms, max {max(saves.latencies):.0f} ms)"
        )
    # Bimodal: one in three or so waits in gunicorn's queue behind the board
    # pages, the rest are served at once; both figures are printed.
    p50 = statistics.median(healthz.latencies)
    print(
        f"  reference, /healthz under the same load: p50 {p50:.0f} ms, p95 {healthz.p(0.95):.0f} ms"
        f" ({len(healthz.latencies)} requests, {healthz.errors} errors)"
    )
    met = pages.p(0.95) < GOAL_P95_MS and errors == 0
    print(f"  goal (p95 < {GOAL_P95_MS} ms, no errors): {'met' if met else 'NOT met'}")
    return met


# What a page weighs -----------------------------------------------------------


def page_weight(browser: Browser, paths: list[str]) -> bool:
    """Each page's own bytes as served (HTML, CSS, JS, gzip), and the static files' caching."""
    assets: dict[str, tuple[int, str, str]] = {}

    def fetch(path: str) -> tuple[int, str, str]:
        status, headers, body = browser.request("GET", path, **{"Accept-Encoding": "gzip"})
        assert status == 200, f"{path}: {status}"
        return len(body), headers.get("Content-Encoding", "none"), headers.get("Cache-Control", "")

    met = True
    for path in paths:
        html_bytes, encoding, _ = fetch(path)
        _, _, body = browser.request("GET", path)
        own = 0
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+\.(?:css|js))"', body.decode()):
            assets.setdefault(asset, fetch(asset))
            own += 0 if "plotly" in asset else assets[asset][0]
        met &= html_bytes + own <= GOAL_PAGE_KB * 1024
        print(
            f"weight of {path}: HTML {html_bytes / 1024:.0f} KB as sent ({encoding}; "
            f"{len(body) / 1024:.0f} KB unpacked) + own CSS/JS {own / 1024:.0f} KB "
            f"= {(html_bytes + own) / 1024:.0f} KB (goal <= {GOAL_PAGE_KB} KB)"
        )
    for asset, (size, encoding, cache) in sorted(assets.items()):
        if "plotly" in asset or "/css/app" in asset:
            print(f"{asset}: {size / 1024:.0f} KB ({encoding}); Cache-Control: {cache}")
            max_age = re.search(r"max-age=(\d+)", cache)
            met &= "immutable" in cache and bool(max_age) and int(max_age[1]) >= 365 * 24 * 3600
    print(f"goal (own bytes <= {GOAL_PAGE_KB} KB a page, static a year, immutable): "
          f"{'met' if met else 'NOT met'}")  # fmt: skip
    return met


def main() -> int:
    port = free_port()
    url, drop = database()
    env = {
        "DJANGO_SETTINGS_MODULE": "dudley_improve.settings",
        "SECRET_KEY": "bench-only-not-secret",
        "DATABASE_URL": url,
        "REDIS_URL": redis_cache(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "BEHIND_TLS_PROXY": "0",
        "AXES_FAILURE_LIMIT": "5",
    }
    server = None
    try:
        site = build_database(env)
        print(f"cache: {'Redis ' + env['REDIS_URL'] if env['REDIS_URL'] else 'per-process memory'}")
        server = start_server(env, port)
        readers = [Browser(port).sign_in(*BOARD) for _ in range(CLIENTS)]
        head = Browser(port).sign_in(*HEAD)
        alone = Tally()
        reference(port, time.monotonic() + 2, alone)
        print(f"reference, /healthz alone: p50 {statistics.median(alone.latencies):.1f} ms")
        met = True
        for name, saving in (("read-only", None), ("submission rush", head)):
            # Unmeasured: each worker's first requests load code and fill the cache.
            scenario(WARM_UP, readers, site["paths"], None, site["entry"])
            met &= report(name, *scenario(DURATION, readers, site["paths"], saving, site["entry"]))
        met &= page_weight(readers[0], site["paths"])
    finally:
        if server:
            server.terminate()
            server.wait(timeout=10)
        if env["REDIS_URL"]:
            redis_cache()
        if "django.db" in sys.modules:
            sys.modules["django.db"].connections.close_all()
        drop()
    return 0 if met else 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    sys.exit(main())
