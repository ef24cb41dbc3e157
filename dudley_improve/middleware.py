import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.middleware.gzip import GZipMiddleware

_SIGNED_IN_AT = "signed_in_at"
_LAST_SEEN = "last_seen_at"


class SessionTimeoutMiddleware:
    """Sign people out after SESSION_IDLE_TIMEOUT idle seconds or SESSION_ABSOLUTE_TIMEOUT in all.

    A shared council PC left signed in is the risk this closes.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            signed_in = session.setdefault(_SIGNED_IN_AT, now)
            idle = now - session.get(_LAST_SEEN, now)
            if idle > settings.SESSION_IDLE_TIMEOUT or now - signed_in > (
                settings.SESSION_ABSOLUTE_TIMEOUT
            ):
                logout(request)
                messages.info(request, "You were signed out to keep the data safe. Sign in again.")
                return redirect_to_login(request.get_full_path())
            # Saving the session on every request would cost a write each
            # time; to the minute is close enough for a 30-minute limit.
            if now - session.get(_LAST_SEEN, 0) > 60:
                session[_LAST_SEEN] = now
        return self.get_response(request)


def client_ip(request) -> str:
    """The address a request came from, seen through TRUSTED_PROXY_COUNT trusted proxies.

    Each proxy appends the address it received from to X-Forwarded-For, so
    the client is the entry that many places from the right; anything
    further left could have been written by the client itself.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


# Files that are zip or deflate inside already: gzipping them again costs
# time on every download and saves next to nothing.
COMPRESSED_TYPES = (
    "application/pdf",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.",
)


class Compress(GZipMiddleware):
    """Django's gzip for pages and CSV, leaving the already-compressed downloads alone."""

    def process_response(self, request, response):
        if response.get("Content-Type", "").startswith(COMPRESSED_TYPES):
            return response
        return super().process_response(request, response)
