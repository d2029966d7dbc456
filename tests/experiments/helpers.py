"""Small picklable task functions for executor tests (workers import them by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(x: int) -> int:
    return x * x


def waits_for_next(task: tuple[str, int]) -> tuple[int, int]:
    """Task 0 finishes only once task 1 has (so completion order is 1, 0); return
    (index, pid)."""
    folder, index = task
    if index == 0:
        deadline = time.monotonic() + 60
        while not Path(folder, "done-1").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    Path(folder, f"done-{index}").touch()
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
