from pathlib import Path

from django.contrib.auth import get_user_model

from metrics.models import Kpi
from priorities import roles

AXE = (Path(__file__).parent / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PASSWORD = "a-long-enough-passphrase"


def make_logins() -> dict:
    groups = roles.ensure_groups()
    User = get_user_model()
    users = {}
    for name, group, staff in [
        ("head", roles.HEAD_OF_SERVICE, False),
        ("board", roles.BOARD_MEMBER, False),
        ("analyst", roles.ANALYST, True),
    ]:
        user = User.objects.create_user(name, password=PASSWORD, is_staff=staff)
        user.groups.add(groups[group])
        users[name] = user
    mash = Kpi.objects.get(code="CSIP.01").owner
    mash.user = users["head"]
    mash.save()
    return users


def check_accessibility(page) -> None:
    """Run axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules; fail on any violation."""
    page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"][0]) for node in v["nodes"][:3])
        for v in result["violations"]
    ]
    assert not problems, f"{page.url}: " + "; ".join(problems)


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    check_accessibility(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
