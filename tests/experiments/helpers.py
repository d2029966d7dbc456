"""Small picklable task functions for executor tests (workers import them by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path


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


def marked_sleep(task: tuple[str, int, float]) -> int:
    """Leave ``start-<index>-<pid>`` in the folder, sleep, then leave ``done-<index>``."""
    folder, index, seconds = task
    Path(folder, f"start-{index}-{os.getpid()}").touch()
    time.sleep(seconds)
    Path(folder, f"done-{index}").touch()
    return index
