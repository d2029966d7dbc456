"""Territories: which team owns each account, and which of its territories.

:func:`carve` applies the ``territories:`` rules to an :class:`AccountBook`
(named accounts first, then each team's ``covers`` rules in order) and balances
each team's accounts across its territories:

``potential`` and ``both``
    Greedy longest-processing-time in blocks: accounts sorted by potential,
    largest first, are dealt in blocks of ``k`` (the number of territories); in
    each block the largest account goes to the territory with the least
    potential so far, the next largest to the next lightest, and so on. Every
    territory thus gets one account per block, so account counts differ by at
    most one, and potential ends close to even. A local-improvement pass then
    repeatedly takes the heaviest and the lightest territory and makes the
    swap of one account each (``both``: counts stay as they are) or, for
    ``potential``, the swap or single move, that brings the two closest to
    their middle, until they are within 0.01% or nothing helps.
``workload``
    Equal account counts: accounts ordered by region, industry and segment are
    cut into ``k`` runs of equal length, so a rep's accounts sit together.

>>> import numpy as np
>>> from pathlib import Path
>>> from salesim.model.accounts import build_accounts
>>> from salesim.scenario.accounts import Accounts, TeamTerritories
>>> spec = Accounts.model_validate({"count": 3000, "segments": {"smb": {"share": 1,
...     "employees": {"lognormal": {"median": 20, "p90": 200}},
...     "revenue": {"lognormal": {"median": "200M", "p90": "1B"}}}}})
>>> book = build_accounts(spec, ["smb"], np.random.default_rng(3), Path("."))
>>> rules = {"Field": TeamTerritories.model_validate({"covers": [{}]})}
>>> carved = carve(book, rules, {"Field": 6})
>>> sorted(np.bincount(carved.territory).tolist())
[500, 500, 500, 500, 500, 500]
>>> measures = balance_measures(book.potential, carved.territory, 6)
>>> bool(measures["max_min_ratio"] < 1.01), measures["covered_share"]
(True, 1.0)
>>> bool(balance_measures(book.potential, round_robin(3000, 6), 6)["max_min_ratio"] > 1.05)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from salesim.model.accounts import AccountBook
from salesim.scenario.accounts import CoverRule, TeamTerritories, cover_name_problems
from salesim.scenario.problems import Problem

UNCOVERED = -1
"""Team code of an account no team covers; territory of an account without one."""

CLOSE_ENOUGH = 1e-4
"""The improvement pass stops when the heaviest and lightest territory are this close
(relative to the mean territory)."""


@dataclass(frozen=True, eq=False)
class TerritoryMap:
    """Who owns each account: ``team`` (a code into ``team_names``, or -1 when no
    team covers it) and ``territory`` (index within the team, or -1 when the team
    holds it as a house account). Territories are also numbered across teams:
    team ``t``'s territory ``i`` is global territory ``offsets[t] + i``.
    """

    team_names: tuple[str, ...]
    territory_counts: tuple[int, ...]
    balance: tuple[str, ...]
    team: np.ndarray
    territory: np.ndarray
    potential: np.ndarray

    @property
    def offsets(self) -> np.ndarray:
        """First global territory of each team, and the total at the end."""
        return np.concatenate([[0], np.cumsum(self.territory_counts, dtype=np.int64)])

    @property
    def territory_team(self) -> np.ndarray:
        """Team code of each global territory."""
        return np.repeat(np.arange(len(self.team_names)), self.territory_counts)

    @property
    def total_territories(self) -> int:
        return int(sum(self.territory_counts))

    def global_territory(self) -> np.ndarray:
        """Global territory of each account, -1 when it has none."""
        owned = self.territory >= 0
        result = np.full(len(self.team), UNCOVERED, dtype=np.int64)
        result[owned] = self.offsets[self.team[owned]] + self.territory[owned]
        return result

    def territory_potential(self) -> np.ndarray:
        """Potential of each global territory."""
        return _totals(self.potential, self.global_territory(), self.total_territories)

    def territory_workload(self) -> np.ndarray:
        """Accounts in each global territory."""
        owned = self.global_territory()
        return np.bincount(owned[owned >= 0], minlength=self.total_territories)

    def members(self, territory: int) -> np.ndarray:
        """Indices (into the account book) of the accounts of a global territory."""
        team = int(self.territory_team[territory])
        local = territory - int(self.offsets[team])
        return np.flatnonzero((self.team == team) & (self.territory == local))

    def reassigned(self, accounts: np.ndarray, territory: np.ndarray) -> TerritoryMap:
        """A copy with ``accounts`` (indices) moved to ``territory`` (within their team)."""
        moved = self.territory.copy()
        moved[accounts] = territory
        return replace(self, territory=moved)

    def to_frame(self) -> pd.DataFrame:
        """The ``territories`` record table: one row per territory with its
        ``territory_id`` (global, from 1), ``team``, ``index`` within the team,
        ``accounts`` and ``potential``."""
        total = self.total_territories
        return pd.DataFrame({
            "territory_id": np.arange(1, total + 1, dtype=np.int64),
            "team": pd.Categorical.from_codes(self.territory_team.astype(np.int64),
                                              categories=pd.Index(list(self.team_names))),
            "index": np.arange(total) - self.offsets[self.territory_team],
            "accounts": self.territory_workload().astype(np.int64),
            "potential": self.territory_potential(),
        })

    def owner_frame(self) -> pd.DataFrame:
        """Owner columns for the ``accounts`` record table, row for row: ``team``
        (category; missing when no team covers the account) and ``territory_id``
        (as in :meth:`to_frame`; 0 for an uncovered or house account)."""
        return pd.DataFrame({
            "team": pd.Categorical.from_codes(self.team.astype(np.int64),
                                              categories=pd.Index(list(self.team_names))),
            "territory_id": self.global_territory() + 1,
        })

    def balance_by_team(self) -> dict[str, dict[str, float]]:
        """:func:`balance_measures` of potential for each team's territories."""
        result = {}
        for code, name in enumerate(self.team_names):
            mine = self.team == code
            result[name] = balance_measures(self.potential[mine], self.territory[mine],
                                            self.territory_counts[code])
        return result


