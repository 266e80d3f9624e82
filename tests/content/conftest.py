import pytest

from tests.factories import make_creator, make_guide, make_product, product_card


@pytest.fixture
def api_client(client):
    """A reader's client; the site tree answers on 'localhost'."""
    client.defaults["HTTP_HOST"] = "localhost"
    return client


@pytest.fixture
def guide_with_draft():
    """A published guide titled "Live title" whose latest revision, a draft, is titled "Draft title"."""
    creator = make_creator("pia")
    guide = make_guide(creator, title="Live title", body=[product_card(make_product(variants=[("REC-1", "10.00", 5)]))])
    draft = guide.get_latest_revision_as_object()
    draft.title = "Draft title"
    draft.save_revision(user=creator.user)
    return guide
