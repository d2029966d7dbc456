"""Routing at run time: the team each lead, meeting or customer goes to.

The scenario's rules (:mod:`salesim.scenario.routing`) are applied in order to whole
arrays of work at once: the first rule whose conditions all hold takes the item.
Validation has already made sure that every item is taken by some rule (rules by
territory only take items whose account a territory covers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from salesim.scenario.routing import Route


@dataclass(frozen=True)
class Attribute:
    """One attribute of the work being routed, as codes into names (-1: none)."""

    codes: np.ndarray
    names: tuple[str, ...]

    def isin(self, wanted: Sequence[str]) -> np.ndarray:
        hits = [index for index, name in enumerate(self.names) if name in wanted]
        return np.isin(self.codes, hits)


def route(rules: Sequence[Route], teams: Sequence[str], count: int,
          attributes: Mapping[str, Attribute], score: np.ndarray | None = None,
          territory_team: np.ndarray | None = None) -> np.ndarray:
    """Index into ``teams`` of the team taking each of ``count`` items.

    With no rules the only team takes everything. ``territory_team`` is, per item,
    the index into ``teams`` of the team covering its account (-1: none), for rules
    ``by: territory``.
    """
    if not rules:
        if len(teams) != 1:
            raise ValueError(f"{len(teams)} teams and no rule to choose between them")
        return np.zeros(count, dtype=np.int64)
    taken = np.full(count, -1, dtype=np.int64)
    for rule in rules:
        match = taken < 0
        for dimension, names in rule.conditions.items():
            match &= attributes[dimension].isin(names)
        if score is not None and rule.score_at_least is not None:
            match &= score >= rule.score_at_least
        if score is not None and rule.score_below is not None:
            match &= score < rule.score_below
        if rule.by == "territory":
            if territory_team is not None:
                match &= territory_team >= 0
                taken[match] = territory_team[match]
            continue
        taken[match] = teams.index(str(rule.to))
    if (taken < 0).any():
        raise ValueError(f"{int((taken < 0).sum())} items match no routing rule")
    return taken
