"""A person's email preferences, and the record that makes each reminder go once."""

from django.conf import settings
from django.db import models


class Preferences(models.Model):
    """One per person; a person without a row has the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    non_essential = models.BooleanField(
        "send me reminders before the deadline",
        default=True,
        help_text="The advance reminder a few working days before a deadline. Deadline-day, "
        "overdue, sign-off and returned-figure emails are always sent.",
    )

    class Meta:
        verbose_name = "email preferences"
        verbose_name_plural = "email preferences"

    def __str__(self) -> str:
        return f"Email preferences of {self.user}"

    @classmethod
    def opted_out(cls, user_ids) -> set[int]:
        """Who among these people asked not to get non-essential emails."""
        return set(
            cls.objects.filter(user_id__in=user_ids, non_essential=False).values_list(
                "user_id", flat=True
            )
        )


class Reminder(models.Model):
    """One reminder of one item to one person, for one day: written when it is claimed.

    The unique constraint is the once-only rule: a run inserts the rows it
    means to send (ignoring any already there), locks this person's unsent
    ones and marks them sent in the same transaction as the email goes
    (``notices.services.deliver``).
    """

    class Kind(models.TextChoices):
        BEFORE_DEADLINE = "before_deadline", "Due soon"
        DEADLINE_DAY = "deadline_day", "Due today"
        OVERDUE = "overdue", "Overdue"
        AWAITING_SIGN_OFF = "awaiting_sign_off", "Waiting for your sign-off"
        ESCALATION = "escalation", "Overdue in an area you are responsible for"
        RETURNED = "returned", "Returned to you"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    item = models.CharField(
        max_length=60, help_text='What it is about, e.g. "actual:12:2026-10" or "action:7".'
    )
    day = models.DateField(help_text="The day the reminder is for.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day", "recipient", "kind", "item"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "item", "day"], name="reminder_once_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.item} to {self.recipient} for {self.day}"

    @property
    def key(self) -> tuple[str, str, object]:
        return (self.kind, self.item, self.day)
