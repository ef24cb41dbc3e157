from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from priorities.models import Plan, PriorityArea


def home(request: HttpRequest) -> HttpResponse:
    areas = PriorityArea.objects.select_related("responsible_officer").annotate(
        action_count=Count("actions", distinct=True), kpi_count=Count("kpis", distinct=True)
    )
    plans = Plan.objects.prefetch_related(Prefetch("areas", queryset=areas))
    return render(request, "reports/home.html", {"plans": plans})
