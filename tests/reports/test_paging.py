"""Board lists a page at a time: reports.paging and {% pagination %}."""

from django.template import Context, Template
from django.test import RequestFactory

from reports.paging import page_of


def render(path: str, items: list, per_page: int = 10) -> tuple:
    request = RequestFactory().get(path)
    page = page_of(items, request, per_page=per_page)
    html = Template('{% load board_tags %}{% pagination page "KPIs" anchor="kpis" %}').render(
        Context({"page": page, "request": request})
    )
    return page, html


def test_a_page_keeps_the_query_string_and_names_its_range():
    page, html = render("/?plan=3&period=2021-09&page=2&sort=code", list(range(45)))
    assert list(page) == list(range(10, 20))
    assert "KPIs 11 to 20 of 45 (page 2 of 5)." in html
    assert 'href="?plan=3&amp;period=2021-09&amp;page=1&amp;sort=code#kpis" rel="prev"' in html
    assert 'href="?plan=3&amp;period=2021-09&amp;page=3&amp;sort=code#kpis" rel="next"' in html
    assert 'aria-label="Page 2" aria-current="page"' in html


def test_a_bad_or_past_the_end_page_gives_a_page_not_an_error():
    assert render("/?page=abc", list(range(45)))[0].number == 1
    assert render("/?page=99", list(range(45)))[0].number == 5


def test_one_page_draws_no_links():
    page, html = render("/", list(range(5)))
    assert list(page) == list(range(5))
    assert "govuk-pagination" not in html
