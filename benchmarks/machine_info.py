"""What machine a benchmark ran on, said the same way by every benchmark script."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version
from pathlib import Path


def cpu_model() -> str:
    """The processor's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_machine(*packages: str) -> str:
    """One line: processor, cores, Python and the versions of ``packages``."""
    versions = "".join(f", {name} {version(name)}" for name in packages)
    return (f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}"
            f"{versions}, {platform.system()}")


def peak_memory_bytes() -> int:
    """Peak resident memory of this process so far.

    Linux's ``VmHWM`` is the high-water mark of this program alone; ``ru_maxrss`` would
    also count the process that started it when that was bigger (it survives fork and
    exec), so it is only the fallback elsewhere.
    """
    import resource
    import sys

    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * scale
