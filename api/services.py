"""Every token write: the settings page and the data admin both call these."""

import secrets

from django.utils import timezone

from api.models import PREFIX_LENGTH, ApiToken, hash_secret


def _new_secret() -> str:
    # Eight characters give 2**48 prefixes: a repeat is all but impossible, but
    # the prefix is unique in the table, so one would be drawn again, not fail.
    while True:
        secret = secrets.token_urlsafe(32)
        if not ApiToken.objects.filter(prefix=secret[:PREFIX_LENGTH]).exists():
            return secret


def create_token(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its secret, which is never stored and shown only now."""
    secret = _new_secret()
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=secret[:PREFIX_LENGTH], key_hash=hash_secret(secret)
    )
    return token, secret


def revoke_token(*, token: ApiToken) -> None:
    """Refuse the token from now on; it stays listed, marked revoked."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
