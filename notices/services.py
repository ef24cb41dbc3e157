"""Sending reminders, each once: every write to ``Reminder`` goes through ``deliver``."""

import datetime
import functools
import logging
import operator
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from metrics.models import Actual
from notices.emails import reminder_email
from notices.models import Preferences, Reminder
from notices.plan import Item, reminders_on, returned_item

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a run did: emails sent or failed, and the reminders it did not send, and why."""

    emails: int = 0
    sent: int = 0
    failed: int = 0
    already_sent: int = 0
    no_email: int = 0
    opted_out: int = 0
    # For a dry run: who would get what.
    planned: list[tuple[object, list[Item]]] = field(default_factory=list)

    def add(self, other: "Outcome") -> None:
        for name in ("emails", "sent", "failed", "already_sent", "no_email", "opted_out"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _keys(items: list[Item]) -> Q:
    return functools.reduce(
        operator.or_, (Q(kind=item.kind, item=item.key, day=item.day) for item in items)
    )


def deliver(recipient, items: list[Item]) -> Outcome:
    """Send ``recipient`` one email listing every item not already sent; each goes once.

    In one transaction: write a row per item (ignoring those already there),
    lock this person's unsent rows among them (skipping any another run holds),
    send, and mark them sent. A failed send leaves them unsent, with the
    error, for the next run to retry.
    """
    items = list({(item.kind, item.key, item.day): item for item in items}.values())
    if not items:
        return Outcome()
    with transaction.atomic():
        Reminder.objects.bulk_create(
            [
                Reminder(recipient=recipient, kind=item.kind, item=item.key, day=item.day)
                for item in items
            ],
            ignore_conflicts=True,
        )
        claimed = {
            row.key: row.pk
            for row in Reminder.objects.select_for_update(skip_locked=True).filter(
                _keys(items), recipient=recipient, sent_at__isnull=True
            )
        }
        chosen = [item for item in items if (item.kind, item.key, item.day) in claimed]
        outcome = Outcome(already_sent=len(items) - len(chosen))
        if not chosen:
            return outcome
        rows = Reminder.objects.filter(pk__in=claimed.values())
        try:
            reminder_email(recipient, chosen).send()
        except Exception as error:  # any failure of the mail server or backend
            logger.exception("Reminder email to %s failed", recipient.email)
            rows.update(attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}")
            outcome.failed = 1
            return outcome
        rows.update(sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="")
    outcome.emails, outcome.sent = 1, len(chosen)
    return outcome


def send_reminders(on: datetime.date, *, dry_run: bool = False) -> Outcome:
    """Send every reminder due by ``on``; a dry run lists them and writes nothing."""
    plan = reminders_on(on)
    opted_out = Preferences.opted_out([user.pk for user in plan])
    total = Outcome()
    for user, items in sorted(plan.items(), key=lambda pair: pair[0].get_username()):
        if not user.email:
            total.no_email += 1
            logger.warning("No email address for %s: %d reminders not sent", user, len(items))
            continue
        if user.pk in opted_out:
            wanted = [item for item in items if item.essential]
            total.opted_out += len(items) - len(wanted)
            items = wanted
        if dry_run:
            unsent = _not_yet_sent(user, items)
            total.already_sent += len(items) - len(unsent)
            if unsent:
                total.planned.append((user, unsent))
            continue
        total.add(deliver(user, items))
    return total


def _not_yet_sent(user, items: list[Item]) -> list[Item]:
    if not items:
        return []
    sent = {
        row.key
        for row in Reminder.objects.filter(_keys(items), recipient=user, sent_at__isnull=False)
    }
    return [item for item in items if (item.kind, item.key, item.day) not in sent]


def notify_returned(actual_pk: int) -> Outcome:
    """Email the owner of a returned figure now: the reason, who returned it, the entry page.

    Through the same once-only record as the daily run, which retries it if
    this send fails. Call it once the return is committed.
    """
    actual = (
        Actual.objects.select_related("kpi__owner__user", "reviewed_by")
        .filter(pk=actual_pk, state=Actual.State.RETURNED)
        .first()
    )
    owner = actual and actual.kpi.owner and actual.kpi.owner.user
    if not owner or not owner.is_active:
        return Outcome()
    if not owner.email:
        logger.warning("No email address for %s: returned figure not sent", owner)
        return Outcome(no_email=1)
    return deliver(owner, [returned_item(actual)])
