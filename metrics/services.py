"""Writes that touch several rows at once. Each runs in one transaction."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from metrics import calculated, signoff
from metrics.models import Actual, Kpi, PeriodLock
from priorities import roles


class StaleEdit(Exception):
    """Someone saved this figure after the form was opened."""

    def __init__(self, current: Actual):
        self.current = current
        super().__init__(f"{current} was changed to version {current.version}.")


class PeriodLocked(Exception):
    """The period is locked and this user may not change it."""


class SignedOff(Exception):
    """The figure is signed off; its owner may change it only once it is returned."""


def save_actual(
    *,
    kpi: Kpi,
    period: datetime.date,
    user,
    expected_version: int | None,
    reason: str = "",
    sign_off: bool = False,
    **fields,
) -> Actual:
    """Create or change a KPI's figure for a period, refusing a stale or locked edit.

    ``expected_version`` is the version the user saw (None or 0: there was no
    figure yet). The row is locked while it is checked and written, so of
    two people saving the same figure one succeeds and the other gets
    StaleEdit with what is now stored. Raises PeriodLocked when the period is
    locked and ``user`` may not change locked periods, or gives no reason, and
    ValidationError (by field) when the figure breaks a rule of ``Actual.clean``.

    Sign-off (``metrics.signoff``): the figure is submitted, awaiting sign-off,
    unless ``sign_off`` (an analyst loading it in the data admin) or the
    deployment does not ask for sign-off; a signed-off figure is refused to
    anyone but an analyst or administrator (SignedOff) until it is returned.
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
        actual = _stored_for_change(kpi, period, user, expected_version)
        for name, value in fields.items():
            setattr(actual, name, value)
        actual.full_clean(exclude=["kpi", "period", "version"], validate_unique=False)
        actual.updated_by = user
        _mark(actual, user, sign_off=sign_off)
        actual._change_reason = reason.strip() or None
        try:
            with transaction.atomic():
                actual.save()
        except IntegrityError:
            # Another save created the figure between our read and our insert.
            raise StaleEdit(Actual.objects.get(kpi=kpi, period=period)) from None
        calculated.recalculate(kpi_ids=[kpi.pk], periods=[period], user=user)
    return actual


def _stored_for_change(kpi: Kpi, period: datetime.date, user, expected_version) -> Actual:
    """The figure as stored, locked for the change (a new one if none), or a refusal:
    StaleEdit when it moved since the user saw it, SignedOff when its owner may not change it.
    """
    actual = Actual.objects.select_for_update().filter(kpi=kpi, period=period).first()
    if actual is None:
        if expected_version:
            raise StaleEdit(Actual(kpi=kpi, period=period, version=0))
        return Actual(kpi=kpi, period=period)
    if actual.version != expected_version:
        raise StaleEdit(actual)
    if (
        settings.SIGN_OFF_REQUIRED
        and actual.state == Actual.State.SIGNED_OFF
        and not roles.edits_everything(user)
    ):
        raise SignedOff(
            f"{kpi.code} for {kpi.period_label(period)} is signed off. Ask its approver "
            "to return it to you if it needs to change."
        )
    return actual


def _mark(actual: Actual, user, *, sign_off: bool) -> None:
    """Submitted for sign-off, or signed off by this save (an analyst's load, or none asked)."""
    if sign_off and not roles.edits_everything(user):
        raise PermissionDenied("Only analysts and administrators load figures as signed off.")
    if sign_off or not settings.SIGN_OFF_REQUIRED:
        signoff.submitted(actual)  # it was received now, as well as signed off
        signoff.signed_off_by_loading(actual, user=user)
    else:
        signoff.submitted(actual)
