from django import forms
from django.db.models import Q

from metrics.forms import DayField
from metrics.models import Kpi
from priorities.models import Action
from priorities.services import DATE_MOVED_WITHOUT_REASON

# Up to this many KPIs in all, an action's page offers every one; beyond it, its plan's.
FEW_KPIS = 25


def kpis_offered(action: Action):
    """The KPIs an action's owner may say it moves: every KPI if there are few, else its
    plan's; and always those it already moves, so saving the page never drops one."""
    kpis = Kpi.objects.order_by("code")
    if kpis.count() > FEW_KPIS:
        plan = action.area.plan_id
        return kpis.filter(Q(areas__plan=plan) | Q(actions=action)).distinct()
    return kpis


class KpiChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, kpi: Kpi) -> str:
        return f"{kpi.code} {kpi.title}"


class ActionUpdateForm(forms.Form):
    """What an action's owner updates: progress, the delivery date, and evidence."""

    status = forms.ChoiceField(
        choices=Action.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the action's status."},
    )
    current_delivery_date = DayField(
        label="Current delivery date",
        help_text="For example, 31/3/2021, or Oct 2021 for the end of October. "
        "The original date stays on record.",
    )
    date_change_reason = forms.CharField(
        label="Why has the date moved?",
        required=False,
        max_length=300,
        help_text="Needed when you change the delivery date. Shown in the action's history.",
    )
    completed_date = DayField(
        label="Date completed",
        help_text="Leave empty to use today's date when you mark the action completed.",
    )
    evidence_of_impact = forms.CharField(
        label="Evidence of impact", required=False, widget=forms.Textarea
    )
    kpis = KpiChoiceField(
        label="KPIs this action is meant to move",
        queryset=Kpi.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Their charts mark this action when it is completed. "
        "Leave all unticked if it is meant to move none in particular: the charts of its "
        "area's KPIs then mark it.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, action: Action, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.action, self.today = action, today
        self.fields["kpis"].queryset = kpis_offered(action)

    def clean(self):
        data = super().clean()
        moved = data.get("current_delivery_date") != self.action.current_delivery_date
        reason = data.get("date_change_reason", "").strip()
        if "current_delivery_date" in data and moved and not reason:
            self.add_error("date_change_reason", DATE_MOVED_WITHOUT_REASON)
        if data.get("status") == Action.Status.COMPLETED and not data.get("completed_date"):
            # The date it was marked completed, unless the owner says otherwise.
            data["completed_date"] = self.action.completed_date or self.today
        return data
