"""{% cache %} as Django's, except that one process builds a missing fragment at a time.

When a write makes a board page cold, every reader who asks for it before it
is cached again would build it, all at once, each at full cost: in the days
before the deadline that is every worker rebuilding the same overview. Here
the first to miss takes a short lock in the cache (``cache.add``, atomic in
Redis and in the memory cache) and builds; the others wait for its fragment,
polling the cache, and serve it. They wait at most ``WAIT_SECONDS``, and stop
waiting as soon as the lock is gone without a fragment (the build failed, or
the fragment was evicted): then each builds its own, as Django's tag would.
The fragment is the same one (its key holds the stamps of what it shows), so
a write still shows at once.

Templates load this library in place of Django's ``cache``; the tag's syntax
is Django's.
"""

import time
import uuid

from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.utils import make_template_fragment_key
from django.template import Library
from django.templatetags import cache as django_cache

register = Library()

# How long a builder holds the lock at most, and a waiter waits at most: no
# longer than the wait, so a lock left by a worker killed mid-build holds each
# request up once at most. A cold page of a large plan takes well under this.
LOCK_SECONDS = 10
WAIT_SECONDS = 10
POLL_SECONDS = 0.02


class OneBuilderNode(django_cache.CacheNode):
    """Django's cache node, its contents built by the first request to miss; the rest wait."""

    def render(self, context) -> str:
        expire_time = self.expire_time_var.resolve(context)
        if self.cache_name or (expire_time is not None and int(expire_time) <= 0):
            # Another cache named, or caching off: nothing to wait for.
            return super().render(context)
        fragments = _fragment_cache()
        key = make_template_fragment_key(
            self.fragment_name, [var.resolve(context) for var in self.vary_on]
        )
        built = fragments.get(key)
        if built is not None:
            return built
        lock, token = f"{key}.building", uuid.uuid4().hex
        if fragments.add(lock, token, LOCK_SECONDS):
            try:
                return self._build(context, fragments, key, expire_time)
            finally:
                # Let go only of our own lock, and only once the fragment is stored.
                if fragments.get(lock) == token:
                    fragments.delete(lock)
        built = _wait_for(fragments, key, lock)
        if built is not None:
            return built
        return self._build(context, fragments, key, expire_time)

    def _build(self, context, fragments, key: str, expire_time) -> str:
        built = self.nodelist.render(context)
        fragments.set(key, built, None if expire_time is None else int(expire_time))
        return built


def _fragment_cache():
    """The cache Django's tag keeps fragments in."""
    try:
        return caches["template_fragments"]
    except InvalidCacheBackendError:
        return caches["default"]


def _wait_for(fragments, key: str, lock: str) -> str | None:
    """The fragment another request is building, once it is cached; None if it never comes."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        built = fragments.get(key)
        if built is not None:
            return built
        if fragments.get(lock) is None:
            # The builder is done: its fragment is cached now, or never will be.
            return fragments.get(key)
    return None


@register.tag("cache")
def do_cache(parser, token) -> OneBuilderNode:
    """Django's {% cache %}, its contents built by one request at a time."""
    node = django_cache.do_cache(parser, token)
    return OneBuilderNode(
        node.nodelist, node.expire_time_var, node.fragment_name, node.vary_on, node.cache_name
    )
