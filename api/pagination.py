from rest_framework.pagination import PageNumberPagination


class Pages(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (up to 500); the Link header names the next page,
    for CSV readers, which get the rows alone."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response["X-Total-Count"] = str(self.page.paginator.count)
        if next_url := self.get_next_link():
            response["Link"] = f'<{next_url}>; rel="next"'
        return response
