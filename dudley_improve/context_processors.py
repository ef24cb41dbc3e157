from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from metrics import signoff
from priorities import roles


def menu(request: HttpRequest) -> dict:
    """What the header menu offers: only pages this user can open and has a use for.

    Worked out only when a page draws the menu.
    """
    user = getattr(request, "user", None)  # absent if a middleware answered first
    if user is None:
        return {}
    return {
        "has_updates": SimpleLazyObject(lambda: roles.has_updates(user)),
        "approves_figures": SimpleLazyObject(
            lambda: settings.SIGN_OFF_REQUIRED and signoff.approves_figures(user)
        ),
    }
