import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from metrics import display, periods, rag, summary
from metrics.changes import actual_changes
from metrics.due import Task, owed_kpis
from metrics.due import task as kpi_task
from metrics.forms import ActualForm, add_errors
from metrics.models import Actual, Kpi, PeriodLock
from metrics.services import PeriodLocked, StaleEdit, save_actual
from priorities import roles
from priorities.models import Action, PriorityArea

COMMENTARY = ["what_data_tells_us", "issues_and_risks", "evidence_of_impact"]
# What the entry form saves besides the numbers: the three questions and a footnote.
TEXTS = [*COMMENTARY, "note"]


def _get_kpi_for_editor(request: HttpRequest, pk: int) -> Kpi:
    """The KPI, if this user may change its figures; 403 otherwise."""
    kpis = Kpi.objects.select_related("owner", "formula__first", "formula__second")
    kpi = get_object_or_404(kpis, pk=pk)
    if not roles.can_edit_owned_by(request.user, kpi.owner.user_id if kpi.owner else None):
        raise PermissionDenied("You can only update the KPIs your post owns.")
    return kpi


@require_safe
def after_login(request: HttpRequest) -> HttpResponse:
    """Heads of service start at their updates; everyone else at the board overview."""
    return redirect("my-updates" if roles.is_head_of_service(request.user) else "home")


