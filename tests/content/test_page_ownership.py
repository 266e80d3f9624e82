import pytest

from content.models import BuyingGuidePage
from tests.factories import make_creator, make_guide, storefront_of

pytestmark = pytest.mark.django_db


def test_a_guide_moved_to_another_storefront_belongs_to_that_creator():
    ann, ben = make_creator("ann"), make_creator("ben")
    guide = make_guide(ann, slug="moving")
    assert guide.creator == ann

    guide.move(storefront_of(ben), pos="last-child")

    assert BuyingGuidePage.objects.get(pk=guide.pk).creator == ben
