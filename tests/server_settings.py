"""Production settings for a server a test starts; static files need no collectstatic."""

from dudley_improve.settings import *  # noqa: F403
from dudley_improve.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
