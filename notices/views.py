from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from api.models import ApiToken
from notices.forms import PreferencesForm
from notices.models import Preferences
from priorities.models import Officer, PriorityArea


def _roles(user) -> list[str]:
    names = list(user.groups.order_by("name").values_list("name", flat=True))
    return ["Administrator", *names] if user.is_superuser else names


@require_http_methods(["GET", "HEAD", "POST"])
def account_settings(request: HttpRequest) -> HttpResponse:
    """A person's own settings: who the service thinks they are, and which emails they get.

    Each setting is a section of the page; API tokens have a page of their own.
    """
    user = request.user
    preferences = Preferences.objects.filter(user=user).first() or Preferences(user=user)
    # An unticked box posts nothing, so the form is bound on any POST.
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, instance=preferences)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your email settings are saved.")
        return redirect("account-settings")
    return render(
        request,
        "notices/account_settings.html",
        {
            "form": form,
            "roles": _roles(user),
            "posts": Officer.objects.filter(user=user),
            "areas": PriorityArea.objects.filter(responsible_officer__user=user).select_related(
                "plan"
            ),
            "active_tokens": ApiToken.objects.filter(user=user).active().count(),
        },
    )
