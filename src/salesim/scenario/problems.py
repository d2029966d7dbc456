"""A scenario problem found across sections, and the checks several sections share."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

SHARE_TOLERANCE = 0.005
"""Shares that must add up to 100% may be off by this much (half a point)."""


@dataclass(frozen=True, slots=True)
class Problem:
    path: tuple[str | int, ...]
    message: str
    hint: str = ""


def share_problem(path: tuple[str | int, ...], shares: dict[str, float], what: str
                   ) -> Problem | None:
    total = sum(shares.values())
    if abs(total - 1) <= SHARE_TOLERANCE:
        return None
    gap = (1 - total) * 100
    points = f"{abs(gap):.3g} point{'' if abs(gap) == 1 else 's'}"
    direction = f"{points} short of 100%" if gap > 0 else f"{points} over 100%"
    return Problem(path, f"{what} sum to {total * 100:.4g}%, {direction}",
                   "adjust the shares so they add up to 100%")


def unknown_names(path: tuple[str | int, ...], names: list[str], known: list[str], what: str
                  ) -> list[Problem]:
    problems = []
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known {what}: {', '.join(known)}"
            problems.append(Problem((*path, name), f"'{name}' is not a {what[:-1]}", hint))
    return problems


