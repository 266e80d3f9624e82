import pytest


@pytest.fixture
def api_client(client):
    """A reader's client; the site tree answers on 'localhost'."""
    client.defaults["HTTP_HOST"] = "localhost"
    return client
