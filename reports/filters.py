"""Filtering the overview's KPI table by area, status and owner.

The table's rows are board rows worked out in Python, not a queryset, so a
small GET form filters the list. An unknown choice is reported on the form
and filters nothing.
"""

from django import forms

from metrics.models import Kpi
from metrics.rag import Status
from priorities.models import Officer, PriorityArea
from reports.board import BoardLine


class KpiFilterForm(forms.Form):
    area = forms.TypedChoiceField(
        label="Priority area", coerce=int, required=False, empty_value=None
    )
    status = forms.ChoiceField(label="Status", required=False)
    owner = forms.TypedChoiceField(label="Owner", coerce=int, required=False, empty_value=None)

    def __init__(self, data, *, areas: list[PriorityArea], owners: list[Officer]):
        super().__init__(data)
        self.fields["area"].choices = [("", "All areas")] + [(a.pk, str(a)) for a in areas]
        self.fields["status"].choices = [("", "All statuses")] + [
            (status.value, status.label) for status in Status
        ]
        self.fields["owner"].choices = [("", "All owners")] + [
            (officer.pk, officer.role_title) for officer in owners
        ]
        for field in self.fields.values():
            field.widget.attrs["class"] = "govuk-select"

    @property
    def active(self) -> bool:
        """Whether any filter was asked for, understood or not."""
        return any(self.data.get(name) for name in self.fields)

    def apply(self, lines: list[BoardLine]) -> list[BoardLine]:
        if not self.is_valid():
            for name in self.errors:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = "govuk-select govuk-select--error"
                attrs["aria-describedby"] = f"{self[name].id_for_label}-error"
        wanted = self.cleaned_data
        if wanted.get("area"):
            lines = [line for line in lines if any(a.pk == wanted["area"] for a in line.areas)]
        if wanted.get("status"):
            lines = [line for line in lines if line.row.status == wanted["status"]]
        if wanted.get("owner"):
            lines = [line for line in lines if line.kpi.owner_id == wanted["owner"]]
        return lines


def owners_of(kpis: list[Kpi]) -> list[Officer]:
    """The officers who own any of the KPIs, by role title."""
    found = {kpi.owner.pk: kpi.owner for kpi in kpis if kpi.owner}
    return sorted(found.values(), key=lambda officer: officer.role_title)
