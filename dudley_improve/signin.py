"""Two sign-in limits on django-axes' records.

django-axes has one failure limit for every lockout parameter it counts, so
locking an address after as few failures as one username gets would lock a
whole office behind a shared address for one user's typing. This handler
counts failures for the username from the address against
AXES_FAILURE_LIMIT and failures from the address, whatever the username,
against the higher AXES_ADDRESS_FAILURE_LIMIT.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import Sum

# The order of AXES_LOCKOUT_PARAMETERS, which get_user_attempts follows.
PAIR, ADDRESS = 0, 1


class SignInLimits(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """Failures as axes compares them with AXES_FAILURE_LIMIT.

        An address over its own limit counts as at the limit, so every
        username from it is refused until the cool-off ends.
        """
        pair, address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(pair, settings.AXES_FAILURE_LIMIT)
        return pair

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        # Only the username's own failures: signing in to one's own account
        # must not clear an address's failures against other people's.
        count, _ = self.filter_user_attempts(request, credentials)[PAIR].delete()
        return count
