"""Reading a record as it stood on a day: the one rule for dated statuses and dated links.

A record's row holds its latest state and ``status_as_at``, the day that
state took effect; each change is also a dated row. On a day before the
latest change the dated row in force then is read; on or after it, the
row itself.
"""

import datetime

from django.db import models
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, When


def dated_rows(model: type[models.Model], link: str, day: datetime.date) -> QuerySet:
    """The dated rows of ``model`` for the outer record up to ``day``, newest first."""
    return model.objects.filter(**{link: OuterRef("pk"), "effective__lte": day}).order_by(
        "-effective", "-pk"
    )


def stood_then(
    day: datetime.date, dated: QuerySet, own: str, field: str, output: models.Field
) -> Case:
    """``own`` as it stood at the end of ``day``: the row's own value if it held then,
    else ``field`` of the latest of ``dated`` (see ``dated_rows``)."""
    return Case(
        When(Q(status_as_at__isnull=True) | Q(status_as_at__lte=day), then=F(own)),
        default=Subquery(dated.values(field)[:1]),
        output_field=output,
    )


def in_force(day: datetime.date, prefix: str = "") -> Q:
    """Links in force at the end of ``day``: begun by then and not yet ended."""
    return Q(**{f"{prefix}since__lte": day}) & (
        Q(**{f"{prefix}ended__isnull": True}) | Q(**{f"{prefix}ended__gt": day})
    )


class DatedLink(models.Model):
    """A link between two records that holds from a day on, until it ends (if it does).

    Removing a link in use ends it, so earlier months keep showing it;
    deleting one says it was never there.
    """

    since = models.DateField(help_text="The day the link took effect.")
    ended = models.DateField(
        null=True, blank=True, help_text="The day the link stopped applying (empty while it holds)."
    )

    class Meta:
        abstract = True

    def in_force_on(self, day: datetime.date) -> bool:
        return self.since <= day and (self.ended is None or self.ended > day)

    @staticmethod
    def ends_after_start(name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            condition=Q(ended__isnull=True) | Q(ended__gt=F("since")),
            name=name,
            violation_error_message="A link ends after the day it took effect.",
        )
