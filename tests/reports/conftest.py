import pytest

from priorities import roles
from tests.factories import UserFactory


@pytest.fixture
def board_client(client):
    """Signed in as a board member: reads every board page, writes nothing."""
    user = UserFactory(username="board")
    user.groups.add(roles.ensure_groups()[roles.BOARD_MEMBER])
    client.force_login(user)
    return client
