from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from metrics.forms import add_errors
from priorities import roles, services
from priorities.forms import ActionUpdateForm
from priorities.models import Action

UPDATED = ["status", "current_delivery_date", "completed_date", "evidence_of_impact"]


def _get_action_for_editor(request: HttpRequest, pk: int) -> Action:
    """The action, if this user may update it; 403 otherwise."""
    action = get_object_or_404(Action.objects.select_related("owner", "area__plan"), pk=pk)
    if not roles.can_edit_owned_by(request.user, action.owner.user_id if action.owner else None):
        raise PermissionDenied("You can only update the actions your post owns.")
    return action


@require_http_methods(["GET", "HEAD", "POST"])
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    action = _get_action_for_editor(request, pk)
    if request.method == "POST":
        form = ActionUpdateForm(request.POST, action=action, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                action = services.update_action(
                    pk=action.pk,
                    user=request.user,
                    expected_version=data["version"],
                    why=data["date_change_reason"],
                    kpis=list(data["kpis"]),
                    **{name: data[name] for name in UPDATED},
                )
            except services.StaleAction as stale:
                form.add_error(None, _stale_message(stale.current))
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(
                    request, f"Saved action {action.ref}: {action.get_status_display()}."
                )
                return redirect("action-update", pk=action.pk)
    else:
        form = ActionUpdateForm(
            initial={
                **{name: getattr(action, name) for name in [*UPDATED, "version"]},
                "kpis": list(action.kpis.all()),
            },
            action=action,
            today=today,
        )
    revisions = [
        record
        for record in action.history.select_related("history_user").order_by("-history_date")
        if record.history_change_reason
    ]
    statuses = action.statuses.select_related("recorded_by").order_by("-effective", "-pk")
    return render(
        request,
        "priorities/action_update.html",
        {
            "action": action,
            "form": form,
            "revisions": revisions,
            "statuses": statuses,
            "today": today,
        },
    )


def _stale_message(action: Action) -> str:
    latest = action.history.select_related("history_user").order_by("-history_date").first()
    who = latest.history_user.get_username() if latest and latest.history_user else "someone"
    return (
        f"{who} updated this action after you opened the page (status now "
        f"{action.get_status_display().lower()}). Your changes have not been saved: "
        "reload the page to see theirs, then make yours again."
    )
