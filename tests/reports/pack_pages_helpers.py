"""Reading the board pack page a page at a time, as a reader clicking "Next" would."""

import re

from django.urls import reverse

from tests.reports.helpers import text


def pack_page(client, page: int = 1, **query) -> str:
    response = client.get(reverse("board-pack"), {**query, "page": page})
    assert response.status_code == 200
    return response.content.decode()


def whole_pack(client, **query) -> str:
    """Every page of the pack, in order, as one string."""
    pages, number = [], 1
    while True:
        pages.append(pack_page(client, number, **query))
        if not re.search(r'<a[^>]*rel="next"', pages[-1]):
            return "\n".join(pages)
        number += 1


def area_pages(client, area_pk: int, **query) -> list[str]:
    """Every page of an area's charts (``?charts=``), in order."""
    pages, number = [], 1
    while True:
        response = client.get(reverse("area-detail", args=[area_pk]), {**query, "charts": number})
        assert response.status_code == 200
        pages.append(response.content.decode())
        if not re.search(r'<a[^>]*rel="next"[^>]*>\s*<span[^>]*>Next', pages[-1]):
            return pages
        number += 1


def panel_page(client, area_pk: int, kpi_pk: int, **query) -> str:
    """The area page holding a KPI's panel, reached by its link in the area's table."""
    url = reverse("area-detail", args=[area_pk])
    first = client.get(url, query).content.decode().replace("&amp;", "&")
    href = re.search(rf'href="(\?[^"#]*)#kpi-{kpi_pk}-chart-section"', first)[1]
    return client.get(url + href).content.decode()


def kpi_table(page: str, area) -> str:
    """The words of an area's KPI table, from its heading to the table's end."""
    start = page.index(f'id="area-{area.pk}-kpis"')
    return text(page[start : page.index("</table>", start)])
