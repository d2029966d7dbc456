"""Quota attainment per rep and its distribution per role.

A rep's expected quota for a month is the role's monthly quota x the rep's
ramp productivity x the share of the calendar month employed (inside the
horizon); for a quarter, a year or the whole horizon it is the sum over its
months. Attainment = achieved / expected, where achieved is counted in the
period it happened (period basis): AE ``bookings`` by ``closed_at`` of won
opportunities, SDR ``meetings_held`` by ``meeting_held_at`` (credited to the
lead's SDR), or whatever measure the plan gives the role. A rep with no
expected quota in a period (not employed, or ramp at 0) is left out of that
period.

>>> from salesim.metrics import attainment, attainment_distribution  # doctest: +SKIP
>>> attainment_distribution(attainment(records, plan))                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.metrics._groups import group_quantile
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan, QuotaMeasure
from salesim.metrics.workforce import Workforce, workforce
from salesim.records import Records

AT_QUOTA = 1.0 - 1e-9
MIN_EXPECTED = 1e-12
ATTAINMENT_COLUMNS = ("period_type", "period", "role", "rep_id", "achieved", "expected",
                      "attainment")
DISTRIBUTION_COLUMNS = ("period_type", "period", "role", "reps", "mean", "p10", "p50", "p90",
                        "share_at_quota")


def measure_events(records: Records, measure: QuotaMeasure) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """What a quota measure counts, as arrays: rep ids, times, values."""
    if measure in ("bookings", "deals_won"):
        opps = records.opportunities
        won = (opps["status"] == "won").to_numpy(dtype=bool)
        values = (opps["amount"].to_numpy(dtype=float)[won] if measure == "bookings"
                  else np.ones(int(won.sum())))
        return (opps["ae_id"].to_numpy(dtype=np.int64)[won],
                opps["closed_at"].to_numpy(dtype="datetime64[ns]")[won], values)
    leads = records.leads
    held = leads["meeting_held_at"].notna().to_numpy(dtype=bool)
    if measure == "valid_meetings":
        held &= leads["valid"].fillna(False).to_numpy(dtype=bool)
    return (leads["sdr_id"].to_numpy(dtype=np.int64)[held],
            leads["meeting_held_at"].to_numpy(dtype="datetime64[ns]")[held],
            np.ones(int(held.sum())))


def attainment_arrays(records: Records, plan: Plan, work: Workforce
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reps with a quota (indices into ``work``'s reps, sorted by role and id) and
    their achieved and expected amounts per grid period (periods x reps)."""
    grid = work.grid
    quota = {name: role for name, role in plan.roles.items() if role.has_quota}
    keep = np.flatnonzero(np.isin(work.role, list(quota)))
    keep = keep[np.lexsort((work.rep_id[keep], work.role[keep].astype(str)))]
    per_month = np.array([quota[str(r)].quota_per_month or 0.0 for r in work.role[keep]],
                         dtype=float)
    expected_monthly = work.ramped_months[keep] * per_month[:, None]
    achieved_monthly = np.zeros_like(expected_monthly)
    position = pd.Index(work.rep_id[keep])
    for name, role in quota.items():
        assert role.quota_measure is not None
        ids, times, values = measure_events(records, role.quota_measure)
        rows, months = grid.month_index(times)
        column = position.get_indexer(ids[rows])
        ok = column >= 0
        ok[ok] &= work.role[keep][column[ok]] == name
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
        "rep_id": work.rep_id[reps_kept],
        "achieved": achieved[periods, reps],
        "expected": expected[periods, reps],
        "attainment": achieved[periods, reps] / expected[periods, reps],
    })


def attainment(records: Records, plan: Plan,
               period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Each rep's attainment per period, for every role with a quota in the plan.

    Columns: ``period_type``, ``period``, ``role``, ``rep_id``, ``achieved``,
    ``expected`` (ramped, prorated quota), ``attainment`` (achieved / expected).
    Only rows with a positive expected quota are kept.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    return attainment_frame(records, plan, workforce(records, plan, grid))


def attainment_distribution(table: pd.DataFrame) -> pd.DataFrame:
    """Per role and period, the spread of rep attainment (from :func:`attainment`).

    Columns: ``period_type``, ``period``, ``role``, ``reps`` (reps with a quota
    in the period), ``mean``, ``p10``, ``p50``, ``p90`` and ``share_at_quota``
    (share of those reps at or above 100%).
    """
    keys = ["period_type", "period", "role"]
    codes, groups = pd.factorize(pd.MultiIndex.from_frame(table[keys].astype(str)))
    size = len(groups)
    values = table["attainment"].to_numpy(dtype=float)
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
        "period_type": pd.array(groups.get_level_values(0).to_numpy(dtype=object), dtype="str"),
        "period": pd.array(groups.get_level_values(1).to_numpy(dtype=object), dtype="str"),
        "role": pd.array(groups.get_level_values(2).to_numpy(dtype=object), dtype="str"),
        **out,
    })
    return frame[list(DISTRIBUTION_COLUMNS)]
