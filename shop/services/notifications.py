"""E-mails to the buyer about their order: confirmation on payment, shipped, refunded, ready for pickup.

They go through Django's e-mail API (``EMAIL_BACKEND``: console in the demo, locmem in tests, SMTP or
django-anymail in production), from a task that reaches the worker only once the change that made the news
commits (so a webhook never waits on a mail server and a rolled-back change mails nobody): its row is written in
that change's transaction (django_tasks_db), or it is queued after the commit (any other backend). Each (order,
kind, reference) is mailed once: ``OrderNotification`` rows are claimed by a unique insert before sending.

The private link in each mail opens the order page in any browser: a signed token naming the order
(and a fingerprint of its secret) that expires after ``KOLSHOP_ORDER_LINK_MAX_AGE_DAYS``; staff revoke
one order's links (``revoke_order_links``, e.g. a mail sent to the wrong person) without touching others.
Logs carry the order number and kind only, never the buyer's address or e-mail.
"""

import hashlib
import io
from dataclasses import dataclass
from email.mime.image import MIMEImage

import qrcode
import structlog
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connections, router, transaction
from django.db.models import F, Model, signals
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task
from django_tasks.utils import normalize_json

from shop.errors import NotFound
from shop.models import FulfilmentMethod, Order, OrderNotification, OrderNotificationKind
from shop.services import write_batches
from shop.services.compiled_inserts import insert_now
from shop.services.countries import country_name
from shop.services.pickup_codes import pickup_code_for

log = structlog.get_logger(__name__)

_LINK_SALT = "kolshop.order-link"
_SUBJECTS = {
    OrderNotificationKind.CONFIRMATION: "Your order {number} is confirmed",
    OrderNotificationKind.SHIPPED: "Your order {number} is on its way",
    OrderNotificationKind.REFUNDED: "Refund for your order {number}",
    OrderNotificationKind.PICKUP_READY: "Your order {number} is ready for pickup",
}


def _secret_fingerprint(order: Order) -> str:
    return hashlib.sha256(f"kolshop-order-link:{order.secret}".encode()).hexdigest()[:16]


def order_link_token(order: Order) -> str:
    """A signed, timestamped token for one order; it reveals nothing that opens any other order."""
    return signing.dumps({"n": order.number, "f": _secret_fingerprint(order), "g": order.link_generation},
                         salt=_LINK_SALT)


def order_from_link_token(token: str) -> Order:
    """The order a mailed link names; a forged, altered or expired token is simply not found."""
    max_age = settings.KOLSHOP_ORDER_LINK_MAX_AGE_DAYS * 86400
    try:
        payload = signing.loads(token, salt=_LINK_SALT, max_age=max_age)
    except signing.BadSignature as error:  # SignatureExpired is a BadSignature too
        raise NotFound("This order link is invalid or has expired.", code="order_link_invalid") from error
    order = Order.objects.filter(number=str(payload.get("n", ""))).first() if isinstance(payload, dict) else None
    if order is None or payload.get("f") != _secret_fingerprint(order) or payload.get("g", 0) != order.link_generation:
        raise NotFound("This order link is invalid or has expired.", code="order_link_invalid")
    return order


def revoke_order_links(order: Order) -> Order:
    """Every private link made for ``order`` so far stops working (links mailed later work again);
    other orders' links are untouched. The order page in the buyer's own session still opens."""
    Order.objects.filter(pk=order.pk).update(link_generation=F("link_generation") + 1)
    order.refresh_from_db(fields=["link_generation"])
    log.info("order_links_revoked", order=order.number, generation=order.link_generation)
    return order


def order_link_url(order: Order) -> str:
    path = reverse("shop:order-link", kwargs={"token": order_link_token(order)})
    return settings.KOLSHOP_SITE_URL.rstrip("/") + path


def notify_buyer(order: Order, *, kind: str, reference: str = "") -> None:
    """Mail the buyer about ``order`` once the current transaction commits (at once outside one).

    To django_tasks_db's table (production's backend) the task's row is written inside the transaction instead,
    with its other writes (``write_batches``: one statement with the payment's on PostgreSQL): it becomes visible
    to the worker when the transaction commits and a rolled-back change leaves none, as an enqueue after the commit
    would, for one statement less; ``post_save`` and ``task_enqueued`` are sent after the commit."""
    order_id = order.pk
    if not _write_task_row_in_transaction(send_order_email_task, order_id, kind, reference):
        transaction.on_commit(lambda: enqueue(send_order_email_task, order_id, kind, reference))


def enqueue(task: Task, *args) -> None:
    """``task.enqueue(*args)``. To django_tasks_db's table (production's and the bench's backend, ``TASKS``) the
    row is written as its ``enqueue`` writes it (``DBTaskResult.objects.create``: the same columns, ``pre_save`` and
    ``post_save``, then ``task_enqueued``) but through an ``INSERT`` compiled once per process
    (``compiled_inserts.insert_now``, bound by PostgreSQL): the ORM's create was a twentieth of the pay request's
    CPU. Any other backend, or a custom ``id_function``, gets the backend's own ``enqueue``."""
    backend = _database_backend(task)
    if backend is None:
        task.enqueue(*args)
        return
    row, alias = _task_row(backend, task, args)
    insert_now([row], using=alias)  # no signals: ``_task_row`` sent ``pre_save``, ``post_save`` follows
    _announce_enqueued(backend, row, alias)


