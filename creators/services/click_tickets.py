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
import heapq
import time
import weakref
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
        _watch(self)
        answer = await self.future
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
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:  # in a thread
        running = None
    for loop, answered in by_loop.items():
        if loop is running:  # answered by the loop's own send: no call back into it
            _resolve(answered)
            continue
        try:
            loop.call_soon_threadsafe(_resolve, answered)
        except RuntimeError:  # the loop is closed: nobody awaits these any more
            pass


def _resolve(tickets: list[Ticket]) -> None:
    for ticket in tickets:
        if not ticket.future.done():
            ticket.future.set_result(ticket.answer)


class _DeadlineWatch:
    """One loop's tickets in deadline order with one timer for the earliest: a follow makes no timer of its own
    (a handle made, pushed on the loop's heap and cancelled each time). Answered tickets are dropped when the timer
    fires; one still waiting past its deadline gets ``_EXPIRED``."""

    def __init__(self) -> None:
        self.tickets: list[tuple[float, int, Ticket]] = []  # a heap of (deadline, tie-break, ticket)
        self.timer: asyncio.TimerHandle | None = None
        self.armed_for = 0.0  # the deadline the timer fires at
        self.added = 0

    def add(self, ticket: Ticket) -> None:
        self.added += 1
        heapq.heappush(self.tickets, (ticket.deadline, self.added, ticket))
        if self.timer is None or ticket.deadline < self.armed_for:  # (a shorter wait set meanwhile: sooner)
            if self.timer is not None:
                self.timer.cancel()
            self._arm(ticket.loop)

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        while self.tickets and self.tickets[0][2].future.done():
            heapq.heappop(self.tickets)
        if self.tickets:
            self.armed_for = self.tickets[0][0]
            wait = max(self.armed_for - time.monotonic(), 0.0)
            self.timer = loop.call_at(loop.time() + wait, self._fire, loop)  # the loop held by its own timer only
        else:
            self.timer = None

    def _fire(self, loop: asyncio.AbstractEventLoop) -> None:
        now = time.monotonic()
        while self.tickets and self.tickets[0][0] <= now:
            future = heapq.heappop(self.tickets)[2].future
            if not future.done():
                future.set_result(_EXPIRED)
        self._arm(loop)


_watches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _DeadlineWatch]" = weakref.WeakKeyDictionary()


def _watch(ticket: Ticket) -> None:
    """Give ``ticket`` ``_EXPIRED`` should its deadline pass before it is answered. On the ticket's loop."""
    watch = _watches.get(ticket.loop)
    if watch is None:
        for closed in [loop for loop in list(_watches.keys()) if loop.is_closed()]:  # its waiting tickets hold it:
            _watches.pop(closed, None)  # the weak key alone would never let it go
        watch = _watches[ticket.loop] = _DeadlineWatch()
    watch.add(ticket)
