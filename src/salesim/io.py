"""Writing result files so that a crash or Ctrl-C never leaves a half-written one.

Each writer writes to a temporary file in the same folder and renames it over
the target, which is atomic on POSIX and Windows file systems.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd


def check_output_folder(folder: Path) -> None:
    """Fail at once, before any work is done, when results could not go into ``folder``.

    Raises :class:`NotADirectoryError` when ``folder`` or the nearest of its parents
    that exists is a file, :class:`PermissionError` when that parent is not writable.
    """
    existing = next(p for p in (folder, *folder.parents) if p.exists() or p == p.parent)
    if not existing.is_dir():
        what = "is" if existing == folder else f"is in the way of {folder}: it is"
        raise NotADirectoryError(f"{existing} {what} a file, not a folder "
                                 "(hint: choose another output folder with --out)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write in {existing} "
                              "(hint: choose another output folder with --out)")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        # mkstemp creates owner-only files; results get the usual permissions
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_open(target: Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    with atomic_path(target) as temporary, open(temporary, mode, encoding=encoding) as stream:
        yield stream


def atomic_write_text(target: Path, text: str) -> None:
    with atomic_open(target) as stream:
        stream.write(text)


def atomic_write_json(target: Path, data: Any) -> None:
    atomic_write_text(target, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
                      + "\n")


def atomic_write_parquet(table: pd.DataFrame, target: Path) -> None:
    with atomic_path(target) as temporary:
        table.to_parquet(temporary, index=False)
