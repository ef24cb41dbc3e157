"""A small council for reminder tests, and a real SMTP server to send them through."""

import datetime
import socket
import threading
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller

from priorities import roles
from tests.factories import (
    KpiFactory,
    OfficerFactory,
    PlanFactory,
    PriorityAreaFactory,
    UserFactory,
)

D = datetime.date
SITE = "https://improve.example.gov.uk"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.BANK_HOLIDAYS = frozenset()
    settings.SUBMISSION_DEADLINE_WORKING_DAY = 10
    settings.REMINDER_WORKING_DAYS_BEFORE = 3
    settings.SIGN_OFF_REMINDER_WORKING_DAYS = 3
    settings.ESCALATION_WORKING_DAYS = 5
    settings.SIGN_OFF_REQUIRED = True


def person(username: str, group: str = roles.HEAD_OF_SERVICE, **extra):
    user = UserFactory(username=username, **{"email": f"{username}@dudley.example", **extra})
    user.groups.add(roles.ensure_groups()[group])
    return user


@dataclass
class Council:
    head: object
    manager: object
    area: object
    kpi: object


@pytest.fixture
def council(db) -> Council:
    """A running plan; one area whose responsible officer has a login; a KPI a head owns.

    The KPI reports monthly from January 2026, so October 2026's figure is
    due by working day 10 of November 2026: Friday 13 November.
    """
    head, manager = person("head"), person("manager")
    plan = PlanFactory(start=D(2026, 1, 1), end=None)
    area = PriorityAreaFactory(plan=plan, responsible_officer=OfficerFactory(user=manager))
    kpi = KpiFactory(
        code="PI.426",
        title="Single assessments within 45 working days",
        owner=OfficerFactory(user=head),
        reporting_from=D(2026, 1, 1),
    )
    kpi.areas.add(area)
    return Council(head, manager, area, kpi)


@dataclass
class Received:
    sender: str
    recipients: list
    data: bytes


class _Handler:
    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free local port; Django's SMTP backend pointed at it."""
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "improvement-plan@dudley.example"
    yield handler
    controller.stop()
