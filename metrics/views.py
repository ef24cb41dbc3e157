import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from metrics import display, due, periods, rag, signoff, summary
from metrics.changes import actual_changes
from metrics.forms import ActualForm, add_errors
from metrics.models import Actual, Kpi, PeriodLock
from metrics.services import PeriodLocked, SignedOff, StaleEdit, save_actual
from priorities import roles
from priorities.models import Action, PriorityArea

COMMENTARY = ["what_data_tells_us", "issues_and_risks", "evidence_of_impact"]
# What the entry form saves besides the numbers: the three questions and a footnote.
TEXTS = [*COMMENTARY, "note"]


def _get_kpi_for_entry(request: HttpRequest, pk: int) -> tuple[Kpi, bool]:
    """The KPI, and whether this user may change its figures.

    Its owner, analysts and administrators may; someone who signs off its
    figures (``roles.sign_off_problem``) reads them; anyone else gets 403.
    """
    kpis = Kpi.objects.select_related(
        "owner", "formula__first", "formula__second"
    ).prefetch_related(
        Prefetch("areas", queryset=PriorityArea.objects.select_related("responsible_officer"))
    )
    kpi = get_object_or_404(kpis, pk=pk)
    if roles.can_edit_owned_by(request.user, kpi.owner.user_id if kpi.owner else None):
        return kpi, True
    if settings.SIGN_OFF_REQUIRED and roles.sign_off_problem(request.user, kpi, None) is None:
        return kpi, False
    raise PermissionDenied("You can only update the KPIs your post owns.")


def first_area(kpi: Kpi, today: datetime.date) -> PriorityArea | None:
    """The area a KPI is listed under: it evidences several, it is listed once, under the
    first (by plan start and number). Reads ``kpi.areas`` with their plans (prefetch them)."""
    return min(kpi.areas.all(), key=lambda a: (a.plan.start or today, a.number), default=None)


def area_order(today: datetime.date):
    """Sort key for areas with their plans: by plan start, plan, number; None (no area) last."""
    return lambda a: (a is None, a and (a.plan.start or today), a and a.plan_id, a and a.number)


@require_safe
def after_login(request: HttpRequest) -> HttpResponse:
    """Heads of service start at their updates; everyone else at the board overview."""
    return redirect("my-updates" if roles.is_head_of_service(request.user) else "home")


