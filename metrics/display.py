"""How a figure is written, everywhere: pages, charts, tables and CSV.

Pure: plain values in, text out. The one formatter (``figure``, built on
``number``), a target step in words, and the unit labels and axis titles,
which come from ``metrics.models.Kpi.Unit`` so a new unit is named once.
The ``figure`` and ``step`` template filters (``metrics/templatetags/improve.py``)
call these; nothing else formats a KPI's figure. A figure not yet signed off
is "provisional" in the words below, on every page, chart, export and command.
"""

from decimal import Decimal

from metrics.rag import NEUTRAL, Step, quantize

# A figure not yet signed off (``Actual.is_provisional``), in words.
PROVISIONAL = "Provisional"
SIGNED_OFF = "Signed off"
PROVISIONAL_MEANING = "not yet signed off"

# What follows a figure in a unit; other units print the bare number.
UNIT_SUFFIX = {"percent": "%", "days": " days", "fte": " FTE"}


def number(value: Decimal | int | None, places: int = 1, *, grouping: bool = True) -> str:
    """A bare number as reported: "3,222.0"; without grouping ("3222.0") for CSV."""
    if value is None:
        return ""
    return f"{quantize(value, places):{',' if grouping else ''}.{places}f}"


def exact(value: Decimal) -> str:
    """A stored value as it stands, no rounding and no trailing zeros: "90.3", "3222".

    For change histories and import previews, which must show what was
    typed or stored, not the KPI's reporting form.
    """
    return f"{Decimal(value).normalize():f}"


def unit_suffix(unit: str) -> str:
    return UNIT_SUFFIX.get(unit, "")


def figure(
    value: Decimal | int | None, places: int = 1, unit: str = "", *, grouping: bool = True
) -> str:
    """A KPI's figure: its decimal places and its unit, "90.3%" or "12 days"; "" for none."""
    if value is None:
        return ""
    return f"{number(value, places, grouping=grouping)}{unit_suffix(unit)}"


def sign_off(provisional: bool) -> str:
    """A figure's sign-off as a table or CSV column says it: "Provisional" or "Signed off"."""
    return PROVISIONAL if provisional else SIGNED_OFF


def marked(shown: str, provisional: bool) -> str:
    """A figure as written, followed by "(provisional)" when it is: "90.3% (provisional)"."""
    return f"{shown} ({PROVISIONAL.lower()})" if shown and provisional else shown


def step(
    target: Step | None,
    places: int = 1,
    unit: str = "",
    polarity: str = "",
    *,
    grouping: bool = True,
) -> str:
    """A target step: "95.0%", or a band "40.0 to 50.0".

    A neutral KPI is only rated against a band, so a single value set for
    one is written as a reference level, never as a target.
    """
    if target is None:
        return ""
    if target.is_band:
        lower = figure(target.lower, places, unit, grouping=grouping)
        return f"{lower} to {figure(target.upper, places, unit, grouping=grouping)}"
    shown = figure(target.value, places, unit, grouping=grouping)
    return f"Reference level {shown}, not a target" if polarity == NEUTRAL else shown


def against(target: Step | None, places: int, unit: str, polarity: str) -> str:
    """What a figure is read against, to follow it in a sentence; "" with no step in force."""
    if target is None:
        return ""
    if target.is_band:
        return f" against the target band of {step(target, places, unit)}"
    if polarity == NEUTRAL:
        level = figure(target.value, places, unit)
        return f"; monitored, with no target band (reference level {level})"
    return f" against a target of {step(target, places, unit)}"


def unit_label(unit: str) -> str:
    """The unit's name as the data admin offers it (``Kpi.Unit``): "Rate per 10,000 children"."""
    from metrics.models import Kpi  # Late: models import this module's neighbours.

    return str(Kpi.Unit(unit).label) if unit in Kpi.Unit.values else "Value"


def axis_title(unit: str) -> str:
    """A chart's value axis: the unit's name, with its symbol where it has one."""
    suffix = unit_suffix(unit).strip()
    label = unit_label(unit)
    return f"{label} ({suffix})" if suffix and suffix.lower() not in label.lower() else label
