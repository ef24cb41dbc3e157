"""The stamp board pages cache their rendering under."""

from django.db import connection

from metrics.models import Actual, Benchmark, Kpi, Target
from priorities.models import Action, Officer, Plan, PriorityArea


def data_stamp() -> str:
    """A token that changes whenever anything a board page shows changes. One query.

    Every write (page, admin, import, seed) leaves a history row, so the
    newest history ids of the models behind the board pages move with it.
    Board pages cache their rendering under this token.
    """
    tables = [
        model.history.model._meta.db_table
        for model in (Actual, Target, Kpi, Benchmark, Action, PriorityArea, Plan, Officer)
    ]
    quote = connection.ops.quote_name
    selects = ", ".join(f"(SELECT MAX(history_id) FROM {quote(table)})" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        return "-".join(str(value or 0) for value in cursor.fetchone())