@require_safe
def my_updates(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    # A board member linked to a post writes nothing, so is listed nothing to write.
    mine = Q(owner__user=request.user) if roles.writes_anything(request.user) else Q(pk__in=[])
    kpis = owed_kpis(mine, today)
    deadline_day = settings.SUBMISSION_DEADLINE_WORKING_DAY
    tasks: dict[PriorityArea | None, list[Task]] = {}
    not_asked = []
    for kpi in kpis:
        task = kpi_task(kpi, today)
        if task is None:
            not_asked.append(kpi)
            continue
        # A KPI that evidences several areas is listed once, under the first.
        area = min(kpi.areas.all(), key=lambda a: (a.plan.start or today, a.number), default=None)
        tasks.setdefault(area, []).append(task)
    actions: dict[PriorityArea | None, list[Action]] = {}
    for action in (
        Action.objects.filter(mine)
        .select_related("area__plan")
        .order_by("area__plan__start", "area__number", "ref")
    ):
        actions.setdefault(action.area, []).append(action)
    areas = sorted(
        {*tasks, *actions},
        key=lambda a: (a is None, a and (a.plan.start or today), a and a.plan_id, a and a.number),
    )
    every_task = [task for group in tasks.values() for task in group]
    return render(
        request,
        "metrics/my_updates.html",
        {
            "groups": [(area, tasks.get(area, []), actions.get(area, [])) for area in areas],
            "today": today,
            "to_do": sum(task.state != "saved" for task in every_task),
            "task_count": len(every_task),
            "not_asked": not_asked,
            "locked_through": PeriodLock.objects.locked_through(),
            "deadline_day": deadline_day,
            "is_head_of_service": roles.is_head_of_service(request.user),
            "edits_everything": roles.edits_everything(request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def kpi_entry(request: HttpRequest, pk: int, period: datetime.date) -> HttpResponse:
    kpi = _get_kpi_for_editor(request, pk)
    today = timezone.localdate()
    actual = Actual.objects.filter(kpi=kpi, period=period).select_related("updated_by").first()
    locked_through = PeriodLock.objects.locked_through()
    locked = PeriodLock.is_locked(period, locked_through)
    may_change_locked = roles.edits_everything(request.user)
    if locked and not may_change_locked and request.method == "POST":
        refusal = PeriodLock.refusal(
            period,
            kpi.period_label(period),
            locked_through=locked_through,
            may_change=False,
            reason="",
        )
        messages.error(request, refusal)
        return redirect(request.path)

    # Only those who may change a locked month see the form for one; the
    # form asks them for a reason.
    form_kwargs = {
        "kpi": kpi,
        "period": period,
        "locked_through": locked_through,
        "today": today,
        "stored": actual,
    }
    if request.method == "POST":
        form = ActualForm(request.POST, **form_kwargs)
        if form.is_valid():
            saved, form = _save(request, form, form_kwargs)
            if saved:
                row = _row_for(kpi, period, today)
                messages.success(
                    request,
                    f"Saved {kpi.code} for {kpi.period_label(period)}: "
                    f"{display.figure(row.value, kpi.decimal_places, kpi.unit)}. "
                    f"Status: {row.status.label}.",
                )
                return redirect(reverse("kpi-entry", args=[kpi.pk, period]))
    else:
        form = ActualForm(initial=_initial(kpi, actual), **form_kwargs)

    step = kpi.rule.interval
    recent = [periods.add_months(period, -step * n) for n in range(11, -1, -1)]
    series = summary.kpi_rows(
        Kpi.objects.with_figures(recent[0], period).get(pk=kpi.pk), recent, today=today
    )
    return render(
        request,
        "metrics/kpi_entry.html",
        {
            "kpi": kpi,
            "period": period,
            "period_label": kpi.period_label(period),
            "actual": actual,
            "form": form,
            "row": series[-1],
            "series": list(reversed(series)),
            "locked": locked,
            "read_only": locked and not may_change_locked,
            "changes": actual_changes(Actual.history.filter(kpi=kpi, period=period)),
        },
    )


def _save(request, form: ActualForm, form_kwargs: dict) -> tuple[bool, ActualForm]:
    """Save the form's figure through the one service; whether it saved, and the form to show."""
    data = form.cleaned_data
    fields = {name: data.get(name) for name in ["value", "numerator", "denominator"]}
    fields.update({name: data[name] for name in TEXTS})
    try:
        save_actual(
            kpi=form_kwargs["kpi"],
            period=form_kwargs["period"],
            user=request.user,
            expected_version=data.get("version") or None,
            reason=data.get("reason", ""),
            **fields,
        )
    except StaleEdit as stale:
        return False, _refused_as_stale(request, form, stale.current, **form_kwargs)
    except PeriodLocked as error:
        form.add_error(None, str(error))
        return False, form
    except ValidationError as error:
        add_errors(form, error)
        return False, form
    return True, form


def _initial(kpi: Kpi, actual: Actual | None) -> dict:
    """The form as the stored figure fills it: the value at the KPI's places, whole counts."""
    initial = {"version": actual.version if actual else 0}
    if actual:
        initial["value"] = rag.quantize(actual.value, kpi.decimal_places)
        for name in ["numerator", "denominator"]:
            number = getattr(actual, name)
            initial[name] = None if number is None else number.to_integral_value()
        initial.update({name: getattr(actual, name) for name in TEXTS})
    return initial


def _refused_as_stale(request, form: ActualForm, current: Actual, **form_kwargs) -> ActualForm:
    """Keep what the user typed, say what is stored now, and let them save over it knowingly."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    refused = ActualForm(data, **form_kwargs)
    refused.is_valid()
    if current.pk:
        who = current.updated_by.get_username() if current.updated_by else "someone"
        when = timezone.localtime(current.updated_at).strftime("%-d %b %Y at %H:%M")
        message = (
            f"{who} saved {current.kpi.code} for {current.kpi.period_label(current.period)} "
            f"as {current.value.normalize():f} on {when}, after you opened this page. "
            "Your changes have not been saved: check the figure below and save again to "
            "replace it."
        )
    else:
        message = "This figure was removed after you opened this page. Save again to re-enter it."
    refused.add_error(None, message)
    return refused


def _row_for(kpi: Kpi, period: datetime.date, today: datetime.date):
    return summary.for_board(Kpi.objects.filter(pk=kpi.pk), period, today=today)[0]
