"""The plan, its priority areas and the officers (posts) who answer for them."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
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


def _actions_counted(on: datetime.date, rule: Q) -> Coalesce:
    """How many of the outer area's actions, as they stood on ``on``, meet ``rule``."""
    from priorities.models.actions import Action

    counted = (
        Action.objects.as_at(on)
        .filter(rule, area=OuterRef("pk"))
        .order_by()
        .values("area")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted), 0)


class PriorityAreaQuerySet(models.QuerySet):
    def with_action_counts(self, on: datetime.date) -> "PriorityAreaQuerySet":
        """Annotate each area's action counts on a day, as the actions stood then.

        ``action_counts`` reads them back keyed as ``ActionQuerySet.status_counts``
        keys them, counted by the same rules (``Action.count_rules``);
        ``overdue_actions`` is the overdue count.
        """
        from priorities.models.actions import Action

        rules = Action.count_rules(on)
        overdue = rules.pop("overdue")
        return self.annotate(
            overdue_actions=_actions_counted(on, overdue),
            **{f"{ACTION_COUNT_PREFIX}{key}": _actions_counted(on, q) for key, q in rules.items()},
        )

    def with_overdue_actions(self, on: datetime.date) -> "PriorityAreaQuerySet":
        """Annotate ``overdue_actions``: the actions overdue on a date, as they stood then.

        The same rule as ``Action.is_overdue``, read from ``Action.objects.as_at(on)``.
        """
        from priorities.models.actions import Action

        return self.annotate(overdue_actions=_actions_counted(on, Action.overdue_as_at(on)))


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