@require_safe
def my_updates(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    # A board member linked to a post writes nothing, so is listed nothing to write.
    mine = Q(owner__user=request.user) if roles.writes_anything(request.user) else Q(pk__in=[])
    kpis = due.owed_kpis(mine, today)
    deadline_day = settings.SUBMISSION_DEADLINE_WORKING_DAY
    tasks: dict[PriorityArea | None, list[due.Task]] = {}
    not_asked = []
    for kpi in kpis:
        kpi_tasks = due.tasks(kpi, today)
        if not kpi_tasks:
            # Nobody asks for this period's figure (Kpi.asked_for), so there is no task.
            not_asked.append(kpi)
            continue
        tasks.setdefault(first_area(kpi, today), []).extend(kpi_tasks)
    actions: dict[PriorityArea | None, list[Action]] = {}
    for action in (
        Action.objects.filter(mine)
        .select_related("area__plan")
        .order_by("area__plan__start", "area__number", "ref")
    ):
        actions.setdefault(action.area, []).append(action)
    areas = sorted({*tasks, *actions}, key=area_order(today))
    every_task = [task for group in tasks.values() for task in group]
    return render(
        request,
        "metrics/my_updates.html",
        {
            "groups": [(area, tasks.get(area, []), actions.get(area, [])) for area in areas],
            "today": today,
            "to_do": sum(task.to_do for task in every_task),
            "task_count": len(every_task),
            "not_asked": not_asked,
            "locked_through": PeriodLock.objects.locked_through(),
            "deadline_day": deadline_day,
            "is_head_of_service": roles.is_head_of_service(request.user),
            "sign_off_required": settings.SIGN_OFF_REQUIRED,
            "edits_everything": roles.edits_everything(request.user),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def kpi_entry(request: HttpRequest, pk: int, period: datetime.date) -> HttpResponse:
    kpi, may_edit = _get_kpi_for_entry(request, pk)
    if (end := kpi.period_end(period)) != period and request.method != "POST":
        # A quarterly or annual KPI's figure belongs to its period's last month: open that,
        # saying why, rather than a page for a month it is never recorded on.
        messages.info(request, kpi.period_problem(period, today=timezone.localdate()))
        return redirect("kpi-entry", kpi.pk, end)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied("Sign off or return this figure on the approvals page.")
    today = timezone.localdate()
    actual = (
        Actual.objects.filter(kpi=kpi, period=period)
        .select_related("updated_by", "reviewed_by")
        .first()
    )
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
                messages.success(request, _saved_message(kpi, period, saved, today))
                return redirect(reverse("kpi-entry", args=[kpi.pk, period]))
    else:
        form = ActualForm(initial=_initial(kpi, actual), **form_kwargs)
    return render(
        request,
        "metrics/kpi_entry.html",
        _entry_context(request, form, actual, may_edit=may_edit, locked=locked, today=today),
    )


def _entry_context(request, form: ActualForm, actual, *, may_edit, locked, today) -> dict:
    kpi, period = form.kpi, form.period
    step = kpi.rule.interval
    recent = [periods.add_months(period, -step * n) for n in range(11, -1, -1)]
    series = summary.kpi_rows(
        Kpi.objects.with_figures(recent[0], period).get(pk=kpi.pk), recent, today=today
    )
    analyst = roles.edits_everything(request.user)
    signed_off = bool(actual and actual.state == Actual.State.SIGNED_OFF)
    # The owner may not change a signed-off figure; an analyst may, and it then
    # needs sign-off again (metrics.services.save_actual).
    held = settings.SIGN_OFF_REQUIRED and signed_off and not analyst
    return {
        "kpi": kpi,
        "period": period,
        "period_label": kpi.period_label(period),
        "actual": actual,
        "form": form,
        "row": series[-1],
        "series": list(reversed(series)),
        "locked": locked,
        "locked_read_only": locked and not analyst,
        "read_only": (locked and not analyst) or held or not may_edit,
        "held_by_sign_off": held,
        "approver_only": not may_edit,
        "needs_sign_off_again": settings.SIGN_OFF_REQUIRED and signed_off and analyst,
        "sign_off_state": (
            signoff.state_words(actual) if actual and settings.SIGN_OFF_REQUIRED else ""
        ),
        "changes": actual_changes(Actual.history.filter(kpi=kpi, period=period)),
    }


def _saved_message(kpi: Kpi, period: datetime.date, saved: Actual, today) -> str:
    row = _row_for(kpi, period, today)
    message = (
        f"Saved {kpi.code} for {kpi.period_label(period)}: "
        f"{display.figure(row.value, kpi.decimal_places, kpi.unit)}. "
        f"Status: {row.status.label}."
    )
    if saved.is_provisional:
        message += (
            f" It now awaits sign-off by {signoff.who_signs_off(kpi, saved_by=saved.updated_by)}."
        )
    return message


def _save(request, form: ActualForm, form_kwargs: dict) -> tuple[Actual | None, ActualForm]:
    """Save the form's figure through the one service; what it saved (None if refused), and
    the form to show."""
    data = form.cleaned_data
    fields = {name: data.get(name) for name in ["value", "numerator", "denominator"]}
    fields.update({name: data[name] for name in TEXTS})
    try:
        saved = save_actual(
            kpi=form_kwargs["kpi"],
            period=form_kwargs["period"],
            user=request.user,
            expected_version=data.get("version") or None,
            reason=data.get("reason", ""),
            **fields,
        )
    except StaleEdit as stale:
        return None, _refused_as_stale(request, form, stale.current, **form_kwargs)
    except (PeriodLocked, SignedOff) as error:
        form.add_error(None, str(error))
        return None, form
    except ValidationError as error:
        add_errors(form, error)
        return None, form
    return saved, form


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
