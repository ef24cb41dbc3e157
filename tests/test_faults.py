"""Faults: a database that fails or hangs, a page that breaks, a server started without a key."""

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse

from tests.factories import KpiFactory, OfficerFactory, UserFactory

BASE_DIR = Path(settings.BASE_DIR)
ON_POSTGRES = connection.vendor == "postgresql"


def _database_down(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    monkeypatch.setattr(CursorWrapper, "executemany", refuse)


@pytest.mark.django_db
def test_health_check_answers_503_when_the_database_fails(client, monkeypatch):
    _database_down(monkeypatch)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "OperationalError"}


@pytest.mark.django_db
def test_a_signed_in_page_answers_the_unavailable_page_when_the_database_is_down(monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    # Every query fails from here on, including loading the session and the
    # user: the page must be drawn without them.
    _database_down(monkeypatch)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "Sorry, the service is unavailable" in page
    assert 'href="/"' in page  # a way back
    assert "Signed in as" not in page


@pytest.mark.django_db
def test_a_page_that_breaks_answers_the_services_own_500_page(client, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("reports.page_cache.key_parts", broken)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Sorry, there is a problem with the service" in page
    assert "govuk-header" in page and 'href="/"' in page


@pytest.mark.django_db
def test_an_unknown_address_answers_the_services_own_404_page(client):
    client.force_login(UserFactory())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page not found" in page and "Go to the plans" in page
    assert "Signed in as" in page  # the usual menu


@pytest.mark.django_db
def test_a_refused_page_says_why_in_the_services_layout(client):
    client.force_login(UserFactory())
    kpi = KpiFactory(owner=OfficerFactory())
    response = client.get(reverse("kpi-entry", args=[kpi.pk, "2026-10"]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "You cannot open this page" in page
    assert "You can only update the KPIs your post owns." in page
    assert "Go to the plans" in page


@pytest.mark.django_db
def test_a_form_sent_without_its_security_token_gets_a_page_with_a_way_back():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your form has expired" in page and "Go to the plans" in page


# Servers started in a subprocess, as they are deployed.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    env.update(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        BEHIND_TLS_PROXY="0",
        LOG_LEVEL="ERROR",
        **extra,
    )
    return env


def _gunicorn(env: dict, port: int) -> subprocess.Popen:
    """gunicorn as `make serve` runs it."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    return subprocess.Popen(
        [str(gunicorn), "dudley_improve.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _get(url: str, **headers: str) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
            status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    return status, body, time.monotonic() - started


def _wait_until_serving(server: subprocess.Popen, port: int) -> None:
    for _ in range(100):
        if server.poll() is not None:
            pytest.fail(f"gunicorn stopped: {server.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not start")


def test_health_check_answers_503_within_seconds_when_the_database_hangs():
    # A "database" that accepts connections and never says a word, like a
    # server behind a dropped network link.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = _free_port()
    env = _server_env(
        SECRET_KEY="test-only",
        DATABASE_URL=f"postgres://nobody@127.0.0.1:{silent.getsockname()[1]}/hung",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    server = _gunicorn({**env, "DJANGO_SETTINGS_MODULE": "tests.server_settings"}, port)
    try:
        _wait_until_serving(server, port)
        status, body, seconds = _get(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.terminate()
        server.wait(10)
        silent.close()
    assert status == 503, body
    assert '"status": "error"' in body
    assert seconds < 6  # not gunicorn's worker timeout


@pytest.mark.skipif(not ON_POSTGRES, reason="statement timeouts are a PostgreSQL setting")
@pytest.mark.django_db(transaction=True)
def test_a_statement_stuck_behind_a_lock_gives_the_unavailable_page_within_seconds():
    import psycopg2

    params = connection.get_connection_params()
    holder = psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    port = _free_port()
    database = settings.DATABASES["default"]
    login = quote(database["USER"])
    if database["PASSWORD"]:
        login += ":" + quote(database["PASSWORD"])
    url = f"postgres://{login}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    env = _server_env(
        SECRET_KEY="test-only",
        DATABASE_URL=url,
        DATABASE_STATEMENT_TIMEOUT="1",
        DJANGO_SETTINGS_MODULE="tests.server_settings",
    )
    server = _gunicorn(env, port)
    locked = threading.Event()

    def hold_the_session_table() -> None:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN; LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
            locked.set()
            cursor.execute("SELECT pg_sleep(8)")
        holder.rollback()

    thread = threading.Thread(target=hold_the_session_table)
    try:
        _wait_until_serving(server, port)
        thread.start()
        assert locked.wait(10)
        # A signed-in request reads its session first, and waits on the lock.
        cookie = "sessionid=abcdefgh12345678"
        status, body, seconds = _get(f"http://127.0.0.1:{port}/", Cookie=cookie)
    finally:
        thread.join(15)
        holder.close()
        server.terminate()
        server.wait(10)
    assert status == 503, body
    assert "Sorry, the service is unavailable" in body
    assert seconds < 5  # the one-second statement timeout, not the eight-second lock


def _start(*command: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=BASE_DIR,
        env=_server_env(**extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_runserver_refuses_to_start_without_a_secret_key():
    port = str(_free_port())
    result = _start(sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}")
    assert result.returncode != 0
    assert "SECRET_KEY is empty" in result.stderr


def test_gunicorn_refuses_to_start_without_a_secret_key():
    server = _gunicorn(_server_env(), _free_port())
    output, _ = server.communicate(timeout=60)
    assert server.returncode != 0
    assert "SECRET_KEY is empty" in output


def test_migrate_runs_without_a_secret_key(tmp_path):
    result = _start(
        sys.executable, "manage.py", "migrate", "--noinput", "-v0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "deploy.sqlite3").exists()