@dataclass(frozen=True, eq=False)
class Reassignment:
    """Accounts (indices into the book) and the territory (within their team) each
    moves to."""

    accounts: np.ndarray
    territory: np.ndarray


# ----------------------------------------------------------------------------- carving


def carve(accounts: AccountBook, territories_spec: Mapping[str, TeamTerritories],
          seats: Mapping[str, int]) -> TerritoryMap:
    """Give every account a team (or none) and a territory within it; see the module.

    ``seats`` gives each team's number of territories unless its spec sets
    ``territories``. A team with no territories holds its accounts as house
    accounts (territory -1). Named accounts that match no account are ignored here;
    :func:`rule_problems` reports them.
    """
    team_names = tuple(territories_spec)
    specs = list(territories_spec.values())
    n = len(accounts)
    team = np.full(n, UNCOVERED, dtype=np.int16)
    for code, spec in enumerate(specs):
        team[named_mask(accounts, spec) & (team == UNCOVERED)] = code
    for code, spec in enumerate(specs):
        for rule in spec.covers:
            team[(team == UNCOVERED) & rule_mask(accounts, rule)] = code

    counts = []
    for name, spec in territories_spec.items():
        count = spec.territories if spec.territories is not None else seats.get(name)
        if count is None:
            raise ValueError(f"team '{name}' has no territories set and no seats given")
        counts.append(int(count))
    territory = np.full(n, UNCOVERED, dtype=np.int32)
    if n:
        by_team = np.argsort(team, kind="stable")
        bounds = np.searchsorted(team[by_team], np.arange(len(specs) + 1))
        for code, spec in enumerate(specs):
            members = by_team[bounds[code]:bounds[code + 1]]
            if counts[code] and len(members):
                territory[members] = _carved(accounts, members, counts[code], spec)
    return TerritoryMap(team_names=team_names, territory_counts=tuple(counts),
                        balance=tuple(spec.balance for spec in specs), team=team,
                        territory=territory, potential=accounts.potential)


