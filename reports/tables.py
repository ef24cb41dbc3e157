"""The board's tables: django-tables2, sortable through the query string, no JavaScript.

Cells only present what the board rows already say; ``reports/table.html``
draws them as GOV.UK tables with a caption, column and row headers, and
``aria-sort`` on the sorted column.
"""

import datetime
import functools

import django_tables2 as tables
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from metrics import display, periods
from reports import board, paging
from reports.templatetags import board_tags


class GovukTable(tables.Table):
    """A GOV.UK table; the first column is each row's header."""

    def __init__(self, *args, caption: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.caption = caption

    class Meta:
        template_name = "reports/table.html"
        attrs = {"class": "govuk-table app-table"}
        row_attrs = {"class": "govuk-table__row"}

    def body_html(self) -> SafeString:
        """The rows, each cell labelled by its column for the stacked phone layout.

        Written here rather than by a template loop over the cells: the
        overview's table has thousands of cells, and a template costs
        several times as much per cell.
        """
        return mark_safe("".join(_row_html(row) for row in self.paginated_rows))


def _row_html(row, cells=None) -> str:
    """A row's markup; ``cells`` (column, content) if worked out already, else django-tables2's."""
    cells = [
        format_html(
            '<th scope="row" class="govuk-table__header app-col-{}">{}</th>', column.name, cell
        )
        if n == 0
        else format_html(
            '<td data-label="{}" class="govuk-table__cell app-col-{}">{}</td>',
            column.header,
            column.name,
            cell,
        )
        for n, (column, cell) in enumerate(row.items() if cells is None else cells)
    ]
    return format_html("<tr {}>{}</tr>", row.attrs.as_html(), mark_safe("".join(cells)))


# Each drawn once per process: a table has a status and a sign-off in every row.
@functools.cache
def status_html(status) -> str:
    return render_to_string("reports/includes/status.html", {"status": status})


@functools.cache
def provisional_html(flag: bool) -> str:
    return render_to_string("reports/includes/provisional.html", board_tags.provisional(flag))


def _secondary(text: str) -> str:
    return format_html('<span class="app-secondary">{}</span>', text) if text else ""


def _figure(value, kpi, provisional: bool) -> str:
    """A figure beside the one a row is about: "80.0% (provisional)"."""
    return display.marked(display.figure(value, kpi.decimal_places, kpi.unit), provisional)


class KpiTable(GovukTable):
    kpi = tables.Column("KPI", accessor="code", empty_values=())
    areas = tables.Column("Area", accessor="area_key", empty_values=())
    owner = tables.Column("Owner", accessor="owner_name", empty_values=())
    actual = tables.Column("Latest figure", empty_values=(), orderable=False)
    previous = tables.Column("Previous figure", empty_values=(), orderable=False)
    target = tables.Column("Target in force", empty_values=(), orderable=False)
    status = tables.Column("Status", accessor="status_key", empty_values=())
    direction = tables.Column("Direction of travel", accessor="direction_key", empty_values=())
    verdict = tables.Column("Trajectory", accessor="verdict_key", empty_values=())

    class Meta(GovukTable.Meta):
        order_by = ("kpi",)
        empty_text = "No KPIs match these filters."
        row_attrs = {"class": "govuk-table__row", "id": lambda record: f"kpi-{record.kpi.pk}"}

    PER_PAGE = 50

    def __init__(self, *args, period: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.period = period
        self.query = f"?period={period:%Y-%m}"

    def body_html(self) -> SafeString:
        """As ``GovukTable.body_html``, each cell straight from its ``render_`` method:
        django-tables2 inspects a method's signature for every cell it renders,
        which cost more than the cells."""
        columns = [(column, getattr(self, f"render_{column.name}")) for column in self.columns]
        return mark_safe(
            "".join(
                _row_html(row, [(column, render(row.record)) for column, render in columns])
                for row in self.paginated_rows
            )
        )

    def show_page(self, request, *, total: int, filtered: bool) -> None:
        """Draw only the page of the (filtered, sorted) rows the request asks for, and say
        in the caption which KPIs it shows: "51 to 100 of 2,000"."""
        self.page = paging.page_of(self.rows, request, per_page=self.PER_PAGE)
        self.caption = f"Every KPI in the plan for {periods.month_label(self.period)}"
        if filtered:
            self.caption += f" (showing {self.page.paginator.count} of {total})"
        if self.page.paginator.num_pages > 1:
            self.caption += (
                f": {self.page.start_index()} to {self.page.end_index()}"
                f" of {self.page.paginator.count:,}"
            )

    def render_kpi(self, record: board.BoardLine) -> str:
        url = reverse("kpi-detail", args=[record.kpi.pk]) + self.query
        return format_html(
            '<a class="govuk-link" href="{}">{} <span class="app-kpi-title">{}</span></a>',
            url,
            record.kpi.code,
            record.kpi.title,
        )

    def render_areas(self, record: board.BoardLine) -> str:
        if not record.areas:
            return "None"
        return format_html_join(
            ", ",
            '<a class="govuk-link app-nowrap" href="{}{}">Area {}</a>',
            (
                (reverse("area-detail", args=[area.pk]), self.query, area.number)
                for area in record.areas
            ),
        )

    def render_owner(self, record: board.BoardLine) -> str:
        owner = record.kpi.owner
        return owner.role_title if owner else "Not recorded"

    def render_actual(self, record: board.BoardLine) -> str:
        row, kpi = record.row, record.kpi
        when = row.period_label if row.period != self.period else ""
        if row.actual is not None:
            return format_html(
                "{} {} {}",
                display.figure(row.value, kpi.decimal_places, kpi.unit),
                provisional_html(row.provisional),
                _secondary(when),
            )
        last = record.last_figure
        if last is None:
            return format_html("No figure {}", _secondary(when))
        return format_html(
            "No figure {} {}",
            _secondary(when),
            _secondary(
                f"Last: {_figure(last.value, kpi, last.is_provisional)} "
                f"in {kpi.period_label(last.period)}"
            ),
        )

    def render_previous(self, record: board.BoardLine) -> str:
        """The figure a period before the latest, as the corporate report puts Q1 beside Q2."""
        row, kpi = record.row, record.kpi
        before = kpi.period_label(periods.add_months(row.period, -kpi.rule.interval))
        if row.previous is None:
            return format_html("No figure {}", _secondary(before))
        return format_html(
            "{} {}", _figure(row.previous, kpi, row.previous_provisional), _secondary(before)
        )

    def render_target(self, record: board.BoardLine) -> str:
        row = record.row
        return (
            display.step(row.target, row.kpi.decimal_places, row.kpi.unit, row.kpi.polarity)
            or "None set"
        )

    def render_status(self, record: board.BoardLine) -> str:
        return status_html(record.row.status)

    def render_direction(self, record: board.BoardLine) -> str:
        return board.direction_text(record.row)

    def render_verdict(self, record: board.BoardLine) -> str:
        t, kpi = record.row.trajectory, record.kpi
        if t.projected is None or t.horizon is None:
            return t.verdict.label
        return format_html(
            "{} {}",
            t.verdict.label,
            _secondary(
                f"{display.figure(t.projected, kpi.decimal_places, kpi.unit)} projected "
                f"by {periods.month_label(t.horizon)}"
            ),
        )


class ActionTable(GovukTable):
    ref = tables.Column("Ref", accessor="ref_key", empty_values=())
    description = tables.Column("Action", orderable=False, empty_values=())
    owner = tables.Column("Owner", accessor="owner_name", empty_values=())
    original = tables.Column("Original date", accessor="original_key", empty_values=())
    current = tables.Column("Current date", accessor="current_key", empty_values=())
    slippage = tables.Column("Slippage (months)", accessor="slippage", empty_values=())
    status = tables.Column("Status", accessor="status_key", empty_values=())

    class Meta(GovukTable.Meta):
        order_by = ("ref",)
        empty_text = "This area has no actions recorded."
        row_attrs = {
            "class": "govuk-table__row",
            "id": lambda record: f"action-{record.action.pk}",
        }

    def render_ref(self, record) -> str:
        return record.ref

    def render_description(self, record) -> str:
        theme = record.action.get_theme_display()
        return format_html("{} {}", record.action.description, _secondary(theme))

    def render_owner(self, record) -> str:
        return record.action.owner.role_title if record.action.owner else "Not recorded"

    def render_original(self, record) -> str:
        day = record.action.original_delivery_date
        return f"{day:%-d %b %Y}" if day else "Not set"

    def render_current(self, record) -> str:
        day = record.current_delivery_date
        return f"{day:%-d %b %Y}" if day else "Not revised"

    def render_slippage(self, record) -> str:
        return str(record.slippage)

    def render_status(self, record) -> str:
        # The action as it stood on the day the page judges, and when that was reported.
        overdue = (
            format_html(
                ' <strong class="govuk-tag app-status app-status--red">{}</strong>', "Overdue"
            )
            if record.overdue
            else ""
        )
        return format_html("{}{} {}", record.status_text, overdue, _secondary(record.reported))
