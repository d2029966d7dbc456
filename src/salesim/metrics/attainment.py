"""Quota attainment per rep and its distribution per role (team kind) and per team.

A rep's expected quota for a month is the monthly quota of the rep's team (its
:class:`~salesim.metrics.plan.TeamPlan`, else the plan of the rep's kind) x the
rep's ramp productivity x the share of the calendar month employed (inside the
horizon); for a quarter, a year or the whole horizon it is the sum over its
months. Attainment = achieved / expected, where achieved is counted in the period
it happened (period basis) in what the team's quota measure counts
(:data:`MEASURES`), credited to the rep the record names as owner (the column
:data:`salesim.roles.KINDS` declares for the table the measure counts in):

* ``bookings``: ``amount`` of won opportunities by ``closed_at``, to ``ae_id``;
* ``deals_won``: won opportunities by ``closed_at``, to ``ae_id``;
* ``meetings_held``: leads' meetings by ``meeting_held_at``, to ``sdr_id``;
* ``valid_meetings``: the same, only those marked ``valid``;
* ``retained_arr``: at each renewal (a ``renewal`` subscription event), the ARR the
  customer renews: its ARR just before the term end less any contraction at the
  renewal (an expansion at renewal is new business, not retention; a churned
  customer retains nothing), credited to the subscription's ``csm_id`` (the CSM
  who looks after the customer at the end of the records), in the period of the
  renewal.

A rep with no expected quota in a period (not employed, or ramp at 0) is left
out of that period.

>>> import salesim
>>> from salesim.metrics import Plan, attainment, attainment_distribution
>>> scenario = salesim.load_scenario("scenarios/reference.yaml")
>>> reps = attainment(salesim.simulate(scenario, seed=1), Plan.from_scenario(scenario),
...                   period_types=("total",))
>>> sorted(reps["role"].unique())
['ae', 'sdr']
>>> spread = attainment_distribution(reps)
>>> bool((spread["p10"] <= spread["p90"]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.metrics._groups import group_quantile
from salesim.metrics._tidy import text_array
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import Workforce, workforce
from salesim.records import Records
from salesim.roles import KINDS, QuotaMeasure

AT_QUOTA = 1.0 - 1e-9
MIN_EXPECTED = 1e-12
ATTAINMENT_COLUMNS = ("period_type", "period", "role", "team", "rep_id", "achieved",
                      "expected", "attainment")
DISTRIBUTION_COLUMNS = ("period_type", "period", "role", "team", "reps", "mean", "p10",
                        "p50", "p90", "share_at_quota")
MEASURES: dict[QuotaMeasure, str] = {
    "bookings": "opportunities", "deals_won": "opportunities", "meetings_held": "leads",
    "valid_meetings": "leads", "retained_arr": "subscriptions",
}
"""The record table each quota measure counts in; its owner column is the one the
kind working that table declares (:data:`salesim.roles.KINDS`)."""


def owner_column(table: str) -> str:
    """The column of ``table`` naming the rep who owns a row (from the kinds).

    >>> owner_column("opportunities"), owner_column("subscriptions")
    ('ae_id', 'csm_id')
    """
    return next(kind.owner_column for kind in KINDS.values() if kind.owner_table == table)


def retained_arr_events(records: Records) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each renewal's subscription id, time and retained ARR (see the module docstring)."""
    events = records.subscription_events
    at = events["at"].to_numpy(dtype="datetime64[ns]")
    known = ~np.isnat(at)
    subscription = events["subscription_id"].to_numpy(dtype=np.int64)[known]
    at = at[known]
    kind = text_array(events["kind"])[known]
    change = events["arr_change"].to_numpy(dtype=float)[known]
    order = np.lexsort((at, subscription))
    subscription, at, kind, change = (subscription[order], at[order], kind[order],
                                      change[order])
    if len(order) == 0:
        return subscription, at, change
    # one instant per (subscription, time); the ARR before an instant is the running
    # total of the subscription's changes at earlier instants
    new_instant = np.ones(len(order), dtype=bool)
    new_instant[1:] = (subscription[1:] != subscription[:-1]) | (at[1:] != at[:-1])
    starts = np.flatnonzero(new_instant)
    net = np.add.reduceat(change, starts)
    contraction = np.add.reduceat(np.where(kind == "contraction", change, 0.0), starts)
    renewed = np.add.reduceat((kind == "renewal").astype(np.int64), starts) > 0
    owner = subscription[starts]
    first_of_owner = np.ones(len(starts), dtype=bool)
    first_of_owner[1:] = owner[1:] != owner[:-1]
    total = np.cumsum(net)
    owner_start = np.maximum.accumulate(np.where(first_of_owner, np.arange(len(starts)), 0))
    before = total - net - (total[owner_start] - net[owner_start])
    retained = np.clip(before + contraction, 0.0, None)
    return owner[renewed], at[starts][renewed], retained[renewed]


