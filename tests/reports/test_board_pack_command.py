"""manage.py board_pack: the file it writes, what it prints, and the board members it emails."""

import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from django.test import override_settings

from priorities import roles
from tests.factories import UserFactory
from tests.reports import export_fixtures
from tests.reports.pdf_helpers import needs_pdf_tools

pytestmark = pytest.mark.django_db
fake, plan = export_fixtures.fake, export_fixtures.plan


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def board():
    """Board members with and without an email address, and others who are not on the board."""
    groups = roles.ensure_groups()
    people = {}
    for name, group, email, active in [
        ("chair", roles.BOARD_MEMBER, "chair@example.org", True),
        ("member", roles.BOARD_MEMBER, "member@example.org", True),
        ("no-email", roles.BOARD_MEMBER, "", True),
        ("left", roles.BOARD_MEMBER, "left@example.org", False),
        ("head", roles.HEAD_OF_SERVICE, "head@example.org", True),
    ]:
        people[name] = UserFactory(username=name, email=email, is_active=active)
        people[name].groups.add(groups[group])
    return people


def run(*args: str) -> str:
    out = StringIO()
    call_command("board_pack", *args, stdout=out)
    return out.getvalue()


@needs_pdf_tools
def test_writes_the_pdf_and_emails_it_to_the_board(plan, board, tmp_path):
    target = tmp_path / "pack.pdf"
    said = run(
        "--plan", "improvement-plan-2021", "--period", "2021-09", "--output", str(target), "--email"
    )
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    lines = said.splitlines()
    assert lines[:4] == ["Building the pack…", "Area 1 of 2", "Area 2 of 2", "Rendering PDF…"]
    assert lines[4] == f"Wrote {target} ({round(len(data) / 1024)} KB)"
    assert lines[5:] == ["Sent to chair <chair@example.org>", "Sent to member <member@example.org>"]
    assert sorted(m.to[0] for m in mail.outbox) == ["chair@example.org", "member@example.org"]
    assert all(
        len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox
    )  # no one sees the others
    message = mail.outbox[0]
    assert message.subject == "Board pack: Improvement plan 2021, September 2021"
    assert message.attachments == [
        ("improvement-plan-2021-2021-09-board-pack.pdf", data, "application/pdf")
    ]
    assert "Improvement plan 2021, September 2021" in message.body
    assert message.alternatives[0].mimetype == "text/html"


def test_plan_by_id_and_the_default_file_name_and_month(plan, fake, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    said = run("--plan", str(plan.pk), "--format", "txt")
    written = tmp_path / "improvement-plan-2021-2021-09-board-pack.txt"
    assert written.read_bytes() == b"improvement-plan-2021 2021-09 areas 1,2"
    assert "Wrote improvement-plan-2021-2021-09-board-pack.txt (1 KB)" in said


@pytest.mark.parametrize(
    "args, message",
    [
        (["--plan", "nope"], "there is no plan “nope”. Plans: "),
        (["--plan", "999"], "there is no plan “999”"),
        (
            ["--plan", "improvement-plan-2021", "--period", "2021-13"],
            "--period: '2021-13' has no month 13",
        ),
    ],
)
def test_a_bad_plan_or_month_is_a_clear_error(plan, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_an_unknown_format_is_refused(plan):
    with pytest.raises(CommandError, match="invalid choice: 'docx'"):
        run("--plan", "improvement-plan-2021", "--format", "docx")


@override_settings(PDF_CHROMIUM="/nonexistent/chromium")
def test_without_chromium_the_pdf_fails_with_the_pages_message(plan, tmp_path):
    with pytest.raises(CommandError, match="This server cannot make PDFs"):
        run("--plan", "improvement-plan-2021", "--output", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()


def test_no_board_member_with_an_email_is_a_failure(plan, fake, tmp_path):
    target = tmp_path / "pack.txt"
    with pytest.raises(CommandError, match="No active board member has an email address"):
        run(
            "--plan", "improvement-plan-2021", "--format", "txt", "--output", str(target), "--email"
        )
    assert target.exists()  # the file is still written


@override_settings(EMAIL_BACKEND=f"{__name__}.FailingBackend")
def test_a_mail_server_failure_is_a_failure(plan, board, fake, tmp_path):
    with pytest.raises(CommandError, match="Could not send the pack by email"):
        run(
            "--plan",
            str(plan.pk),
            "--format",
            "txt",
            "--output",
            str(tmp_path / "p.txt"),
            "--email",
        )
