"""The approvals page: the figures awaiting this person's sign-off, signed off in bulk or
returned one at a time, through ``metrics.signoff``."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from metrics import periods, signoff, summary
from metrics.forms import ReturnForm, SignOffForm, add_errors
from metrics.models import Actual, Kpi
from metrics.services import StaleEdit
from metrics.views import area_order, first_area
from priorities import roles
from priorities.models import Plan, PriorityArea

# How many earlier periods each figure is shown beside.
PREVIOUS = 6


@dataclass
class Figure:
    """A figure awaiting sign-off, with what its approver reads before deciding."""

    actual: Actual
    row: summary.KpiRow
    previous: list[tuple[str, Decimal | None]]
    return_form: ReturnForm = field(init=False)

    @property
    def kpi(self) -> Kpi:
        return self.row.kpi


def _approver(request: HttpRequest) -> None:
    """403 unless this user signs off figures (``signoff.approves_figures``)."""
    if not settings.SIGN_OFF_REQUIRED:
        raise PermissionDenied("This service does not ask for figures to be signed off.")
    if not signoff.approves_figures(request.user):
        raise PermissionDenied(
            "Only analysts and the responsible officers of priority areas sign off figures."
        )


def awaiting(user, today: datetime.date) -> list[Figure]:
    """The figures ``user`` may sign off, each with its status and earlier periods.

    Seven queries whatever the number of figures: the figures, then their
    KPIs with the figures around them (``Kpi.with_figures``) and the areas'
    responsible officers, which the permission rule reads.
    """
    actuals = list(signoff.awaiting_for(user).select_related("updated_by").order_by("period"))
    if not actuals:
        return []
    earliest = min(actual.period for actual in actuals)
    kpis = Kpi.objects.filter(pk__in={actual.kpi_id for actual in actuals})
    kpis = {
        kpi.pk: kpi
        for kpi in kpis.with_figures(
            periods.add_months(earliest, -PREVIOUS * 3),
            max(actual.period for actual in actuals),
            annual_since=periods.add_months(earliest, -PREVIOUS * 12),
        )
    }
    figures = []
    for actual in actuals:
        kpi = actual.kpi = kpis[actual.kpi_id]
        if roles.sign_off_problem(user, kpi, actual.updated_by_id) is not None:
            continue
        values = {earlier.period: earlier.value for earlier in kpi.recent_actuals}
        before = [periods.add_months(actual.period, -kpi.rule.interval * n) for n in range(1, 7)]
        previous = [(kpi.period_label(month), values.get(month)) for month in before]
        row = summary.kpi_row(kpi, actual.period, today=today)
        figures.append(Figure(actual=actual, row=row, previous=previous))
    return figures


def _grouped(figures: list[Figure], today) -> list[tuple[Plan | None, list]]:
    """By plan, then area; a KPI in several areas under the first, as on My updates."""
    areas: dict[PriorityArea | None, list[Figure]] = {}
    for figure in sorted(figures, key=lambda f: (f.kpi.code, f.actual.period)):
        areas.setdefault(first_area(figure.kpi, today), []).append(figure)
    plans: dict[Plan | None, list] = {}
    for area in sorted(areas, key=area_order(today)):
        plans.setdefault(area and area.plan, []).append((area, areas[area]))
    return list(plans.items())


def _page(request, *, sign_off_form=None, bound=None) -> HttpResponse:
    """The page; with the sign-off form's errors, or a return form's (``bound``)."""
    today = timezone.localdate()
    figures = awaiting(request.user, today)
    error_form, first_field = sign_off_form, f"figure-{figures[0].actual.pk}" if figures else ""
    for figure in figures:
        if bound is not None and figure.actual.pk == bound.figure_pk:
            figure.return_form = bound
            first_field = bound["reason"].id_for_label
        else:
            figure.return_form = ReturnForm(figure=figure.actual)
    if bound is not None:
        # A figure no longer listed (signed off meanwhile) is named at the top.
        error_form = bound
        first_field = first_field if bound.figure_pk in {f.actual.pk for f in figures} else ""
    context = {
        "groups": _grouped(figures, today),
        "count": len(figures),
        "error_form": error_form,
        "first_field": first_field,
        "edits_everything": roles.edits_everything(request.user),
    }
    return render(request, "metrics/approvals.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    """List what awaits this approver's sign-off; a POST signs off the ticked figures."""
    _approver(request)
    if request.method != "POST":
        return _page(request)
    form = SignOffForm(request.POST)
    if not form.is_valid():
        return _page(request, sign_off_form=form)
    try:
        signed = signoff.sign_off(request.user, form.figures())
    except StaleEdit as stale:
        form.add_error(None, _stale(stale.current, "signed off"))
        return _page(request, sign_off_form=form)
    except signoff.NotAwaiting as settled:
        form.add_error(None, f"{settled} Nothing was signed off.")
        return _page(request, sign_off_form=form)
    names = ", ".join(f"{a.kpi.code} for {a.kpi.period_label(a.period)}" for a in signed)
    count = f"{len(signed)} figure{'s' if len(signed) != 1 else ''}"
    messages.success(request, f"Signed off {count}: {names}.")
    return redirect("approvals")


def _stale(current: Actual, nothing: str) -> str:
    if not current.kpi_id:
        return f"A figure was removed after you opened this page. Nothing was {nothing}."
    return (
        f"{current.kpi.code} for {current.kpi.period_label(current.period)} was changed after "
        f"you opened this page. Nothing was {nothing}: check the figures below and try again."
    )


@require_POST
def return_figure(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one figure back to its owner with a reason; the page again, with errors, if not."""
    _approver(request)
    actual = Actual.objects.select_related("kpi").filter(pk=pk).first()
    if actual is None:
        messages.error(request, "That figure was removed after you opened this page.")
        return redirect("approvals")
    form = ReturnForm(request.POST, figure=actual)
    form.figure_pk = pk
    if form.is_valid():
        try:
            returned = signoff.return_figure(
                request.user, pk, form.cleaned_data["version"], form.cleaned_data["reason"]
            )
        except StaleEdit as stale:
            form.add_error(None, _stale(stale.current, "returned"))
        except signoff.NotAwaiting as settled:
            form.add_error(None, str(settled))
        except ValidationError as error:
            add_errors(form, error)
        else:
            label = f"{returned.kpi.code} for {returned.kpi.period_label(returned.period)}"
            messages.success(request, f"Returned {label} to its owner, with your reason.")
            return redirect("approvals")
    return _page(request, bound=form)
