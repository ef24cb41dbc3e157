"""Filtering the overview's KPI table by area, status and owner.

The table's rows are board rows worked out in Python, not a queryset, so a
small GET form filters the list. An unknown choice is reported on the form
and filters nothing.
"""

from urllib.parse import urlencode

from django import forms

from metrics.models import Kpi
from metrics.rag import Status
from priorities.models import Finding, FindingSource, Officer, PriorityArea
from reports.board import BoardLine
from reports.findings import FindingLine


class GetFilterForm(forms.Form):
    """A GET form that narrows a list: drop-downs, an unknown choice shown on its field.

    Its template is reports/includes/filter_form.html (``legend`` and ``button``
    name what it filters).
    """

    legend = "Filter"
    button = "Filter"

    def style(self) -> None:
        for field in self.fields.values():
            field.widget.attrs["class"] = "govuk-select"

    @property
    def active(self) -> bool:
        """Whether any filter was asked for, understood or not."""
        return any(self.data.get(name) for name in self.fields)

    @property
    def clear_query(self) -> str:
        """The page's query string without this form's filters (other choices kept)."""
        kept = [
            (name, value)
            for name, values in self.data.lists()
            if name not in self.fields
            for value in values
        ]
        return f"?{urlencode(kept)}" if kept else "?"


class KpiFilterForm(GetFilterForm):
    legend = "Filter the KPIs"
    button = "Filter KPIs"

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
        self.style()

    def apply(self, lines: list[BoardLine]) -> list[BoardLine]:
        _mark_errors(self)
        wanted = self.cleaned_data
        if wanted.get("area"):
            lines = [line for line in lines if any(a.pk == wanted["area"] for a in line.areas)]
        if wanted.get("status"):
            lines = [line for line in lines if line.row.status == wanted["status"]]
        if wanted.get("owner"):
            lines = [line for line in lines if line.kpi.owner_id == wanted["owner"]]
        return lines


def _mark_errors(form: forms.Form) -> None:
    """An unknown choice is shown on its field, and filters nothing."""
    if not form.is_valid():
        for name in form.errors:
            attrs = form.fields[name].widget.attrs
            attrs["class"] = "govuk-select govuk-select--error"
            attrs["aria-describedby"] = f"{form[name].id_for_label}-error"


def owners_of(kpis: list[Kpi]) -> list[Officer]:
    """The officers who own any of the KPIs, by role title."""
    found = {kpi.owner.pk: kpi.owner for kpi in kpis if kpi.owner}
    return sorted(found.values(), key=lambda officer: officer.role_title)


class FindingFilterForm(GetFilterForm):
    """Filters for the findings register: source, status then, officer, overdue actions then."""

    legend = "Filter the findings"
    button = "Filter findings"

    OVERDUE_CHOICES = [
        ("", "Any"),
        ("yes", "With overdue actions"),
        ("no", "Without overdue actions"),
    ]

    source = forms.TypedChoiceField(label="Source", coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(label="Status", required=False)
    officer = forms.TypedChoiceField(
        label="Responsible officer", coerce=int, required=False, empty_value=None
    )
    overdue = forms.ChoiceField(label="Overdue actions", required=False, choices=OVERDUE_CHOICES)

    def __init__(self, data, *, sources: list[FindingSource], officers: list[Officer]):
        super().__init__(data)
        self.fields["source"].choices = [("", "All sources")] + [(s.pk, str(s)) for s in sources]
        self.fields["status"].choices = [("", "All statuses"), *Finding.Status.choices]
        self.fields["officer"].choices = [("", "All officers")] + [
            (officer.pk, officer.role_title) for officer in officers
        ]
        self.style()

    def apply(self, lines: list[FindingLine]) -> list[FindingLine]:
        _mark_errors(self)
        wanted = self.cleaned_data
        if wanted.get("source"):
            lines = [line for line in lines if line.finding.source_id == wanted["source"]]
        if wanted.get("status"):
            lines = [line for line in lines if line.status == wanted["status"]]
        if wanted.get("officer"):
            lines = [line for line in lines if line.officer_id == wanted["officer"]]
        if wanted.get("overdue"):
            lines = [line for line in lines if line.has_overdue == (wanted["overdue"] == "yes")]
        return lines


def officers_of(lines: list[FindingLine]) -> list[Officer]:
    """The officers answering for any of the findings, by role title."""
    found = {line.officer.pk: line.officer for line in lines if line.officer}
    return sorted(found.values(), key=lambda officer: officer.role_title)
