"""A checkout does no needless background work: shop rows are not reference-indexed and the
reservation sweep is a scheduled job, not a task per checkout."""

import pytest
from django_tasks import task_backends

from shop.models import Cart, Order, OrderLine, Payment, StockReservation
from shop.services.checkout import confirm_payment
from tests.shop.helpers import cart_with, checkout, variant_with_stock

pytestmark = pytest.mark.django_db


def test_buying_enqueues_only_the_confirmation_e_mail(shop_settings, settings, django_capture_on_commit_callbacks):
    variant_with_stock("A-1", on_hand=5)
    variant_with_stock("B-1", on_hand=5)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    backend = task_backends["default"]

    with django_capture_on_commit_callbacks(execute=True):
        cart = cart_with(("A-1", 1), ("B-1", 2))
        order = confirm_payment(checkout(cart).order)

    assert order.status == "paid"
    # The buyer's confirmation goes out of the request (issue 16); nothing else is queued per checkout.
    assert [(result.task.module_path, result.args) for result in backend.results] == [
        ("shop.services.notifications.send_order_email_task", [order.pk, "confirmation", ""])]


@pytest.mark.parametrize("model", [Cart, Order, OrderLine, Payment, StockReservation])
def test_transactional_shop_rows_are_not_reference_indexed(model):
    from wagtail.models import ReferenceIndex

    assert ReferenceIndex.model_is_indexable(model) is False
