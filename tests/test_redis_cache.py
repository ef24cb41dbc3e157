"""Two servers (two gunicorn instances on two ports) share PostgreSQL and Redis.

A figure written through one shows at once on the other's pages: their board
caches are one, keyed by the data (metrics.stamps). Runs only with REDIS_URL
set (CI starts a Redis server and sets it) and a database the servers can
open too (PostgreSQL, or SQLite in a file).
"""

import datetime
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

from metrics import stamps
from priorities import roles
from tests.factories import KpiFactory, PlanFactory, PriorityAreaFactory, UserFactory, save_figure

NOV = datetime.date(2021, 11, 1)
ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL"), reason="REDIS_URL is not set (CI sets it)"
)


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        return f"postgres://{db['USER']}@{host}/{db['NAME']}"
    if "memory" in str(db["NAME"]) or str(db["NAME"]).startswith(":"):
        pytest.skip("the test database is SQLite in memory: the servers could not open it")
    return f"sqlite:///{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "SECRET_KEY": settings.SECRET_KEY or "test-only",
        # DEBUG serves static names unhashed, so no collectstatic is needed.
        "DEBUG": "1",
        "SECURE_SSL_REDIRECT": "0",
        "BEHIND_TLS_PROXY": "0",
    }
    command = [sys.executable, "-m", "gunicorn", "dudley_improve.wsgi", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def _get(port: int, path: str, session: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={session}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
        return response.read().decode()


def _wait_for(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no server on port {port} after a minute")


def test_a_figure_written_shows_at_once_on_the_other_servers_pages(transactional_db):
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    database_url = _database_url()
    area = PriorityAreaFactory(plan=PlanFactory(start=datetime.date(2021, 1, 1)))
    kpi = KpiFactory(code="CSIP.09")
    kpi.areas.add(area)
    save_figure(kpi, NOV, "10.5")
    reader = UserFactory(username="board")
    reader.groups.add(roles.ensure_groups()[roles.BOARD_MEMBER])
    client = Client()
    client.force_login(reader)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    path = reverse("area-detail", args=[area.pk]) + "?period=2021-11"

    ports = [_free_port(), _free_port()]
    servers = [_start(port, database_url) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            _wait_for(port, server)
        for port in ports * 2:  # each renders or reads the page, then reads it warm
            assert "10.5%" in _get(port, path, session)
        # What one server worked out is in the one cache the test process reads too.
        assert cache.get(stamps.cache_key(f"area{area.pk}")) is not None

        save_figure(kpi, NOV, "77.7")

        for port in ports:
            page = _get(port, path, session)
            assert "77.7%" in page and "10.5%" not in page
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
