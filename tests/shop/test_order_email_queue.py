"""The order e-mail is queued to django_tasks_db's table (in the payment's write batch, or ``notifications.enqueue``):
the row must be the one the backend's own ``enqueue`` writes, announced the same way, and run as the worker runs it."""

import contextlib

import pytest
from django.db import transaction
from django.core import mail
from django_tasks import task_backends
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult

from shop.services import write_batches
from shop.services.checkout import confirm_payment
from shop.services.notifications import notify_buyer, send_order_email_task
from tests.shop.helpers import cart_with, checkout, intent_object, post_webhook, signed_event, variant_with_stock

pytestmark = pytest.mark.django_db

PATH = "shop.services.notifications.send_order_email_task"
COLUMNS = ["status", "started_at", "finished_at", "args_kwargs", "priority", "task_path", "worker_ids", "queue_name",
           "backend_name", "run_after", "return_value", "exception_class_path", "traceback"]


@pytest.fixture
def database_queue(shop_settings, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    return task_backends["default"]


def test_a_paid_order_queues_the_row_the_backend_writes_and_the_worker_mails_once(
        database_queue, django_capture_on_commit_callbacks):
    variant_with_stock("A-1", on_hand=5)
    variant_with_stock("B-1", on_hand=5)
    announced = []

    def listen(sender, task_result, **kwargs):
        announced.append((sender, task_result.id, task_result.task.module_path, task_result.args))

    task_enqueued.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = confirm_payment(checkout(cart_with(("A-1", 1), ("B-1", 2))).order)
        ours = DBTaskResult.objects.get(task_path=PATH)
        theirs = send_order_email_task.enqueue(order.pk, "confirmation", "").db_result  # the backend's own
    finally:
        task_enqueued.disconnect(listen)

    theirs.refresh_from_db()
    assert [getattr(ours, column) for column in COLUMNS] == [getattr(theirs, column) for column in COLUMNS]
    assert ours.args_kwargs == {"args": [order.pk, "confirmation", ""], "kwargs": {}}
    assert ours.enqueued_at is not None and ours.enqueued_at <= theirs.enqueued_at
    mails = [entry for entry in announced if entry[2] == PATH]
    assert mails == [(type(database_queue), str(ours.id), PATH, [order.pk, "confirmation", ""]),
                     (type(database_queue), str(theirs.id), PATH, [order.pk, "confirmation", ""])]

    # What the worker does with each row (db_worker closes the test's connection): its task, called with its args.
    results = [row.task.call(*row.task_result.args, **row.task_result.kwargs)
               for row in DBTaskResult.objects.filter(task_path=PATH).order_by("enqueued_at")]
    assert results == [True, False]  # mailed once: the second row finds the notice sent
    assert [message.to for message in mail.outbox] == [[order.email]]


def test_the_e_mail_row_is_written_with_the_payment_and_announced_after_its_commit(
        database_queue, django_capture_on_commit_callbacks):
    """The task's row is one of the payment's writes (it commits with the order: the worker sees neither before the
    other); the announcement waits for the commit, as the backend's own enqueue after a commit would send it."""
    variant_with_stock("A-1", on_hand=5)
    order = checkout(cart_with(("A-1", 1))).order
    announced = []

    def listen(sender, task_result, **kwargs):
        announced.append((task_result.task.module_path, task_result.args))

    task_enqueued.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            confirm_payment(order)
        rows = list(DBTaskResult.objects.filter(task_path=PATH).values_list("args_kwargs", "status"))
        assert rows == [({"args": [order.pk, "confirmation", ""], "kwargs": {}}, "READY")]
        assert [entry for entry in announced if entry[0] == PATH] == []

        for callback in callbacks:
            callback()
    finally:
        task_enqueued.disconnect(listen)
    assert [entry for entry in announced if entry[0] == PATH] == [(PATH, [order.pk, "confirmation", ""])]
    assert DBTaskResult.objects.filter(task_path=PATH).count() == 1  # nothing queued again after the commit


def test_a_rolled_back_payment_queues_no_e_mail(database_queue, django_capture_on_commit_callbacks, monkeypatch):
    variant_with_stock("A-1", on_hand=5)
    order = checkout(cart_with(("A-1", 1))).order

    def fail(*args, **kwargs):
        raise RuntimeError("after the e-mail was queued")

    monkeypatch.setattr("shop.services.payments._close_cart", fail)  # runs after _announce_paid queued the mail
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            confirm_payment(order)

    assert not DBTaskResult.objects.filter(task_path=PATH).exists()
    order.refresh_from_db()
    assert order.status == "pending"


@pytest.fixture
def announced_rows():
    """The ids of the e-mail rows announced (``task_enqueued``)."""
    seen = []

    def listen(sender, task_result, **kwargs):
        if task_result.task.module_path == PATH:
            seen.append(str(task_result.id))

    task_enqueued.connect(listen)
    yield seen
    task_enqueued.disconnect(listen)


def test_a_notice_in_a_savepoint_while_the_batch_holds_a_row_is_queued_after_the_commit(
        database_queue, announced_rows, django_capture_on_commit_callbacks):
    """The batch refuses a row to a table it has one pending for inside a savepoint: the second notice goes the
    backend's own way after the commit instead of failing the webhook that sent it."""
    variant_with_stock("A-1", on_hand=5)
    order = checkout(cart_with(("A-1", 1))).order
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic(), write_batches.batched_writes():
            notify_buyer(order, kind="shipped")
            with transaction.atomic():
                notify_buyer(order, kind="refunded", reference="1")

    rows = sorted(str(pk) for pk in DBTaskResult.objects.filter(task_path=PATH).values_list("pk", flat=True))
    assert len(rows) == 2 and sorted(announced_rows) == rows


def test_a_row_the_batch_never_wrote_is_never_announced(
        database_queue, announced_rows, django_capture_on_commit_callbacks):
    """A block ending in an error caught inside the same transaction (no savepoint) drops its pending writes: no
    announcement for a row that is not there (where writes run at once, SQLite, the row is there and announced)."""
    variant_with_stock("A-1", on_hand=5)
    order = checkout(cart_with(("A-1", 1))).order
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            with contextlib.suppress(ValueError), write_batches.batched_writes():
                notify_buyer(order, kind="shipped")
                raise ValueError("caught below, without a savepoint")

    rows = [str(pk) for pk in DBTaskResult.objects.filter(task_path=PATH).values_list("pk", flat=True)]
    assert announced_rows == rows


def test_a_payment_confirmed_then_its_webhook_delivered_twice_queues_one_e_mail(
        database_queue, announced_rows, django_capture_on_commit_callbacks):
    variant_with_stock("A-1", on_hand=5)
    order = checkout(cart_with(("A-1", 1))).order
    with django_capture_on_commit_callbacks(execute=True):
        confirm_payment(order)
    intent = order.payments.get().intent_id
    for event_id in ("evt_1", "evt_1", "evt_2"):  # a retried delivery, then the same news again
        with django_capture_on_commit_callbacks(execute=True):
            post_webhook(*signed_event("payment_intent.succeeded", intent_object(intent, amount=int(order.total * 100)),
                                       event_id=event_id))

    rows = [str(pk) for pk in DBTaskResult.objects.filter(task_path=PATH).values_list("pk", flat=True)]
    assert len(rows) == 1 and announced_rows == rows