def named_mask(accounts: AccountBook, spec: TeamTerritories) -> np.ndarray:
    """Accounts named in ``spec.named_accounts``: numbers match ids, text matches names."""
    ids = [key for key in spec.named_accounts if isinstance(key, int)]
    names = [key for key in spec.named_accounts if isinstance(key, str)]
    mask = np.zeros(len(accounts), dtype=bool)
    if ids:
        mask |= np.isin(accounts.account_id, ids)
    if names:
        mask |= np.isin(accounts.name, np.asarray(names, dtype=object))
    return mask


def rule_mask(accounts: AccountBook, rule: CoverRule) -> np.ndarray:
    """Accounts a ``covers`` rule takes (ignoring what other rules took first)."""
    mask = np.ones(len(accounts), dtype=bool)
    for codes, names, wanted in ((accounts.region, accounts.region_names, rule.regions),
                                 (accounts.industry, accounts.industry_names, rule.industries),
                                 (accounts.segment, accounts.segment_names, rule.segments)):
        if wanted:
            mask &= np.isin(np.asarray(names, dtype=object), list(wanted))[codes]
    if rule.employees is not None:
        mask &= accounts.employees >= rule.employees.min
        if rule.employees.max is not None:
            mask &= accounts.employees <= rule.employees.max
    return mask


def rule_problems(accounts: AccountBook, territories_spec: Mapping[str, TeamTerritories]
                  ) -> list[Problem]:
    """Names in the rules the loaded universe does not have (regions, industries,
    segments) and named accounts that match no account, each at its path."""
    problems = cover_name_problems(territories_spec, {
        "regions": list(accounts.region_names),
        "industries": list(accounts.industry_names),
        "segments": list(accounts.segment_names)})
    for team, spec in territories_spec.items():
        found_ids = set(accounts.account_id[np.isin(accounts.account_id, [
            key for key in spec.named_accounts if isinstance(key, int)])].tolist())
        found_names = set(accounts.name[np.isin(accounts.name, np.asarray(
            [key for key in spec.named_accounts if isinstance(key, str)], dtype=object))
            ].tolist())
        for index, named in enumerate(spec.named_accounts):
            if named not in (found_ids if isinstance(named, int) else found_names):
                what = f"account id {named}" if isinstance(named, int) else f"'{named}'"
                problems.append(Problem(("territories", team, "named_accounts", index),
                                        f"{what} is not in the account universe",
                                        "numbers match account ids, text matches names"))
    return problems


def _carved(accounts: AccountBook, members: np.ndarray, k: int, spec: TeamTerritories
            ) -> np.ndarray:
    """Territories of one team's accounts, kept within one group each when the team
    splits by region, industry or segment."""
    if spec.split_by is None:
        return _balanced(accounts, members, k, spec.balance)
    groups = getattr(accounts, spec.split_by)[members]
    names, group = np.unique(groups, return_inverse=True)
    weight = np.bincount(group, weights=accounts.potential[members], minlength=len(names))
    if weight.sum() <= 0:
        weight = np.bincount(group, minlength=len(names)).astype(float)
    shares = allot(weight, k)
    territory = np.empty(len(members), dtype=np.int32)
    first = 0
    for index in range(len(names)):
        mine = group == index
        count = int(shares[index])
        if count == 0:  # more groups than territories: share the last one
            territory[mine] = max(first - 1, 0)
            continue
        territory[mine] = first + _balanced(accounts, members[mine], count, spec.balance)
        first += count
    return territory


def allot(weight: np.ndarray, k: int) -> np.ndarray:
    """Share ``k`` territories among groups in proportion to ``weight`` (largest
    remainder), at least one per group while there are enough.

    >>> allot(np.array([6.0, 3.0, 1.0]), 5).tolist()
    [3, 1, 1]
    """
    groups = len(weight)
    total = weight.sum()
    ideal = weight / total * k if total > 0 else np.full(groups, k / max(groups, 1))
    result: np.ndarray = np.floor(ideal).astype(np.int64)
    if k >= groups:
        result = np.maximum(result, 1)
    while result.sum() > k:  # the minimum of one took too many: trim the largest
        excess = np.where(result > 1, result - ideal, -np.inf)
        result[int(np.argmax(excess))] -= 1
    order = np.argsort(-(ideal - result), kind="stable")
    for index in order[: k - int(result.sum())]:
        result[index] += 1
    return result


