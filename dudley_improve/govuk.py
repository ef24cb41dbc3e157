"""{% table %}: every hand-written GOV.UK table drawn by one include, includes/table.html.

    {% load govuk %}
    {% table columns="Period|Actual:numeric|Status" size="s" classes="app-kpi-data" %}
      Caption text, which may use {% if %} and variables
    {% rows %}
      {% for item in series %}<tr class="govuk-table__row">...</tr>{% endfor %}
    {% endtable %}

``columns`` lists the header cells ("label", "label:numeric" for figures,
or "label:kind" for the class app-col-kind); header cells that vary with the
data follow them in an optional ``{% head %}`` section before ``{% rows %}``.
``chart`` links the table to the chart it repeats (static/js/charts.js). The
include wraps the table in a region that scrolls sideways on a narrow
screen, named by the caption and reachable by keyboard.
"""

import html
from dataclasses import dataclass

from django import template
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

register = template.Library()


@dataclass(frozen=True)
class Column:
    label: str
    css: str


def parse_columns(spec: str) -> list[Column]:
    """Header cells from "Status:status|Red:numeric": numeric right-aligns, a kind names a class."""
    columns = []
    for part in spec.split("|"):
        label, _, kind = (text.strip() for text in part.partition(":"))
        css = "govuk-table__header--numeric" if kind == "numeric" else kind and f"app-col-{kind}"
        columns.append(Column(label, css))
    return columns


class TableNode(template.Node):
    def __init__(self, options: dict, caption, head, rows):
        self.options, self.caption, self.head, self.rows = options, caption, head, rows

    def render(self, context) -> str:
        options = {name: value.resolve(context) for name, value in self.options.items()}
        # Rendered markup stays markup: str methods would drop its safe mark and
        # escape it twice. The region's name is the caption's words, unescaped
        # here because the template escapes the attribute once.
        caption = mark_safe(self.caption.render(context).strip())
        return render_to_string(
            "includes/table.html",
            {
                **options,
                "caption": caption,
                "label": " ".join(html.unescape(strip_tags(caption)).split()),
                "columns": parse_columns(options["columns"]) if options.get("columns") else [],
                "head": self.head.render(context) if self.head else "",
                "rows": self.rows.render(context),
            },
        )


@register.tag("table")
def do_table(parser, token) -> TableNode:
    bits = token.split_contents()
    options = template.base.token_kwargs(bits[1:], parser)
    if len(options) != len(bits) - 1:
        raise template.TemplateSyntaxError("{% table %} takes only name=value options.")
    caption = parser.parse(("head", "rows"))
    head = None
    if parser.next_token().contents == "head":
        head = parser.parse(("rows",))
        parser.delete_first_token()
    rows = parser.parse(("endtable",))
    parser.delete_first_token()
    return TableNode(options, caption, head, rows)
