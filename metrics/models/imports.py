"""The record of each workbook import."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportRun(models.Model):
    """One workbook import: who loaded which file, what it changed or would have, and why not.

    The uploaded bytes are kept only while a preview waits for confirmation,
    so confirming re-reads exactly the file that was previewed.
    """

    class Outcome(models.TextChoices):
        PREVIEWED = "previewed", "Previewed, not applied"
        APPLIED = "applied", "Applied"
        REFUSED = "refused", "Refused"
        REJECTED = "rejected", "Rows rejected, nothing written"
        CANCELLED = "cancelled", "Cancelled"

    class Via(models.TextChoices):
        ADMIN = "admin", "Data admin"
        COMMAND = "command", "Command line"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.ADMIN)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PREVIEWED)
    message = models.TextField(blank=True, help_text="Why the file was refused, or what happened.")
    reason = models.CharField(
        max_length=300, blank=True, help_text="Given for changes to locked months."
    )
    counts = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    file_data = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "workbook import"
        ordering = ["-created_at", "-pk"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_outcome_display().lower()})"

    @staticmethod
    def preview_cutoff() -> datetime.datetime:
        """Previews made before this are too old to confirm (IMPORT_PREVIEW_HOURS)."""
        return timezone.now() - datetime.timedelta(hours=settings.IMPORT_PREVIEW_HOURS)

    @property
    def is_pending(self) -> bool:
        """An admin preview not yet confirmed or cancelled (command-line previews end at once)."""
        return self.outcome == self.Outcome.PREVIEWED and self.finished_at is None

    @property
    def awaits_confirmation(self) -> bool:
        """A pending preview that can still be confirmed."""
        return self.is_pending and self.created_at >= self.preview_cutoff()

    @property
    def preview_expired(self) -> bool:
        """A pending preview left unconfirmed for longer than IMPORT_PREVIEW_HOURS."""
        return self.is_pending and self.created_at < self.preview_cutoff()
