"""One request builds a cold board fragment; the others asking for it meanwhile serve that."""

import threading
import time

import pytest
from django.core.cache import cache
from django.core.cache.utils import make_template_fragment_key
from django.template import Context, Template

from reports.templatetags import board_cache

PAGE = Template("{% load board_cache %}{% cache 60 board_page stamp %}{{ build }}{% endcache %}")
KEY = make_template_fragment_key("board_page", ["s1"])
LOCK = f"{KEY}.building"


class Builds:
    """A page's content, counting how often it is worked out."""

    def __init__(self):
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"built here ({self.count})"


@pytest.fixture(autouse=True)
def _empty_cache(monkeypatch):
    cache.clear()
    monkeypatch.setattr(board_cache, "WAIT_SECONDS", 2)
    yield
    cache.clear()


def render(builds: Builds) -> str:
    return PAGE.render(Context({"stamp": "s1", "build": builds}))


def test_the_first_request_builds_caches_and_lets_go():
    builds = Builds()
    assert render(builds) == "built here (1)"
    assert cache.get(KEY) == "built here (1)"
    assert cache.get(LOCK) is None
    assert render(builds) == "built here (1)"
    assert builds.count == 1


def while_another_builds(then) -> tuple[str, Builds]:
    """Render while another worker holds the lock, which does ``then`` a moment later."""
    cache.add(LOCK, "the other's")
    other = threading.Timer(0.2, then)
    other.start()
    builds = Builds()
    try:
        return render(builds), builds
    finally:
        other.join()


def test_a_request_while_another_builds_serves_that_build():
    page, builds = while_another_builds(
        lambda: (cache.set(KEY, "built by the other"), cache.delete(LOCK))
    )
    assert page == "built by the other"
    assert builds.count == 0


def test_a_failed_build_elsewhere_leaves_the_waiter_to_build_its_own():
    started = time.monotonic()
    page, builds = while_another_builds(lambda: cache.delete(LOCK))  # gone without a fragment
    assert time.monotonic() - started < 1  # as soon as the lock goes, not at the wait's end
    assert builds.count == 1
    assert page == "built here (1)"
    assert cache.get(KEY) == "built here (1)"


def test_a_builder_that_never_finishes_holds_nobody_past_the_wait(monkeypatch):
    monkeypatch.setattr(board_cache, "WAIT_SECONDS", 0.1)
    cache.add(LOCK, "the other's")  # held, and never let go
    builds = Builds()
    assert render(builds) == "built here (1)"
    assert builds.count == 1
    assert cache.get(LOCK) == "the other's"  # not ours to let go


def test_the_fragment_is_stored_before_the_lock_goes(monkeypatch):
    stored_when_let_go = []
    delete = cache.delete

    def let_go(key, *args, **kwargs):
        if key == LOCK:
            stored_when_let_go.append(cache.get(KEY))
        return delete(key, *args, **kwargs)

    monkeypatch.setattr(cache, "delete", let_go)
    render(Builds())
    assert stored_when_let_go == ["built here (1)"]


def test_with_caching_off_nobody_waits():
    off = Template("{% load board_cache %}{% cache 0 board_page stamp %}{{ build }}{% endcache %}")
    cache.add(LOCK, "the other's")
    started = time.monotonic()
    assert off.render(Context({"stamp": "s1", "build": Builds()})) == "built here (1)"
    assert time.monotonic() - started < 1


def test_an_error_while_building_lets_go_of_the_lock():
    def broken():
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        PAGE.render(Context({"stamp": "s1", "build": broken}))
    assert cache.get(LOCK) is None
    assert cache.get(KEY) is None
