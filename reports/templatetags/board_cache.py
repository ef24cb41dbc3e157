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

from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.utils import make_template_fragment_key
from django.template import Library, NodeList
from django.templatetags import cache as django_cache

register = Library()

# Seconds a builder holds the lock at most (a cold page of a large plan takes
# well under this), how long a waiter waits, and how often it looks.
LOCK_SECONDS = 30
WAIT_SECONDS = 10
POLL_SECONDS = 0.02


class _OneBuilder(NodeList):
    """The tag's contents, rendered by the first request to miss; the rest wait for it."""

    def __init__(self, node: django_cache.CacheNode):
        super().__init__(node.nodelist)
        self.contains_nontext = node.nodelist.contains_nontext
        self.node = node

    def render(self, context) -> str:
        node = self.node
        if node.cache_name:  # {% cache ... using="..." %}: left as Django does it
            return super().render(context)
        fragments = _fragment_cache()
        vary_on = [var.resolve(context) for var in node.vary_on]
        key = make_template_fragment_key(node.fragment_name, vary_on)
        lock = f"{key}.building"
        if not fragments.add(lock, 1, LOCK_SECONDS):
            built = _wait_for(fragments, key, lock)
            if built is not None:
                return built
        try:
            return super().render(context)
        finally:
            fragments.delete(lock)


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
def do_cache(parser, token) -> django_cache.CacheNode:
    """Django's {% cache %}, its contents built by one request at a time (``_OneBuilder``)."""
    node = django_cache.do_cache(parser, token)
    node.nodelist = _OneBuilder(node)
    return node
