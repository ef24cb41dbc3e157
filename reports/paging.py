"""Long board lists a page at a time, so a page stays small however large the plan grows.

``page_of`` picks the page a request asks for; ``{% pagination page %}``
(board_tags) draws GOV.UK pagination links that keep the rest of the query
string (plan, month, filters, sort). A page number that is not a number
gives the first page and one past the end gives the last, never an error.
"""

from collections.abc import Sequence

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, QueryDict


def page_of(items: Sequence, request: HttpRequest, *, per_page: int, param: str = "page") -> Page:
    """The page of ``items`` that ``request.GET[param]`` asks for."""
    return Paginator(items, per_page).get_page(request.GET.get(param))


def asks_first(request: HttpRequest, *, param: str = "page") -> bool:
    """Whether ``page_of`` gives the request the first page of a list of several pages,
    read by the same rule (Django's ``Paginator.get_page``) without the list."""
    return Paginator(range(2), 1).get_page(request.GET.get(param)).number == 1


def links(page: Page, query: QueryDict, *, param: str = "page", anchor: str = "") -> dict:
    """What templates/reports/includes/pagination.html draws for ``page``."""

    def href(number: int) -> str:
        asked = query.copy()
        asked[param] = str(number)
        return f"?{asked.urlencode()}{'#' + anchor if anchor else ''}"

    paginator = page.paginator
    items = [
        {"number": n, "href": href(n), "current": n == page.number}
        if isinstance(n, int)
        else {"ellipsis": True}
        for n in paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]
    return {
        "page": page,
        "many": paginator.num_pages > 1,
        "items": items,
        "previous": href(page.previous_page_number()) if page.has_previous() else "",
        "next": href(page.next_page_number()) if page.has_next() else "",
    }
