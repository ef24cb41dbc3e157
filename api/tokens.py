"""A person's own API tokens, on their settings pages: create, list, revoke."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api import services
from api.forms import TokenForm
from api.models import ApiToken


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    """Your tokens; a new one's secret is shown in the answer to the POST that made it, once,
    and never kept (not in the session, not in a message)."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    secret = created = None
    if request.method == "POST" and form.is_valid():
        created, secret = services.create_token(user=request.user, name=form.cleaned_data["name"])
        form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": ApiToken.objects.filter(user=request.user),
            "created": created,
            "secret": secret,
        },
    )


@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of your own tokens; anyone else's is not found."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_token(token=token)
    messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("api-tokens")