def measure_events(records: Records, measure: QuotaMeasure) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """What a quota measure counts, as arrays: owning rep ids, times, values."""
    owner = owner_column(MEASURES[measure])
    if measure in ("bookings", "deals_won"):
        opps = records.opportunities
        won = (opps["status"] == "won").to_numpy(dtype=bool)
        values = (opps["amount"].to_numpy(dtype=float)[won] if measure == "bookings"
                  else np.ones(int(won.sum())))
        return (opps[owner].to_numpy(dtype=np.int64)[won],
                opps["closed_at"].to_numpy(dtype="datetime64[ns]")[won], values)
    if measure == "retained_arr":
        subscriptions, times, values = retained_arr_events(records)
        subs = records.subscriptions
        found = pd.Index(subs["subscription_id"].to_numpy(dtype=np.int64)).get_indexer(
            subscriptions)
        owners = np.where(found >= 0, subs[owner].to_numpy(dtype=np.int64)[found], -1)
        return owners, times, values
    leads = records.leads
    held = leads["meeting_held_at"].notna().to_numpy(dtype=bool)
    if measure == "valid_meetings":
        held &= leads["valid"].fillna(False).to_numpy(dtype=bool)
    return (leads[owner].to_numpy(dtype=np.int64)[held],
            leads["meeting_held_at"].to_numpy(dtype="datetime64[ns]")[held],
            np.ones(int(held.sum())))


def attainment_arrays(records: Records, plan: Plan, work: Workforce
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reps with a quota (indices into ``work``'s reps, sorted by role and id) and
    their achieved and expected amounts per grid period (periods x reps).

    Each rep's quota is their own plan's (:attr:`Workforce.plans`); what a measure
    counts is credited to the reps who follow the same plan only."""
    grid = work.grid
    with_quota = np.array([p.has_quota for p in work.plans], dtype=bool)
    keep = np.flatnonzero(with_quota)
    keep = keep[np.lexsort((work.rep_id[keep], work.role[keep].astype(str)))]
    plans = [work.plans[i] for i in keep]
    per_month = np.array([p.quota_per_month or 0.0 for p in plans], dtype=float)
    expected_monthly = work.ramped_months[keep] * per_month[:, None]
    achieved_monthly = np.zeros_like(expected_monthly)
    position = pd.Index(work.rep_id[keep])
    # reps following the same plan object share its measure
    group = pd.factorize(pd.Series([id(p) for p in plans], dtype="int64"))[0]
    by_measure: dict[QuotaMeasure, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for code in np.unique(group):
        measure = plans[int(np.argmax(group == code))].quota_measure
        assert measure is not None
        if measure not in by_measure:
            by_measure[measure] = measure_events(records, measure)
        ids, times, values = by_measure[measure]
        rows, months = grid.month_index(times)
        column = position.get_indexer(ids[rows])
        ok = column >= 0
        ok[ok] &= group[column[ok]] == code
        np.add.at(achieved_monthly, (column[ok], months[ok]), values[rows][ok])
    return keep, grid.rollup(achieved_monthly.T), grid.rollup(expected_monthly.T)


def attainment_frame(records: Records, plan: Plan, work: Workforce) -> pd.DataFrame:
    """:func:`attainment` from already computed :class:`Workforce` arrays."""
    grid = work.grid
    keep, achieved, expected = attainment_arrays(records, plan, work)
    periods, reps = np.nonzero(expected > MIN_EXPECTED)
    reps_kept = keep[reps]
    return pd.DataFrame({
        "period_type": pd.array(grid.period_type[periods], dtype="str"),
        "period": pd.array(grid.period[periods], dtype="str"),
        "role": pd.array(work.role[reps_kept], dtype="str"),
        "team": pd.array(work.team[reps_kept], dtype="str"),
        "rep_id": work.rep_id[reps_kept],
        "achieved": achieved[periods, reps],
        "expected": expected[periods, reps],
        "attainment": achieved[periods, reps] / expected[periods, reps],
    })


def attainment(records: Records, plan: Plan,
               period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Each rep's attainment per period, for every team with a quota in the plan.

    Columns: ``period_type``, ``period``, ``role`` (the rep's kind), ``team``,
    ``rep_id``, ``achieved``,
    ``expected`` (ramped, prorated quota), ``attainment`` (achieved / expected).
    Only rows with a positive expected quota are kept.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    return attainment_frame(records, plan, workforce(records, plan, grid))


def attainment_distribution(table: pd.DataFrame) -> pd.DataFrame:
    """Per role and per team and period, the spread of rep attainment (from
    :func:`attainment`).

    Columns: ``period_type``, ``period``, ``role``, ``team`` (``''`` on the rows of
    a whole role), ``reps`` (reps with a quota in the period), ``mean``, ``p10``,
    ``p50``, ``p90`` and ``share_at_quota`` (share of those reps at or above 100%).
    The rows of the roles come first, then those of the teams.
    """
    text = table[["period_type", "period", "role", "team"]].astype(str)
    by_role = text.assign(team="")
    keys = pd.concat([by_role, text], ignore_index=True)
    codes, groups = pd.factorize(pd.MultiIndex.from_frame(keys))
    size = len(groups)
    values = np.tile(table["attainment"].to_numpy(dtype=float), 2)
    counts = np.bincount(codes, minlength=size).astype(float)
    out = {
        "reps": counts,
        "mean": np.bincount(codes, weights=values, minlength=size) / np.maximum(counts, 1),
        "share_at_quota": np.bincount(codes, weights=(values >= AT_QUOTA).astype(float),
                                      minlength=size) / np.maximum(counts, 1),
    }
    for name, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        out[name] = group_quantile(codes, values, size, q)
    frame = pd.DataFrame({
        **{column: pd.array(groups.get_level_values(level).to_numpy(dtype=object),
                            dtype="str")
           for level, column in enumerate(("period_type", "period", "role", "team"))},
        **out,
    })
    return frame[list(DISTRIBUTION_COLUMNS)]