def _write_task_row_in_transaction(task: Task, *args) -> bool:
    """``enqueue``'s row written now, in the open transaction of its database (through its write batch when one is
    open), its ``post_save`` and ``task_enqueued`` sent after the commit; False (nothing done) for another backend
    or outside a transaction."""
    backend = _database_backend(task)
    if backend is None:
        return False
    from django_tasks_db.models import DBTaskResult

    alias = router.db_for_write(DBTaskResult)
    if not connections[alias].in_atomic_block or not write_batches.may_insert(DBTaskResult, using=alias):
        return False  # after the commit, as before: no transaction, or a savepoint while the batch has a row pending
    row, alias = _task_row(backend, task, args, alias=alias)
    write_batches.insert([row], using=alias)  # in the block's statement, else at once through the compiled insert
    transaction.on_commit(lambda: _announce_enqueued(backend, row, alias), using=alias)
    return True


def _database_backend(task: Task) -> BaseTaskBackend | None:
    """The task's backend when it is django_tasks_db's with its own ids (so ``enqueue``'s row can be written here),
    else None."""
    backend = task.get_backend()
    if type(backend) is not _db_backend_class() or backend.options.get("id_function"):
        return None
    return backend


def _task_row(backend: BaseTaskBackend, task: Task, args: tuple, *, alias: str | None = None) -> tuple[Model, str]:
    """The new ``DBTaskResult`` the backend's ``enqueue`` would create for ``task(*args)``, its ``pre_save`` sent
    (django_tasks_db's receiver sets ``run_after``), and the database it goes to (``alias``, else the router's)."""
    from django_tasks_db.models import DBTaskResult

    backend.validate_task(task)
    row = DBTaskResult(id=DBTaskResult._meta.pk.get_default(), args_kwargs=normalize_json({"args": args, "kwargs": {}}),
                       priority=task.priority, task_path=task.module_path, queue_name=task.queue_name,
                       run_after=task.run_after, backend_name=backend.alias)
    alias = alias or router.db_for_write(DBTaskResult, instance=row)
    signals.pre_save.send(sender=DBTaskResult, instance=row, raw=False, using=alias, update_fields=None)
    return row, alias


def _announce_enqueued(backend: BaseTaskBackend, row: Model, alias: str) -> None:
    from django_tasks_db.compat import task_enqueued  # the signal the backend itself sends (django.tasks' on 6.0)

    if row._state.adding:
        return  # never written: its block ended in an error caught within the transaction (no savepoint)

    signals.post_save.send(sender=type(row), instance=row, created=True, update_fields=None, raw=False, using=alias)
    task_enqueued.send(type(backend), task_result=row.task_result)


def _db_backend_class() -> type | None:
    try:
        from django_tasks_db.backend import DatabaseBackend
    except ImportError:  # pragma: no cover - installed with the project
        return None
    return DatabaseBackend


@dataclass(frozen=True)
class _Claim:
    notification: OrderNotification


def _claim(order: Order, kind: str, reference: str) -> _Claim | None:
    try:
        with transaction.atomic():
            return _Claim(OrderNotification.objects.create(order=order, kind=kind, reference=reference))
    except IntegrityError:
        return None


def send_order_email(order_id: int, kind: str, reference: str = "") -> bool:
    """Send one notice; False when it was already sent (a duplicate webhook, a retried task)."""
    if kind not in OrderNotificationKind.values:
        raise ValueError(f"Unknown order notice {kind!r}.")
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return False
    if order.email.lower().endswith(".invalid"):
        # An erased buyer's placeholder (RFC 2606 reserves .invalid: nothing is ever delivered there).
        log.info("order e-mail skipped: the buyer's address was erased", order_number=order.number, notice=kind)
        return False
    claim = _claim(order, kind, reference)
    if claim is None:
        log.info("order e-mail already sent", order_number=order.number, notice=kind)
        return False
    try:
        _build_message(order, kind=kind, reference=reference).send()
    except Exception:
        claim.notification.delete()  # let a retry send it
        log.warning("order e-mail failed", order_number=order.number, notice=kind)
        raise
    log.info("order e-mail sent", order_number=order.number, notice=kind)
    return True


def _pickup_qr_png(code: str) -> bytes:
    buffer = io.BytesIO()
    qrcode.make(code).save(buffer, format="PNG")
    return buffer.getvalue()


def _build_message(order: Order, *, kind: str, reference: str) -> EmailMultiAlternatives:
    pickup = order.fulfilment_method == FulfilmentMethod.PICKUP
    context = {
        "order": order, "lines": list(order.lines.all()), "kind": kind, "link": order_link_url(order),
        "pickup": pickup, "pickup_code": pickup_code_for(order) if pickup else "",
        "country": country_name(order.shipping_country),
    }
    message = EmailMultiAlternatives(
        subject=_SUBJECTS[kind].format(number=order.number),
        body=render_to_string(f"shop/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[order.email],
    )
    if kind == OrderNotificationKind.CONFIRMATION:
        message.attach_alternative(render_to_string("shop/email/confirmation.html", context), "text/html")
        if pickup:
            image = MIMEImage(_pickup_qr_png(context["pickup_code"]), "png")
            image.add_header("Content-ID", "<pickup-qr>")
            image.add_header("Content-Disposition", "inline", filename="pickup-code.png")
            message.mixed_subtype = "related"
            message.attach(image)
    return message


@task()
def send_order_email_task(order_id: int, kind: str, reference: str = "") -> bool:
    """One notice to a buyer: sent once, outside the request that made the news (listed in shop.tasks)."""
    return send_order_email(order_id, kind, reference)
