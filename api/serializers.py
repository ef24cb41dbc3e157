"""The rows each list returns: flat, so CSV, Excel and Power BI read them as columns.

Nothing a reader could not see on the board pages: officers by post, never a
login, an email address or who typed a figure in.
"""

from rest_framework import serializers

from metrics.models import Actual, Benchmark, Kpi, Target
from priorities.models import Plan, PriorityArea


# Each takes the attribute it reads, dotted; none where it is the field's own name.
def _where(source: str | None) -> dict:
    return {"source": source} if source else {}


def _text(source: str | None = None, **kwargs) -> serializers.CharField:
    return serializers.CharField(read_only=True, **_where(source), **kwargs)


def _maybe_text(source: str | None = None) -> serializers.CharField:
    return _text(source, allow_null=True)


def _number(source: str | None = None) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=16, decimal_places=4, read_only=True, allow_null=True, **_where(source)
    )


def _id(source: str | None = None) -> serializers.IntegerField:
    return serializers.IntegerField(read_only=True, allow_null=True, **_where(source))


def _day(source: str | None = None) -> serializers.DateField:
    return serializers.DateField(read_only=True, allow_null=True, **_where(source))


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = Plan
        fields = ["id", "slug", "title", "description", "start", "end", "source"]


class AreaSerializer(serializers.ModelSerializer):
    responsible_officer_id = _id()
    responsible_officer = _maybe_text("responsible_officer.role_title")

    class Meta:
        model = PriorityArea
        fields = [
            "id", "plan", "number", "title", "what_needs_to_improve",
            "responsible_officer_id", "responsible_officer",
        ]  # fmt: skip


class KpiSerializer(serializers.ModelSerializer):
    """A KPI's definition, as its page describes it."""

    owner_id = _id()
    owner = _maybe_text("owner.role_title")
    unit_label = _text("get_unit_display")
    polarity_label = _text("get_polarity_display")

    class Meta:
        model = Kpi
        fields = [
            "id", "code", "title", "definition", "unit", "unit_label", "polarity",
            "polarity_label", "frequency", "decimal_places", "owner_id", "owner",
        ]  # fmt: skip


class KpiStatusSerializer(serializers.Serializer):
    """A KPI for a month (``metrics.summary.KpiRow``): its figure, target and status then."""

    id = serializers.IntegerField(source="kpi.pk", read_only=True)
    code = _text("kpi.code")
    title = _text("kpi.title")
    unit = _text("kpi.unit")
    polarity = _text("kpi.polarity")
    frequency = _text("kpi.frequency")
    decimal_places = serializers.IntegerField(source="kpi.decimal_places", read_only=True)
    owner_id = _id("kpi.owner_id")
    owner = _maybe_text("kpi.owner.role_title")
    areas = serializers.SerializerMethodField(help_text="The ids of the areas it evidences.")
    period = _day()
    period_label = _text()
    value = _number()
    numerator = _number("actual.numerator")
    denominator = _number("actual.denominator")
    provisional = serializers.BooleanField(read_only=True)
    target = _number("target.value")
    target_lower = _number("target.lower")
    target_upper = _number("target.upper")
    target_from = _day("target.starts")
    status = _text("status.value")
    status_label = _text("status.label")
    direction = _maybe_text("direction.value")
    direction_label = _maybe_text("direction.label")
    direction_year = _maybe_text("direction_year.value")
    trajectory = _text("trajectory.verdict.value")
    trajectory_label = _text("trajectory.verdict.label")

    def get_areas(self, row) -> list[int]:
        return [area.pk for area in row.kpi.areas.all()]


class ActualSerializer(serializers.ModelSerializer):
    period_label = serializers.SerializerMethodField()
    provisional = serializers.BooleanField(source="is_provisional", read_only=True)
    sign_off = _text("get_state_display")

    class Meta:
        model = Actual
        fields = [
            "period", "period_label", "value", "numerator", "denominator", "provisional",
            "sign_off", "note", "what_data_tells_us", "issues_and_risks", "evidence_of_impact",
        ]  # fmt: skip

    def get_period_label(self, actual: Actual) -> str:
        return actual.kpi.period_label(actual.period)


class TargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = Target
        fields = ["starts", "value", "lower", "upper"]


class BenchmarkSerializer(serializers.ModelSerializer):
    comparator_label = _text("get_comparator_display")

    class Meta:
        model = Benchmark
        fields = ["comparator", "comparator_label", "period", "value"]


class SeriesSerializer(serializers.Serializer):
    """A KPI's whole history: every figure, target step and benchmark."""

    kpi = KpiSerializer(source="*", read_only=True)
    actuals = ActualSerializer(source="recent_actuals", many=True, read_only=True)
    targets = TargetSerializer(source="targets.all", many=True, read_only=True)
    benchmarks = BenchmarkSerializer(source="benchmarks.all", many=True, read_only=True)


class ActionSerializer(serializers.Serializer):
    """An action as it stood on a day (``api.rows.ActionRow``)."""

    id = serializers.IntegerField(source="action.pk", read_only=True)
    plan = serializers.IntegerField(source="area.plan_id", read_only=True)
    area = serializers.IntegerField(source="area.pk", read_only=True)
    area_number = serializers.IntegerField(source="area.number", read_only=True)
    ref = _text()
    theme = _text("action.theme")
    description = _text("action.description")
    expected_outputs = _text("action.expected_outputs")
    owner_id = _id("action.owner_id")
    owner = _maybe_text("action.owner.role_title")
    original_delivery_date = _day("action.original_delivery_date")
    current_delivery_date = _day()
    slippage_months = serializers.IntegerField(source="slippage", read_only=True)
    status = _text()
    status_label = _text()
    completed_date = _day()
    status_since = _day()
    overdue = serializers.BooleanField(read_only=True)


class FindingSerializer(serializers.Serializer):
    """A finding as it stood on a day (``api.rows.FindingRow``)."""

    id = serializers.IntegerField(source="finding.pk", read_only=True)
    source_id = serializers.IntegerField(source="finding.source_id", read_only=True)
    source = _text("finding.source.title")
    body = _text("finding.source.body")
    made_on = _day("finding.source.date")
    ref = _text("finding.ref")
    kind = _text("finding.kind")
    grade = _text("finding.grade")
    title = _text("finding.title")
    statement = _text("finding.statement")
    cited = _text("finding.cited")
    area = _id("finding.area_id")
    officer = _maybe_text("finding.officer.role_title")
    status = _text()
    status_label = _text()
    status_since = _day()
    evidence = _text()
