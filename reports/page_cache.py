"""What a cached board page hands its template: lazy content and its cache key.

Board pages wrap their content in {% cache %} keyed by the stamps of what they
show (``metrics.stamps``), their full path (month, filters, sort and page
included) and the day. Their content is worked out only when the template
needs it, so on a cache hit the heavy work (every KPI's status, the tables,
the charts) is skipped.
"""

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from metrics import stamps


def lazy(build: Callable[[], dict], *keys: str) -> dict:
    """Context values ``build()`` works out, worked out only if the template needs one."""
    built = functools.cache(build)
    return {key: SimpleLazyObject(functools.partial(lambda k: built()[k], key)) for key in keys}


def key_parts(
    request: HttpRequest, today, shown: stamps.Stamps | None, *, stamp: str = "", also=()
) -> dict:
    """The {% cache %} key of a page: the stamps of what it shows, its query string and the day.

    Without ``shown`` the page is keyed by ``stamp``, or by the data stamp, which any write moves.
    ``also``: anything else the page shows that its stamps do not cover.
    ``panel_stamps`` keys each KPI's fragment (templates/reports/includes/area_body.html).
    """
    key = shown.key if shown else stamp or stamps.data_stamp()
    return {
        "stamp": stamps.digest(key, *also) if also else key,
        "panel_stamps": shown,
        "today": today,
        "cache_seconds": settings.BOARD_CACHE_SECONDS,
        "page_key": request.get_full_path(),
    }
