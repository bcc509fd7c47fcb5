import pytest
from django.test import Client


@pytest.fixture
def client_as():
    """A test client logged in as the given persona."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
