"""Cyclic garbage collection paused while a replication runs.

A replication allocates millions of short-lived objects, and none of the engine's
work depends on reference cycles being freed early. Left on, Python's collector
runs full passes over every live object of the process (pandas, numpy and the
rest of what is imported) several times per replication, which cost 10-20% of a
reference replication. Reference counting still frees almost everything at once;
the cycles left are collected as usual once the replication returns.

>>> import gc
>>> @paused_collection
... def work() -> bool:
...     return gc.isenabled()
>>> work(), gc.isenabled()
(False, True)
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def paused_collection(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` with cyclic garbage collection paused while it runs (restored to
    what it was afterwards, also when it raises)."""

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused
