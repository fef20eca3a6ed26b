"""Fixtures shared by the workbench tests."""

import pytest

from tests.factories import make_user, sign_in


@pytest.fixture
def analyst(client, session):
    """An analyst, signed in on `client`."""
    user = make_user(session, "analyst")
    sign_in(client, "analyst@example.com")
    return user
