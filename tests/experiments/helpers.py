"""Small picklable task functions for executor tests (workers import them by name)."""

from __future__ import annotations

import os
import time


def square(x: int) -> int:
    return x * x


def late_first(task: tuple[int, int]) -> tuple[int, int]:
    """Sleep longer for earlier tasks so they finish last; return (index, pid)."""
    index, count = task
    time.sleep(0.02 * (count - index))
    return index, os.getpid()


def fail_on_three(x: int) -> int:
    if x == 3:
        raise ValueError("task 3 failed")
    return x


def sleepy(x: float) -> float:
    time.sleep(x)
    return x
