"""The buy flow's statements (issue 14): create a cart, add a line, check out, pay; each endpoint at two
cart sizes after a warm-up, counted exactly (Django's count, BEGIN/COMMIT included).

PostgreSQL takes the advisory locks SQLite does without (it serialises writers), the buyer's and the client's
reservation cap at checkout, in the statement that locks the cart. On PostgreSQL the writes of a step that wait
for nothing are one statement (``shop.services.write_batches``); SQLite sends each through the ORM.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shop.models import Cart, CartLine, Order, OrderStatus
from tests.shop.helpers import on_hand, variant_with_stock

pytestmark = pytest.mark.django_db

BATCHED = connection.vendor == "postgresql"  # a batch of writes is one statement (write_batches)

CREATE_CART = 1  # the insert; a new cart has no lines to read back
# begin, cart (found by its token, stamped and so locked: UPDATE … RETURNING), variant (with its availability),
# lines (with theirs), line and event (one batch), commit
ADD_LINE = 6 if BATCHED else 7
# begin, cart (found by its token, locked and its checkout counted: UPDATE … RETURNING, which on PostgreSQL also takes
# the buyer's and the client's advisory locks, and the order's key; its first checkout reads no pending orders to
# replace), lines (with the units the buyer already bought, and the keys of the order's lines and groups), stock
# locks, others' and the client's holds (one read); one batch: order, fulfilment groups (one per brand), order lines,
# holds, placed event and attribution (SQLite: order, groups and lines each an insert, before the stock locks);
# commit; then payment and payment event (one statement on PostgreSQL; the event's insert reads the order's status
# under a share lock: "paid meanwhile?")
CHECKOUT = 8 if BATCHED else 14
# payments (with their order: the buyer's secret is checked on it); begin, cart, payment and order (found by the
# payment and locked together in one statement, in that order), lines (with their products, kept for the answer),
# stock locks, others' holds; one batch: payment update, holds deleted, stock update, order update, paid event,
# cart lines deleted; then (announced after that batch) report day and cart closed (one batch with the cart's
# stamp, which answers how many other orders are pending), commit (no other pending orders read: the cart started
# one checkout). The
# answer shows the payments read first, the paid one as the payment left it: no re-read. No commission decisions
# read (no line and no voucher names a creator) and no reader-reward look-up (no clicked line).
PAY = 9 if BATCHED else 15
# Not counted above (a test's transaction never commits): the work after each commit, counted by
# test_the_whole_flow_with_its_after_commit_work below, whose requests commit as the bench's do. With no live
# session on air, neither checkout nor pay looks up the sessions showing the products
# (content.live.changes.any_session_live, a cached flag). Pay's confirmation e-mail (the database task queue, as in
# production and the bench) is a row written in the payment's transaction, in its batch of writes on PostgreSQL (no
# statement of its own), an insert of its own on SQLite; nothing after the commit.
AFTER_CHECKOUT = 0
AFTER_PAY = 0
PAY_MAIL = 0 if BATCHED else 1
WHOLE_FLOW = CREATE_CART + ADD_LINE + CHECKOUT + AFTER_CHECKOUT + PAY + PAY_MAIL + AFTER_PAY


@pytest.fixture(autouse=True)
def _shop(shop_settings):
    return shop_settings


def _cart_of(size: int) -> str:
    cart = Cart.objects.create()
    for number in range(size):
        CartLine.objects.create(cart=cart, variant=variant_with_stock(f"Q-{number}", price="20.00", on_hand=5),
                                quantity=1)
    return cart.token


def _warm_up(api) -> None:
    """One whole flow first: caches, content types and lazily built schemas are filled."""
    variant_with_stock("W-1", price="5.00")
    token = api.post("/carts/").json()["token"]
    api.post(f"/carts/{token}/lines", {"sku": "W-1", "quantity": 1})
    body = api.post(f"/carts/{token}/checkout", {"email": "warm@example.com", "fulfilment": "pickup"}).json()
    api.post(f"/orders/{body['order']['number']}/pay", **{"X-Order-Secret": body["order_secret"]})


def test_creating_a_cart_is_one_statement(api, django_assert_num_queries):
    _warm_up(api)

    with django_assert_num_queries(CREATE_CART):
        response = api.post("/carts/")

    assert (response.status_code, response.json()["lines"], response.json()["item_count"]) == (201, [], 0)


@pytest.mark.parametrize("size", [0, 4])
def test_adding_a_line_costs_the_same_statements_at_any_cart_size(api, django_assert_num_queries, size):
    _warm_up(api)
    token = _cart_of(size)
    variant_with_stock("HP-1", price="124.99", on_hand=3)

    with django_assert_num_queries(ADD_LINE):
        response = api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 2})

    body = response.json()
    assert response.status_code == 201
    assert [(line["sku"], line["quantity"], line["available"]) for line in body["lines"]][-1] == ("HP-1", 2, 3)
    assert (body["item_count"], body["subtotal"]) == (size + 2, f"{20 * size + 249.98:.2f}")


@pytest.mark.parametrize("size", [1, 4])
def test_checking_out_costs_the_same_statements_at_any_cart_size(api, django_assert_num_queries, size):
    _warm_up(api)
    token = _cart_of(size)

    with django_assert_num_queries(CHECKOUT):
        response = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"})

    body = response.json()
    assert (response.status_code, body["order"]["status"], body["order"]["total"]) == (201, "pending", f"{20 * size}.00")
    assert [line["sku"] for line in body["order"]["lines"]] == [f"Q-{number}" for number in range(size)]
    assert (body["order"]["payment"]["status"], body["payment"]["gateway"]) == ("pending", "dummy")


@pytest.mark.parametrize("size", [1, 4])
def test_paying_costs_the_same_statements_at_any_order_size(api, django_assert_num_queries, size):
    _warm_up(api)
    token = _cart_of(size)
    placed = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"}).json()

    with django_assert_num_queries(PAY):
        response = api.post(f"/orders/{placed['order']['number']}/pay", **{"X-Order-Secret": placed["order_secret"]})

    body = response.json()
    assert (response.status_code, body["status"], body["payment"]["status"]) == (200, "paid", "succeeded")
    assert Order.objects.get(number=placed["order"]["number"]).status == OrderStatus.PAID
    assert [on_hand(f"Q-{number}") for number in range(size)] == [4] * size
    assert not CartLine.objects.filter(cart__token=token).exists()


@pytest.mark.django_db(transaction=True)
def test_the_whole_flow_with_its_after_commit_work(api, settings):
    """What the bench counts: four requests that really commit, with the work each commit starts, e-mails
    queued as production queues them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    _warm_up(api)
    variant_with_stock("HP-1", price="124.99", on_hand=3)

    with CaptureQueriesContext(connection) as captured:
        token = api.post("/carts/").json()["token"]
        api.post(f"/carts/{token}/lines", {"sku": "HP-1", "quantity": 1})
        placed = api.post(f"/carts/{token}/checkout", {"email": "ada@example.com", "fulfilment": "pickup"}).json()
        paid = api.post(f"/orders/{placed['order']['number']}/pay", **{"X-Order-Secret": placed["order_secret"]})

    assert len(captured.captured_queries) == WHOLE_FLOW
    assert (paid.status_code, paid.json()["status"], on_hand("HP-1")) == (200, "paid", 2)
