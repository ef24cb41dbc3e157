"""How a request proves who it is (a personal token) and how often it may ask."""

import hmac

from django.conf import settings
from django.utils import timezone
from rest_framework import authentication, exceptions, throttling

from api.models import PREFIX_LENGTH, ApiToken, hash_secret

KEYWORDS = ("token", "bearer")


class TokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <secret>`` (or ``Bearer <secret>``), for the token's owner.

    A revoked token, or one whose owner's login is no longer active, is
    refused with 401 like a wrong one: a token reads what its owner may read.
    """

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the token after the word Token, with one space: Token <your token>."
            )
        try:
            secret = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("That token is not valid.") from None
        token = (
            ApiToken.objects.select_related("user").filter(prefix=secret[:PREFIX_LENGTH]).first()
        )
        if token is None or not hmac.compare_digest(token.key_hash, hash_secret(secret)):
            raise exceptions.AuthenticationFailed("That token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("That token has been revoked.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The login this token belongs to is not active.")
        token.record_use(timezone.now())
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """API_RATE requests per token (per login for a signed-in reader of the schema)."""

    scope = "token"

    def get_rate(self) -> str | None:
        return settings.API_RATE or None

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            return f"api-throttle-token-{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"api-throttle-user-{request.user.pk}"
        return None
