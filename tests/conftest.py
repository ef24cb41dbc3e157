import pytest
from django.test import override_settings


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Real hashers take ~100 ms per login; tests log in hundreds of times.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _plain_static_files_and_http():
    # Unit tests serve pages without collectstatic and over plain HTTP; the
    # production storage and TLS settings are tested where they matter
    # (tests/test_security.py and the browser tests).
    with override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        SECURE_SSL_REDIRECT=False,
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    # Board pages cache their content; each test starts with nothing cached.
    from django.core.cache import cache

    cache.clear()
