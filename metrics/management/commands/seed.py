import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from metrics.loading import FixtureError, LoadReport, load_plan_data
from priorities import roles
from priorities.models import Officer

# Loaded in this order: later files refer to the plans, actions and KPIs of earlier ones.
FIXTURES = [
    Path(settings.BASE_DIR) / "fixtures" / name
    for name in ("dudley.json", "published.json", "send_wsoa.json", "findings.json")
]

# Local logins only. The head of service acts for the post that owns the
# MASH and assessment KPIs in the shipped data; the director for the post that
# owns the leadership and workforce KPIs (CSIP.09); the approver for the
# responsible officer of the area those evidence, so signs off the director's figures.
DEMO_HEAD_OF_SERVICE_KPI = "CSIP.01"
DEMO_DIRECTOR_KPI = "CSIP.09"
DEMO_EMAIL_DOMAIN = "dudley-improve.example"
DEMO_USERS = [
    # username, password, group, is_staff, is_superuser
    ("head", "demo-head-of-service", roles.HEAD_OF_SERVICE, False, False),
    ("director", "demo-director", roles.HEAD_OF_SERVICE, False, False),
    ("approver", "demo-approver", roles.HEAD_OF_SERVICE, False, False),
    ("board", "demo-board-member", roles.BOARD_MEMBER, False, False),
    ("analyst", "demo-performance-analyst", roles.ANALYST, True, False),
    ("admin", "demo-administrator", None, True, True),
]


class Command(BaseCommand):
    help = "Load the Dudley improvement plan, its KPIs and figures. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument(
            "--file",
            type=Path,
            action="append",
            dest="files",
            help="A fixture to load; give it again for more (default: the shipped fixtures).",
        )
        parser.add_argument(
            "--demo-users",
            action="store_true",
            help="Also create one login per role, for local use only (refused unless DEBUG is on).",
        )

    def handle(self, *args, files: list[Path] | None, demo_users: bool, **options):
        if demo_users and not settings.DEBUG:
            raise CommandError(
                "--demo-users creates logins with published passwords, so it only runs with "
                "DEBUG=1 on a local machine. Create real accounts in the admin instead."
            )
        loaded = [(file, self._read(file)) for file in files or FIXTURES]
        report = LoadReport()
        try:
            with transaction.atomic():
                for file, data in loaded:
                    try:
                        load_plan_data(data, report)
                    except (FixtureError, KeyError, ValueError) as error:
                        raise CommandError(f"{file}: {error} (nothing was loaded)") from error
                roles.ensure_groups()
                if demo_users:
                    logins = self._create_demo_users()
        except (FixtureError, KeyError, ValueError) as error:
            raise CommandError(f"{error} (nothing was loaded)") from error

        for label, counts in (("Created", report.created), ("Already there", report.existing)):
            if counts:
                summary = ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
                self.stdout.write(f"{label}: {summary}")
        if not report.created:
            self.stdout.write("Nothing new to load: existing rows were left as they are.")
        if demo_users:
            self.stdout.write("\nDemo logins (local use only):")
            for username, password, role in logins:
                self.stdout.write(f"  {role:<28} username {username:<8} password {password}")

    @staticmethod
    def _read(file: Path) -> dict:
        try:
            return json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from error

    def _create_demo_users(self) -> list[tuple[str, str, str]]:
        groups = roles.ensure_groups()
        User = get_user_model()
        logins = []
        for username, password, group, is_staff, is_superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff, user.is_superuser = is_staff, is_superuser
            # A reserved domain (RFC 2606): reminders reach the console, never a real inbox.
            user.email = user.email or f"{username}@{DEMO_EMAIL_DOMAIN}"
            user.set_password(password)
            user.save()
            if group:
                user.groups.set([groups[group]])
            logins.append((username, password, group or "Administrator"))
        director_post = Officer.objects.filter(kpis__code=DEMO_DIRECTOR_KPI).first()
        approver_post = (
            Officer.objects.filter(areas__kpis__code=DEMO_DIRECTOR_KPI)
            .exclude(pk=director_post.pk if director_post else None)
            .order_by("areas__plan__start", "areas__number")
            .first()
        )
        for username, post in [
            ("head", Officer.objects.filter(kpis__code=DEMO_HEAD_OF_SERVICE_KPI).first()),
            ("director", director_post),
            ("approver", approver_post),
        ]:
            if post is not None:
                self._act_for(User.objects.get(username=username), post)
        if director_post is not None:
            self._submit_for_demo(User.objects.get(username="director"), director_post)
        return logins

    @staticmethod
    def _submit_for_demo(director, post: Officer) -> None:
        """The director's latest figures, as if just submitted: the demo approver has work.

        Every shipped plan has ended, so no figure falls due; without this the
        sign-off pages would be empty on a fresh ``make run``. Done once: a
        figure already moved on from the published state is left alone.
        """
        from metrics import signoff
        from metrics.models import Actual

        for kpi in post.kpis.filter(formula__isnull=True).order_by("code")[:2]:
            latest = kpi.actuals.order_by("-period").first()
            if latest is None or latest.state != Actual.State.SIGNED_OFF or latest.submitted_at:
                continue
            signoff.submitted(latest)
            latest.updated_by = latest._history_user = director
            latest._change_reason = "Demo: submitted for sign-off by the demo director"
            latest.save()

    @staticmethod
    def _act_for(user, post: Officer) -> None:
        """Link the demo login to the post, and to no other."""
        for previous in Officer.objects.filter(user=user).exclude(pk=post.pk):
            previous.user = None
            previous.save()
        if post.user != user:
            post.user = user
            post.save()
