"""Writes that touch several rows at once. Each runs in one transaction."""

import datetime

from django.db import IntegrityError, transaction

from metrics import calculated
from metrics.models import Actual, Kpi, PeriodLock
from priorities import roles


class StaleEdit(Exception):
    """Someone saved this figure after the form was opened."""

    def __init__(self, current: Actual):
        self.current = current
        super().__init__(f"{current} was changed to version {current.version}.")


class PeriodLocked(Exception):
    """The period is locked and this user may not change it."""


def save_actual(
    *,
    kpi: Kpi,
    period: datetime.date,
    user,
    expected_version: int | None,
    reason: str = "",
    **fields,
) -> Actual:
    """Create or change a KPI's figure for a period, refusing a stale or locked edit.

    ``expected_version`` is the version the user saw (None or 0: there was no
    figure yet). The row is locked while it is checked and written, so of
    two people saving the same figure one succeeds and the other gets
    StaleEdit with what is now stored. Raises PeriodLocked when the period is
    locked and ``user`` may not change locked periods, or gives no reason, and
    ValidationError (by field) when the figure breaks a rule of ``Actual.clean``.
    The entry page and the data admin both save through here; the
    calculated KPIs the figure feeds are worked out again in the same
    transaction.
    """
    with transaction.atomic():
        # Read the lock inside the transaction that writes, so a lock made
        # a moment ago is seen.
        if refusal := PeriodLock.refusal(
            period,
            kpi.period_label(period),
            locked_through=PeriodLock.objects.locked_through(),
            may_change=roles.edits_everything(user),
            reason=reason,
        ):
            raise PeriodLocked(refusal)
        actual = Actual.objects.select_for_update().filter(kpi=kpi, period=period).first()
        if actual is None:
            if expected_version:
                raise StaleEdit(Actual(kpi=kpi, period=period, version=0))
            actual = Actual(kpi=kpi, period=period)
        elif actual.version != expected_version:
            raise StaleEdit(actual)
        for name, value in fields.items():
            setattr(actual, name, value)
        actual.full_clean(exclude=["kpi", "period", "version"], validate_unique=False)
        actual.updated_by = user
        actual._change_reason = reason.strip() or None
        try:
            with transaction.atomic():
                actual.save()
        except IntegrityError:
            # Another save created the figure between our read and our insert.
            raise StaleEdit(Actual.objects.get(kpi=kpi, period=period)) from None
        calculated.recalculate(kpi_ids=[kpi.pk], periods=[period], user=user)
    return actual
