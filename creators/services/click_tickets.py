"""Follows decided on the event loop (``creators.fast_follow``): the click buffer's group commit awaited, not
waited for in a thread.

A follow the fast path can decide without a blocking call (its route in this process's memory, a click id at
hand, the buffer in group commit and healthy) runs its middleware and view on the loop inside
``deciding_on_loop``. ``ClickBuffer.add`` then appends the click without waiting and hands back a ``Ticket``;
the buffer's one sender thread counts whatever is buffered in one pipelined round trip and answers all the
batch's tickets with one ``call_soon_threadsafe`` per batch (``answer_tickets``). The coroutine awaits its
ticket (``Ticket.counted``), so the redirect is still sent only once its click is in the queue.

Whatever would block on the way to the count (a route to read from the shared cache, a new block of click ids,
the write-behind mode, an outage window, a full buffer) raises ``MustBlock`` before anything is counted: the
follow then runs in a thread, as every follow did before. A ticket not answered within
``KOLSHOP_CLICK_ACK_WAIT_MS`` is settled in a thread as a waiting request settles its click (the buffer
flushed, inline should Redis be down)."""

import asyncio
import contextvars
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_tickets: contextvars.ContextVar[list | None] = contextvars.ContextVar("kolshop_click_tickets", default=None)
_EXPIRED = object()


class MustBlock(Exception):
    """Deciding this follow on the event loop would block (a round trip, a lock held across one): run it in a
    thread. Raised before its click is counted, or, after, by a step its answer needs (the rerun is counted)."""


def deciding_on_loop(tickets: list) -> None:
    """The current context decides a follow on the event loop; its click's ticket goes to ``tickets``. Set in a
    copied context only (``contextvars.copy_context().run``)."""
    _tickets.set(tickets)


def on_loop() -> bool:
    return _tickets.get() is not None


def refuse_blocking_on_loop() -> None:
    """Raise ``MustBlock`` when the current follow is decided on the event loop (a blocking call comes next)."""
    if _tickets.get() is not None:
        raise MustBlock


@dataclass(eq=False)
class Ticket:
    """A click appended on the loop: answered once the batch holding click ``sequence`` is in the queue."""

    sequence: int
    repeat: bool  # the visit was counted before: the answer is read, not taken, from the buffer's decisions
    deadline: float  # time.monotonic() by which its batch should be in
    provisional: int  # the id the buffer knew at once: the answer unless the queue counted another
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future = field(init=False)
    answer: int | None = None  # the id counted for the visit (0: over the client's limit), once landed

    def __post_init__(self) -> None:
        self.future = self.loop.create_future()

    async def counted(self, *, settle: Callable[["Ticket"], object]) -> int:
        """The id counted for the click's visit once its batch is in; past the deadline ``settle(self)``
        (awaitable: the buffer flushed in a thread) makes sure it is, or raises."""
        timer = self.loop.call_at(self.loop.time() + max(self.deadline - time.monotonic(), 0.0), _expire, self.future)
        answer = await self.future
        timer.cancel()
        if answer is _EXPIRED:
            await settle(self)
            if self.answer is None:
                raise RuntimeError(f"click {self.sequence} settled without an answer")
            return self.answer
        return answer


def take_tickets() -> list | None:
    return _tickets.get()


def answer_tickets(tickets: list[Ticket]) -> None:
    """The tickets' batches are in (``answer`` set, under the buffer's lock): wake their coroutines, one
    call into each loop for all of them."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Ticket]] = {}
    for ticket in tickets:
        by_loop.setdefault(ticket.loop, []).append(ticket)
    for loop, answered in by_loop.items():
        try:
            loop.call_soon_threadsafe(_resolve, answered)
        except RuntimeError:  # the loop is closed: nobody awaits these any more
            pass


def _resolve(tickets: list[Ticket]) -> None:
    for ticket in tickets:
        if not ticket.future.done():
            ticket.future.set_result(ticket.answer)


def _expire(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(_EXPIRED)
