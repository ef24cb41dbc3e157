import pytest
from django.test import override_settings


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    # Real hashers take ~100 ms per login; tests log in hundreds of times.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield
