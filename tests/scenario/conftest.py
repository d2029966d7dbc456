"""Shared helpers for the scenario tests: a small valid scenario and file writers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"

# A small valid scenario; the tests that check error positions refer to these line
# numbers, so keep the layout (one setting per line where it matters).
BASE_LINES = [
    "meta:",                                                                      # 1
    "  name: Base",                                                               # 2
    "  start: 2027-01-01",                                                        # 3
    "  horizon: 12 months",                                                       # 4
    "segments:",                                                                  # 5
    "  smb: {share: 70%, deal_size: {lognormal: {median: 12k, p90: 30k}}}",      # 6
    "  enterprise: {share: 30%, deal_size: 150k}",                                # 7
    "channels:",                                                                  # 8
    "  inbound: {leads_per_month: 200}",                                          # 9
    "  partners: {leads_per_month: 20, segment_mix: {smb: 50%, enterprise: 50%}}",  # 10
    "sdr:",                                                                       # 11
    "  headcount: 4",                                                             # 12
    "ae:",                                                                        # 13
    "  headcount: 3",                                                             # 14
    "  hiring:",                                                                  # 15
    "    - {month: 2027-03, count: 2}",                                           # 16
    "  stages:",                                                                  # 17
    "    discovery: {conversion: 50%, duration: 2 weeks}",                        # 18
    "    proposal: {conversion: 40%, duration: 3 weeks}",                         # 19
    "cs: {headcount: 1}",                                                         # 20
]
BASE_TEXT = "\n".join(BASE_LINES) + "\n"


def edited(replace: dict[int, str | None] | None = None, append: tuple[str, ...] = ()) -> str:
    """BASE_TEXT with 1-based lines replaced (None deletes a line) and lines appended."""
    lines: list[str | None] = list(BASE_LINES)
    for number, text in (replace or {}).items():
        lines[number - 1] = text
    return "\n".join([line for line in lines if line is not None] + list(append)) + "\n"


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Write files under a temporary working directory; returns the path written.

    Running inside that directory makes the loader show short names (``t.yaml``).
    """
    monkeypatch.chdir(tmp_path)

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
