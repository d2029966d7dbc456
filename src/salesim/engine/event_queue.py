"""A small discrete-event clock that fires callbacks in simpy's order.

Field sales needs only timeouts and processes that wait for a delay, so this clock
keeps just that part of simpy, without an event object per timeout. It keeps simpy's
ordering exactly, so a model moved onto it gives the same schedule: entries fire by
time, then priority (a process starts before the timeouts due at the same time), then
the order they were scheduled in; a timeout of ``delay`` falls at ``now + delay`` (the
same floating-point sum simpy does), and :meth:`EventQueue.run` stops before anything
due at ``until``.

>>> clock = EventQueue()
>>> fired = []
>>> def waits():
...     yield 2.0
...     fired.append(("process", clock.now))
>>> clock.call_later(2.0, fired.append, "timeout")
>>> clock.process(waits())
>>> clock.run(until=10.0)
>>> fired
['timeout', ('process', 2.0)]
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Generator
from itertools import count
from typing import Any

URGENT = 0
"""Priority of a process's start (before any timeout due at the same time)."""
NORMAL = 1
"""Priority of a timeout."""

Process = Generator[float, None, None]
"""A process: a generator that yields the delay it waits for before going on."""


class EventQueue:
    """Callbacks due at a time, fired in order of (time, priority, scheduling order)."""

    def __init__(self) -> None:
        self.now = 0.0
        self._queue: list[tuple[float, int, int, Callable[[Any], None], Any]] = []
        self._order = count()

    def call_later(self, delay: float, callback: Callable[[Any], None], value: Any = None
                   ) -> None:
        """Call ``callback(value)`` ``delay`` after now (a timeout in simpy)."""
        if delay < 0:
            raise ValueError(f"negative delay {delay}")
        heapq.heappush(self._queue, (self.now + delay, NORMAL, next(self._order), callback,
                                     value))

    def process(self, process: Process) -> None:
        """Start ``process`` now, before any timeout due now: it runs until it yields a
        delay, and goes on when that delay has passed."""
        heapq.heappush(self._queue, (self.now, URGENT, next(self._order), self._resume,
                                     process))

    def _resume(self, process: Process) -> None:
        delay = next(process, None)
        if delay is not None:
            self.call_later(delay, self._resume, process)

    def run(self, until: float) -> None:
        """Fire everything due before ``until`` (entries due at ``until`` stay)."""
        queue = self._queue
        pop = heapq.heappop
        while queue and queue[0][0] < until:
            at, _, _, callback, value = pop(queue)
            self.now = at
            callback(value)
        self.now = until
