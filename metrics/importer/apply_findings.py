"""Writing the Findings sheet and the import's links, with history, inside the caller's transaction.

Findings are few, so each is saved as the admin saves it (history row,
version moved on); a new status goes through ``record_finding_status``, the
rule every write path shares. Links to actions and KPIs begin or end;
an action's KPIs are set as ``update_action`` sets them, the change named
in the action's history.
"""

from django.db.models import Q

from metrics.importer.plan import Change
from metrics.importer.plan_findings import STATUS_KEYS
from metrics.models import FindingKpi
from priorities.models import Action, Finding, FindingAction
from priorities.services import kpis_moved, record_finding_status


def moves_kpis(action: Action, change: Change, reason: str) -> Action:
    """The action, its history reason naming the KPIs it now moves if the import sets them."""
    if "kpis" in change.values:
        action._change_reason = f"{reason}; {kpis_moved(change.refs['kpis'])}"[:100]
    return action


def link_action_kpis(changes: list[Change], codes: dict[str, int], *, user, reason: str) -> None:
    """Set the KPIs of each action the import gave a KPIs cell that differs from the stored ones."""
    moving = [change for change in changes if "kpis" in change.values]
    if not moving:
        return
    which = Q(pk__in=[change.pk for change in moving if not change.is_new])
    for change in moving:
        if change.is_new:
            which |= Q(area=change.refs["area"], ref=change.values["ref"])
    actions = {(a.area_id, a.ref): a for a in Action.objects.filter(which)}
    by_pk = {action.pk: action for action in actions.values()}
    for change in moving:
        if change.is_new:
            action = actions[(change.refs["area"].pk, change.values["ref"])]
        else:
            action = by_pk[change.pk]
        # Setting the links leaves a history row of its own: it names the import too.
        action._history_user = user
        moves_kpis(action, change, reason).kpis.set([codes[code] for code in change.refs["kpis"]])


def write_findings(changes: list[Change], codes: dict[str, int], *, user, reason: str) -> None:
    """Write the Findings sheet's findings, then the links that begin or end."""
    for change in changes:
        if change.model is Finding:
            _write_finding(change, user=user, reason=reason)
    links = [change for change in changes if change.model is not Finding]
    if not links:
        return
    keys = {change.refs["finding"] for change in links if change.is_new}
    findings = Finding.objects.filter(source_id__in={source for source, _ in keys})
    finding_ids = {(f.source_id, f.ref.casefold()): f.pk for f in findings}
    for change in links:
        if change.is_new:
            link = _new_link(change, finding_ids, codes)
        else:
            link = change.instance
            link.ended = change.values["ended"]
        link._history_user = user
        link._change_reason = reason
        link.save()


def _write_finding(change: Change, *, user, reason: str) -> None:
    values = dict(change.values)
    status = {key: values.pop(key) for key in STATUS_KEYS if key in values}
    if change.is_new:
        finding = Finding(source=change.refs["source"], **values)
    else:
        finding = change.instance
    finding._history_user = user
    finding._change_reason = reason
    if status:
        if change.is_new:
            finding.save()  # the dated status needs the finding's row
        record_finding_status(
            finding,
            status=status["status"],
            evidence=status["evidence"],
            as_at=status["status_as_at"],
            user=user,
            source=status["status_source"] or reason,
        )
    finding.save()


def _new_link(change: Change, finding_ids: dict, codes: dict[str, int]):
    finding_id = finding_ids[change.refs["finding"]]
    since = change.values["since"]
    if change.model is FindingKpi:
        return FindingKpi(finding_id=finding_id, kpi_id=codes[change.refs["kpi"]], since=since)
    action = Action.objects.get(area_id=change.refs["area"], ref=change.refs["ref"])
    return FindingAction(finding_id=finding_id, action=action, since=since)
