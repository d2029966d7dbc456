"""Stub."""
from __future__ import annotations

from salesim.model.recycle import NurturePool
from salesim.model.sdr import SdrDesk


def run_compiled(desk: SdrDesk, pool: NurturePool) -> None:
    desk.run()
