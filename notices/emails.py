"""The reminder email: plain text with an HTML alternative, one per person per run."""

import datetime
from collections import Counter

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from notices.models import Reminder
from notices.plan import Item, link

SERVICE = "Dudley children's services improvement"
Kind = Reminder.Kind

# What each kind of reminder says, in the order the email lists them.
SECTIONS = {
    Kind.RETURNED: "These figures were returned to you. Change them and save them again.",
    Kind.OVERDUE: "The deadline for these has passed.",
    Kind.DEADLINE_DAY: "These are due today.",
    Kind.BEFORE_DEADLINE: "These are due in the next few working days.",
    Kind.AWAITING_SIGN_OFF: "These figures are waiting for you to sign them off or return them.",
    Kind.ESCALATION: (
        "These figures, in the areas you are responsible for, are well past their deadline."
    ),
}


def long_date(day: datetime.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _count(items: list[Item]) -> str:
    """ "3 figures", "1 action", "2 figures and 1 action"."""
    counts = Counter("action" if item.is_action else "figure" for item in items)
    return " and ".join(
        f"{n} {noun}{'' if n == 1 else 's'}" for noun in ("figure", "action") if (n := counts[noun])
    )


def _what(kind: str, items: list[Item]) -> str:
    if kind == Kind.BEFORE_DEADLINE:
        deadlines = {item.deadline for item in items}
        return f"{_count(items)} due " + (
            f"by {long_date(deadlines.pop())}" if len(deadlines) == 1 else "soon"
        )
    return (
        _count(items)
        + {
            Kind.DEADLINE_DAY: " due today",
            Kind.OVERDUE: " overdue",
            Kind.AWAITING_SIGN_OFF: " waiting for your sign-off",
            Kind.ESCALATION: " overdue in your areas",
            Kind.RETURNED: " returned to you",
        }[kind]
    )


def sections(items: list[Item]) -> list[dict]:
    return [
        {"kind": kind, "heading": Kind(kind).label, "intro": intro, "items": chosen}
        for kind, intro in SECTIONS.items()
        if (chosen := [item for item in items if item.kind == kind])
    ]


def reminder_email(recipient, items: list[Item]) -> EmailMultiAlternatives:
    parts = sections(items)
    subject = f"{SERVICE}: " + "; ".join(_what(part["kind"], part["items"]) for part in parts)
    context = {
        "service": SERVICE,
        "name": recipient.get_full_name() or recipient.get_username(),
        "sections": parts,
        "settings_link": link(reverse("account-settings")),
        "site_link": settings.SITE_URL + "/",
    }
    message = EmailMultiAlternatives(
        subject,
        render_to_string("notices/email/reminders.txt", context),
        to=[recipient.email],
    )
    message.attach_alternative(
        render_to_string("notices/email/reminders.html", context), "text/html"
    )
    return message