def _balanced(accounts: AccountBook, members: np.ndarray, k: int, balance: str
              ) -> np.ndarray:
    if balance == "workload":
        key = np.lexsort((accounts.segment[members], accounts.industry[members],
                          accounts.region[members]))
        territory = np.empty(len(members), dtype=np.int32)
        territory[key] = equal_runs(len(members), k)
        return territory
    weights = accounts.potential[members]
    territory, _ = blocked_lpt(weights, k)
    return improve(weights, territory, k, allow_moves=balance == "potential")


# ----------------------------------------------------------------------------- balancing


def equal_runs(n: int, k: int) -> np.ndarray:
    """Territory of item ``i`` when ``n`` items in order are cut into ``k`` runs
    whose lengths differ by at most one.

    >>> equal_runs(7, 3).tolist()
    [0, 0, 0, 1, 1, 2, 2]
    """
    return ((np.arange(n, dtype=np.int64) * k) // max(n, 1)).astype(np.int32)


def blocked_lpt(weights: np.ndarray, k: int, start: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Greedy longest-processing-time, dealt in blocks of ``k``: returns the
    territory of each item and the territories' loads.

    Items, largest first, go ``k`` at a time to the territories ordered from the
    lightest, so each territory gets one item per block. ``start`` gives loads
    the territories already carry.

    >>> territory, loads = blocked_lpt(np.array([5.0, 4, 3, 3, 2, 1]), 2)
    >>> territory.tolist(), loads.tolist()
    ([0, 1, 1, 0, 1, 0], [9.0, 9.0])
    """
    weights = np.asarray(weights, dtype=np.float64)
    loads = np.zeros(k) if start is None else np.asarray(start, dtype=np.float64).copy()
    order = np.argsort(-weights, kind="stable")
    territory = np.empty(len(weights), dtype=np.int32)
    for first in range(0, len(order), k):
        block = order[first:first + k]
        lightest = np.argsort(loads, kind="stable")[:len(block)]
        territory[block] = lightest
        loads[lightest] += weights[block]
    return territory, loads


def improve(weights: np.ndarray, territory: np.ndarray, k: int, *, allow_moves: bool,
            max_rounds: int | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """Local improvement between the heaviest and the lightest territory.

    Each round picks, among swapping one account of the heaviest for one of the
    lightest (and, with ``allow_moves``, moving one account from the heaviest to
    the lightest), the change that brings the two closest to their middle; it
    stops when they are within :data:`CLOSE_ENOUGH` of the mean, when no change
    narrows the gap, or after ``max_rounds`` (default ``max(20 k, 1000)``). Swaps keep
    account counts as they are. ``start`` gives loads the territories carry besides
    these items (which stay put). Returns the improved territory of each item.
    """
    weights = np.asarray(weights, dtype=np.float64)
    territory = np.asarray(territory, dtype=np.int32).copy()
    if k < 2 or len(weights) == 0:
        return territory
    loads: np.ndarray = np.bincount(territory, weights=weights, minlength=k)
    if start is not None:
        loads += start
    order = np.lexsort((weights, territory))
    bounds = np.searchsorted(territory[order], np.arange(k + 1))
    # members of each territory, lightest account first
    members = [order[bounds[t]:bounds[t + 1]] for t in range(k)]
    close_enough = CLOSE_ENOUGH * loads.mean()
    for _ in range(max_rounds if max_rounds is not None else max(20 * k, 1000)):
        heavy, light = int(np.argmax(loads)), int(np.argmin(loads))
        gap = loads[heavy] - loads[light]
        if gap <= close_enough:
            break
        change = _best_change(weights[members[heavy]], weights[members[light]], gap,
                              allow_moves)
        if change is None:
            break
        out, back = change
        out_item = members[heavy][out]
        delta = weights[out_item]
        members[heavy] = np.delete(members[heavy], out)
        if back is not None:
            back_item = members[light][back]
            delta -= weights[back_item]
            members[light] = np.delete(members[light], back)
            members[heavy] = _insert_sorted(members[heavy], back_item, weights)
            territory[back_item] = heavy
        members[light] = _insert_sorted(members[light], out_item, weights)
        territory[out_item] = light
        loads[heavy] -= delta
        loads[light] += delta
    return territory


def _best_change(heavy: np.ndarray, light: np.ndarray, gap: float, allow_moves: bool
                 ) -> tuple[int, int | None] | None:
    """The swap (heavy item, light item) or move (heavy item, None) whose transfer is
    closest to half the gap; transfers must lie strictly inside (0, gap) to help.
    ``heavy`` and ``light`` are the items' weights, ascending."""
    half = gap / 2
    best: tuple[float, int, int | None] | None = None
    if len(light) and len(heavy):
        # for each heavy item the light items whose swap transfers nearest half the gap
        at = np.searchsorted(light, heavy - half)
        for candidate in (np.clip(at - 1, 0, len(light) - 1), np.clip(at, 0, len(light) - 1)):
            transfer = heavy - light[candidate]
            misses = np.where((transfer > 0) & (transfer < gap), np.abs(transfer - half),
                              np.inf)
            pick = int(np.argmin(misses))
            if np.isfinite(misses[pick]) and (best is None or misses[pick] < best[0]):
                best = (float(misses[pick]), pick, int(candidate[pick]))
    if allow_moves and len(heavy) > 1:
        middle = int(np.searchsorted(heavy, half))
        for pick in (middle - 1, middle):
            if 0 <= pick < len(heavy) and 0 < heavy[pick] < gap:
                miss = float(abs(heavy[pick] - half))
                if best is None or miss < best[0]:
                    best = (miss, pick, None)
    return None if best is None else (best[1], best[2])


def _insert_sorted(items: np.ndarray, item: np.ndarray | int, weights: np.ndarray
                   ) -> np.ndarray:
    at = int(np.searchsorted(weights[items], weights[item]))
    return np.insert(items, at, item)


def round_robin(n: int, k: int) -> np.ndarray:
    """Territory ``i % k`` for item ``i``: the naive baseline, for comparison only.

    >>> round_robin(5, 2).tolist()
    [0, 1, 0, 1, 0]
    """
    return (np.arange(n, dtype=np.int64) % k).astype(np.int32)


# ----------------------------------------------------------------------------- when a rep leaves


def split_territory(territory_map: TerritoryMap, territory: int) -> Reassignment:
    """Divide a global territory's accounts among the other territories of its team.

    The accounts are dealt largest potential first onto the team's other
    territories starting from the potential they already hold, then improved by
    swaps (and moves) among the dealt accounts only, as in :func:`carve` (on
    account counts for a ``workload`` team); other accounts stay where they are.
    Raises :class:`ValueError` when the team has no other territory.

    >>> import numpy as np
    >>> tmap = TerritoryMap(("Field",), (3,), ("both",), np.zeros(6, dtype=np.int16),
    ...                     np.array([0, 0, 1, 1, 2, 2], dtype=np.int32),
    ...                     np.array([4.0, 2, 3, 3, 5, 1]))
    >>> moved = split_territory(tmap, 0)
    >>> moved.accounts.tolist(), moved.territory.tolist()
    ([0, 1], [1, 2])
    """
    team = int(territory_map.territory_team[territory])
    local = territory - int(territory_map.offsets[team])
    count = territory_map.territory_counts[team]
    if count < 2:
        raise ValueError(f"team '{territory_map.team_names[team]}' has no other territory "
                         "to take the accounts")
    in_team = territory_map.team == team
    leaving = np.flatnonzero(in_team & (territory_map.territory == local))
    others = np.array([t for t in range(count) if t != local])
    staying = in_team & (territory_map.territory >= 0) & (territory_map.territory != local)
    unit = territory_map.balance[team] == "workload"
    weights_all = np.ones(len(territory_map.team)) if unit else territory_map.potential
    loads = _totals(weights_all[staying], territory_map.territory[staying], count)[others]
    dealt, _ = blocked_lpt(weights_all[leaving], len(others), start=loads)
    if not unit:
        dealt = improve(weights_all[leaving], dealt, len(others), start=loads,
                        allow_moves=territory_map.balance[team] == "potential")
    return Reassignment(accounts=leaving, territory=others[dealt].astype(np.int32))


# ----------------------------------------------------------------------------- measures


def balance_measures(values: np.ndarray, territory: np.ndarray, k: int) -> dict[str, float]:
    """How evenly ``values`` (per account) are spread over ``k`` territories.

    ``territory`` is each account's territory (0..k-1, or -1 for none). Returns
    ``max`` and ``min`` per territory, ``max_min_ratio`` (inf when a territory has
    none), ``gini`` of the territories' totals (0 = equal) and ``covered_share``,
    the share of the total that lies in some territory.

    >>> m = balance_measures(np.array([1.0, 3, 2, 2, 4]), np.array([0, 1, 0, 1, -1]), 2)
    >>> m["max"], m["min"], m["max_min_ratio"], round(m["gini"], 3), m["covered_share"]
    (5.0, 3.0, 1.6666666666666667, 0.125, 0.6666666666666666)
    """
    values = np.asarray(values, dtype=np.float64)
    territory = np.asarray(territory)
    totals = _totals(values, territory, k)
    everything = float(values.sum())
    if k == 0:
        return {"territories": 0.0, "max": 0.0, "min": 0.0, "max_min_ratio": float("nan"),
                "gini": float("nan"), "covered_share": 0.0 if everything else float("nan")}
    high, low = float(totals.max()), float(totals.min())
    return {
        "territories": float(k),
        "max": high,
        "min": low,
        "max_min_ratio": high / low if low > 0 else float("inf") if high > 0 else 1.0,
        "gini": gini(totals),
        "covered_share": (float(values[territory >= 0].sum()) / everything if everything
                          else float("nan")),
    }


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 when all equal, near 1 when one holds all.

    >>> gini(np.array([1.0, 1, 1, 1])), gini(np.array([0.0, 0, 0, 4]))
    (0.0, 0.75)
    """
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    n, total = len(ordered), float(ordered.sum())
    if n == 0 or total == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float(2 * (ranks @ ordered) / (n * total) - (n + 1) / n)


def _totals(values: np.ndarray, territory: np.ndarray, k: int) -> np.ndarray:
    owned = territory >= 0
    return np.bincount(territory[owned], weights=values[owned], minlength=k).astype(np.float64)


# ----------------------------------------------------------------------------- fit


def territory_focus(accounts: AccountBook, territory_map: TerritoryMap
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per global territory, the industry code and the segment code holding the
    largest share of its potential (-1 for an empty territory)."""
    owned = territory_map.global_territory()
    total = territory_map.total_territories
    keep = owned >= 0
    result = []
    for codes, names in ((accounts.industry, accounts.industry_names),
                         (accounts.segment, accounts.segment_names)):
        width = max(len(names), 1)
        table = np.bincount(owned[keep] * width + codes[keep], weights=accounts.potential[keep],
                            minlength=total * width).reshape(total, width)
        focus = np.argmax(table, axis=1)
        focus[table.sum(axis=1) <= 0] = -1
        result.append(focus)
    return result[0], result[1]


def fit_multiplier(accounts: AccountBook, territory_map: TerritoryMap,
                   territories_spec: Mapping[str, TeamTerritories]) -> np.ndarray:
    """Win-rate multiplier of each account for the rep of its territory: the team's
    ``fit.industry`` when the account is in the territory's focus industry, times
    ``fit.segment`` when in its focus segment; 1 for accounts without a territory."""
    industry_focus, segment_focus = territory_focus(accounts, territory_map)
    owned = territory_map.global_territory()
    keep = owned >= 0
    industry_fit = np.array([spec.fit.industry for spec in territories_spec.values()])
    segment_fit = np.array([spec.fit.segment for spec in territories_spec.values()])
    team = territory_map.team[keep]
    multiplier = np.ones(len(accounts))
    multiplier[keep] = (
        np.where(accounts.industry[keep] == industry_focus[owned[keep]], industry_fit[team], 1.0)
        * np.where(accounts.segment[keep] == segment_focus[owned[keep]], segment_fit[team], 1.0))
    return multiplier
