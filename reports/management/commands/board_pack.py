"""Write the board pack for a plan and month to a file, and optionally email it to the board.

For a scheduled job after each month's lock (README, Board packs), e.g.
``manage.py board_pack --plan improvement-plan-2021 --period 2021-09 --format pdf
--output pack.pdf --email``.
"""

import smtplib
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import timezone

from metrics import periods
from notices.emails import SERVICE
from priorities import roles
from priorities.models import Plan
from reports import board, pack
from reports.exports import FORMATS, Format, filename, pdf


def _plan(raw: str) -> Plan:
    found = Plan.objects.filter(pk=int(raw)) if raw.isdigit() else Plan.objects.filter(slug=raw)
    plan = found.first()
    if plan is None:
        known = ", ".join(f"{p.pk} ({p.slug})" for p in Plan.objects.order_by("pk")) or "none"
        raise CommandError(f"--plan: there is no plan “{raw}”. Plans: {known}.")
    return plan


def board_members() -> list:
    """Every active board member with an email address, by username."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.BOARD_MEMBER)
        .exclude(email="")
        .distinct()
        .order_by("username")
    )


def pack_email(recipient, content: pack.Pack, fmt: Format, name: str, data: bytes):
    """The pack attached to a plain-text email with an HTML alternative."""
    context = {
        "service": SERVICE,
        "name": recipient.get_full_name() or recipient.get_username(),
        "plan": content.plan,
        "period": content.period,
        "format": fmt,
        "file_name": name,
        "site_link": settings.SITE_URL + "/",
    }
    message = EmailMultiAlternatives(
        f"Board pack: {content.plan.title}, {content.period:%B %Y}",
        render_to_string("reports/email/board_pack.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("reports/email/board_pack.html", context), "text/html"
    )
    message.attach(name, data, fmt.content_type)
    return message


class Command(BaseCommand):
    help = (
        "Write the board pack for a plan and month as PDF, Excel or PowerPoint; with --email, "
        "send it to every active board member with an email address."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="The plan's id or slug.")
        parser.add_argument(
            "--period", help="Month as YYYY-MM (default: the latest month with figures)."
        )
        parser.add_argument("--format", choices=list(FORMATS), default="pdf")
        parser.add_argument(
            "--output", help="File to write (default: the download's name, in this folder)."
        )
        parser.add_argument(
            "--email", action="store_true", help="Email the file to the board members."
        )

    def handle(self, *args, plan, period, format, output, email, **options):
        chosen = _plan(plan)
        today = timezone.localdate()
        if period:
            try:
                month = periods.parse_month(period)
            except ValueError as error:
                raise CommandError(f"--period: {error}") from error
        else:
            month = board.choose_period(None, board.months_with_data(chosen), today=today).period
        fmt = FORMATS[format]
        if fmt.key == "pdf" and not pdf.available():
            others = " or ".join(key for key in FORMATS if key != "pdf")
            raise CommandError(f"{pdf.UNAVAILABLE} Use --format {others} instead.")
        name = filename(chosen.slug, month, "board-pack", fmt.extension)
        self.stdout.write("Building the pack…")
        content = pack.build(chosen, month, today=today)
        try:
            data = fmt.render_pack(content, progress=self.stdout.write)
        except pdf.PdfError as error:
            raise CommandError(str(error)) from error
        path = Path(output or name)
        try:
            path.write_bytes(data)
        except OSError as error:
            raise CommandError(f"--output: cannot write {path}: {error.strerror}.") from error
        self.stdout.write(f"Wrote {path} ({max(1, round(len(data) / 1024))} KB)")
        if email:
            self._send(content, fmt, name, data)

    def _send(self, content: pack.Pack, fmt: Format, name: str, data: bytes) -> None:
        recipients = board_members()
        if not recipients:
            raise CommandError(
                "No active board member has an email address: the file was written, not sent."
            )
        messages = [pack_email(user, content, fmt, name, data) for user in recipients]
        try:
            get_connection(fail_silently=False).send_messages(messages)
        except (smtplib.SMTPException, OSError) as error:
            raise CommandError(f"Could not send the pack by email: {error}") from error
        for user in recipients:
            self.stdout.write(f"Sent to {user.get_username()} <{user.email}>")
