"""Reading the board pack page a page at a time, as a reader clicking "Next" would."""

import re

from django.urls import reverse


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
