"""How many of a process's reviews work at once, as opposed to wait.

A review waits about two seconds for the model and works a few milliseconds around it. All of
a process's reviews share one interpreter lock, and fifty working at once share it so evenly
that each finishes late: every database round trip, and every hand-off of a lock or a row
lock, waits behind the other forty-nine. In the durable benchmark the slowest read of a
delivery claim took 100-150 ms for half a millisecond of CPU, and on PostgreSQL a statistics
row stayed locked for 200 ms while its holder waited for the interpreter.

So a review holds one of a few :class:`WorkSlots` while it works and sets its slot aside while
it waits for the model or for Slack (:func:`set_aside`, which the model client and the Slack
clients call). A burst then goes through a few reviews at a time, each at full speed, and
their requests to the model go out spread over the burst instead of all at its end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_held = threading.local()  # the WorkSlots whose slot this thread holds, if any


class WorkSlots:
    """A fixed number of slots; a thread holds at most one."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("WorkSlots needs at least one slot")
        self._free = threading.Semaphore(count)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Work in a slot for the duration of the block (waiting for one if none is free)."""
        if getattr(_held, "slots", None) is not None:
            yield  # already holding one: a nested hold takes no second slot
            return
        self._free.acquire()
        _held.slots = self
        try:
            yield
        finally:
            _held.slots = None
            self._free.release()

    @contextmanager
    def _released(self) -> Iterator[None]:
        _held.slots = None
        self._free.release()
        try:
            yield
        finally:
            self._free.acquire()
            _held.slots = self


@contextmanager
def set_aside() -> Iterator[None]:
    """Give this thread's slot to another review while the block only waits (on the network);
    take one back afterwards. Does nothing in a thread that holds no slot."""
    slots: WorkSlots | None = getattr(_held, "slots", None)
    if slots is None:
        yield
        return
    with slots._released():
        yield
