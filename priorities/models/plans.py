"""The plan, its priority areas and the officers (posts) who answer for them."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.db.models.query import ModelIterable
from simple_history.models import HistoricalRecords


class Plan(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    start = models.DateField(null=True, blank=True, help_text="First month the plan covers.")
    end = models.DateField(null=True, blank=True, help_text="Last month the plan covers.")
    source = models.CharField(max_length=300, blank=True, help_text="Where the plan comes from.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True)
                | Q(start__isnull=True)
                | Q(end__gte=models.F("start")),
                name="plan_end_not_before_start",
                violation_error_message="The plan cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Officer(models.Model):
    """A post in the plan (recorded by role title), optionally held by a login."""

    role_title = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=200, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="officer",
        help_text="The login that acts for this post: it may update what the post owns.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["role_title"]

    def __str__(self) -> str:
        return f"{self.role_title} ({self.name})" if self.name else self.role_title


ACTION_COUNT_PREFIX = "actions_"


def attach_action_counts(areas: list["PriorityArea"], on: datetime.date) -> None:
    """Give each area ``overdue_actions`` and its counts by status on a day, in one query.

    One grouped count over the areas' actions as they stood then (the rules
    of ``Action.count_rules``), rather than a correlated subquery per count:
    building and running six of those cost a board page tens of milliseconds.
    """
    from priorities.models.actions import Action

    rules = Action.count_rules(on)
    for area in areas:
        area.overdue_actions = 0
        for key in rules:
            if key != "overdue":
                setattr(area, f"{ACTION_COUNT_PREFIX}{key}", 0)
    if not areas:
        return
    by_pk: dict[int, list[PriorityArea]] = {}
    for area in areas:  # a read with joins may hold an area more than once
        by_pk.setdefault(area.pk, []).append(area)
    counted = (
        Action.objects.as_at(on)
        .filter(area__in=list(by_pk))
        .order_by()
        .values("area")
        .annotate(**{f"count_{key}": Count("pk", filter=rule) for key, rule in rules.items()})
    )
    for line in counted:
        for area in by_pk[line["area"]]:
            for key in rules:
                name = "overdue_actions" if key == "overdue" else f"{ACTION_COUNT_PREFIX}{key}"
                setattr(area, name, line[f"count_{key}"])


class PriorityAreaQuerySet(models.QuerySet):
    # The day ``with_action_counts`` counts on, carried by every clone.
    _counts_on: datetime.date | None = None

    def with_action_counts(self, on: datetime.date) -> "PriorityAreaQuerySet":
        """Each area with its action counts on a day, as the actions stood then.

        ``action_counts`` reads them back keyed as ``ActionQuerySet.status_counts``
        keys them, counted by the same rules (``Action.count_rules``);
        ``overdue_actions`` is the overdue count. One query for all the areas,
        when the areas are read as models (``attach_action_counts``): the counts
        are attributes, not annotations, so ``values()``, ``iterator()``,
        ``filter()`` and ``order_by()`` cannot see them.
        """
        clone = self._chain()
        clone._counts_on = on
        return clone

    def with_overdue_actions(self, on: datetime.date) -> "PriorityAreaQuerySet":
        """Each area with ``overdue_actions`` on a date, as the actions stood then.

        The same rule as ``Action.is_overdue``; read with the other counts.
        """
        return self.with_action_counts(on)

    def _clone(self) -> "PriorityAreaQuerySet":
        clone = super()._clone()
        clone._counts_on = self._counts_on
        return clone

    def _fetch_all(self) -> None:
        counted = self._result_cache is not None
        super()._fetch_all()
        if self._counts_on is not None and not counted and self._iterable_class is ModelIterable:
            attach_action_counts(self._result_cache, self._counts_on)


class PriorityArea(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="areas")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    what_needs_to_improve = models.TextField(blank=True)
    responsible_officer = models.ForeignKey(
        Officer, on_delete=models.PROTECT, null=True, blank=True, related_name="areas"
    )
    history = HistoricalRecords()

    objects = PriorityAreaQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="area_number_unique_in_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"

    @property
    def action_counts(self) -> dict[str, int]:
        """The counts ``with_action_counts`` annotated, keyed as ``status_counts`` keys them."""
        counts = {
            name.removeprefix(ACTION_COUNT_PREFIX): value
            for name, value in vars(self).items()
            if name.startswith(ACTION_COUNT_PREFIX)
        }
        return {**counts, "overdue": self.overdue_actions}


def summed_action_counts(areas) -> dict[str, int]:
    """A plan's action counts: its areas' ``action_counts`` summed (an action is in one area)."""
    totals: dict[str, int] = {}
    for area in areas:
        for key, count in area.action_counts.items():
            totals[key] = totals.get(key, 0) + count
    return totals
