"""The read-only endpoints. Each reads what the board pages read, through the same
functions (``metrics.summary``, ``Action.objects.as_at``, ``Finding.objects.as_at``),
in a fixed number of queries whatever the number of rows.
"""

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import exceptions, generics
from rest_framework.response import Response

from api import filters, rows, serializers
from metrics.models import Kpi
from metrics.summary import actions_judged_on, for_board
from priorities.models import Action, Finding, Plan, PriorityArea

SAFE = ["get", "head", "options"]


class ReadOnly:
    """Refuse every method but GET, HEAD and OPTIONS with 405, before asking who is calling,
    so a write is refused the same way whoever sends it."""

    http_method_names = SAFE

    def initial(self, request, *args, **kwargs):
        if request.method.lower() not in SAFE:
            raise exceptions.MethodNotAllowed(request.method)
        super().initial(request, *args, **kwargs)


class ListView(ReadOnly, generics.ListAPIView):
    def csv_columns(self) -> list[str]:
        return list(self.get_serializer_class()().fields)


class PlanList(ListView):
    """Every plan."""

    queryset = Plan.objects.order_by("start", "title", "pk")
    serializer_class = serializers.PlanSerializer


class AreaList(ListView):
    """Every priority area, by plan and number."""

    queryset = PriorityArea.objects.select_related("responsible_officer").order_by(
        "plan__start", "plan_id", "number"
    )
    serializer_class = serializers.AreaSerializer
    filterset_class = filters.AreaFilter


class AsAtList(ListView):
    """A list read for a month (``?period=``), row by row through ``row``."""

    def day(self):
        """The day the month is judged on, as the board pages judge it."""
        return actions_judged_on(
            filters.requested_month(self.request.query_params), timezone.localdate()
        )

    def list(self, request, *args, **kwargs):
        on = self.day()
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        found = self.rows(page, on)
        return self.get_paginated_response(self.get_serializer(found, many=True).data)

    def rows(self, page: list, on) -> list:
        raise NotImplementedError


class KpiList(ListView):
    """Every KPI with its figure, target and status for the month, by code.

    A quarterly KPI shows its latest quarter ending in or before the month.
    """

    serializer_class = serializers.KpiStatusSerializer
    filterset_class = filters.KpiFilter

    def get_queryset(self) -> QuerySet:
        return Kpi.objects.order_by("code", "pk")

    def list(self, request, *args, **kwargs):
        month = filters.requested_month(request.query_params)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        chosen = Kpi.objects.filter(pk__in=[kpi.pk for kpi in page]).order_by("code", "pk")
        found = for_board(chosen, month, today=timezone.localdate())
        return self.get_paginated_response(self.get_serializer(found, many=True).data)


class ActionList(AsAtList):
    """Every action as it stood at the end of the month (or today, if sooner)."""

    serializer_class = serializers.ActionSerializer
    filterset_class = filters.ActionFilter

    def get_queryset(self) -> QuerySet:
        return (
            Action.objects.select_related("area", "owner")
            .as_at(self.day())
            .order_by("area__plan_id", "area__number", "ref", "pk")
        )

    def rows(self, page: list, on) -> list:
        return [rows.ActionRow.of(action, on) for action in page]


class FindingList(AsAtList):
    """Every finding made by the end of the month, as it stood then."""

    serializer_class = serializers.FindingSerializer
    filterset_class = filters.FindingFilter

    def get_queryset(self) -> QuerySet:
        on = self.day()
        return (
            Finding.objects.made_by(on)
            .as_at(on)
            .select_related("source", "responsible_officer", "area__responsible_officer")
            .order_by("source__date", "source_id", "ref", "pk")
        )

    def rows(self, page: list, on) -> list:
        return [rows.FindingRow.of(finding, on) for finding in page]


SERIES_COLUMNS = [
    "kind", "comparator", "period", "period_label", "value", "numerator", "denominator",
    "lower", "upper", "provisional", "sign_off", "note",
]  # fmt: skip


class KpiSeries(ReadOnly, generics.RetrieveAPIView):
    """A KPI's whole history: every monthly (or quarterly) figure with its provisional flag,
    every target step, and the benchmarks by comparator. As CSV, one row for each of them,
    with a kind column (actual, target or benchmark)."""

    serializer_class = serializers.SeriesSerializer
    queryset = Kpi.objects.with_history()

    def csv_columns(self) -> list[str]:
        return SERIES_COLUMNS

    def retrieve(self, request, *args, **kwargs):
        data = self.get_serializer(self.get_object()).data
        if request.accepted_renderer.format == "csv":
            return Response(_long_form(data))
        return Response(data)


def _long_form(series: dict) -> list[dict]:
    """A series as one table: a row per figure, target step and benchmark."""
    return [
        *({"kind": "actual", **row} for row in series["actuals"]),
        *({"kind": "target", "period": row["starts"], **row} for row in series["targets"]),
        *({"kind": "benchmark", **row} for row in series["benchmarks"]),
    ]
