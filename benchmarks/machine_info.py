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
