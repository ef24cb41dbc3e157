import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notices.emails import long_date
from notices.services import send_reminders


def _day(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date: write it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Email reminders of figures and actions due or overdue, figures waiting for sign-off, "
        "escalations and returned figures, each once. Run it daily (README)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", type=_day, help="Run as of this day (YYYY-MM-DD).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print who would get what; send nothing."
        )

    def handle(self, *args, date=None, dry_run=False, **options):
        on = date or timezone.localdate()
        outcome = send_reminders(on, dry_run=dry_run)
        if dry_run:
            self.stdout.write(f"Dry run for {long_date(on)}: nothing sent or recorded.")
            for user, items in outcome.planned:
                self.stdout.write(f"{user.get_username()} <{user.email}>:")
                for item in items:
                    self.stdout.write(f"  {item.kind} {item.key} {item.code}: {item.title}")
        if dry_run:
            outcome.emails = len(outcome.planned)
            outcome.sent = sum(len(items) for _, items in outcome.planned)
        verb = "would be sent" if dry_run else "sent"
        self.stdout.write(
            f"{long_date(on)}: {outcome.emails} emails {verb} ({outcome.sent} reminders); "
            f"skipped {outcome.already_sent} already sent, {outcome.no_email} people with no "
            f"email address, {outcome.opted_out} advance reminders opted out of; "
            f"{outcome.failed} failed."
        )
        if outcome.failed:
            raise CommandError(
                f"{outcome.failed} reminder emails failed; the next run retries them (see the log)."
            )
