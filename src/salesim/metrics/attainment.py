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

from salesim.engine.records import Records
from salesim.metrics._tidy import rep_roles
from salesim.metrics.periods import (
    PERIOD_TYPES,
    Horizon,
    PeriodType,
    check_period_types,
    period_labels,
    rollup,
)
from salesim.metrics.plan import Plan, QuotaMeasure
from salesim.metrics.workforce import rep_months

AT_QUOTA = 1.0 - 1e-9
_MIN_EXPECTED = 1e-12
ATTAINMENT_COLUMNS = ("period_type", "period", "role", "rep_id", "achieved", "expected",
                      "attainment")
DISTRIBUTION_COLUMNS = ("period_type", "period", "role", "reps", "mean", "p10", "p50", "p90",
                        "share_at_quota")


def measure_events(records: Records, measure: QuotaMeasure) -> pd.DataFrame:
    """What a quota measure counts, as events: ``rep_id``, ``at``, ``value``."""
    if measure in ("bookings", "deals_won"):
        opps = records.opportunities
        won = opps.loc[opps["status"] == "won"]
        values = won["amount"] if measure == "bookings" else pd.Series(1.0, index=won.index)
        return pd.DataFrame({"rep_id": won["ae_id"].to_numpy(dtype="int64"),
                             "at": won["closed_at"].to_numpy(dtype="datetime64[ns]"),
                             "value": values.to_numpy(dtype=float)})
    leads = records.leads
    held = leads["meeting_held_at"].notna()
    if measure == "valid_meetings":
        held &= leads["valid"].fillna(False).astype(bool)
    rows = leads.loc[held]
    return pd.DataFrame({"rep_id": rows["sdr_id"].to_numpy(dtype="int64"),
                         "at": rows["meeting_held_at"].to_numpy(dtype="datetime64[ns]"),
                         "value": np.ones(len(rows))})


def attainment(records: Records, plan: Plan,
               period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Each rep's attainment per period, for every role with a quota in the plan.

    Columns: ``period_type``, ``period``, ``role``, ``rep_id``, ``achieved``,
    ``expected`` (ramped, prorated quota), ``attainment`` (achieved / expected).
    Only rows with a positive expected quota are kept.
    """
    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    quota_roles = {name: role for name, role in plan.roles.items() if role.has_quota}
    months = rep_months(records, plan)
    months = months.loc[months["role"].isin(list(quota_roles))]
    per_month = months["role"].map(
        lambda r: float(quota_roles[r].quota_per_month or 0.0)).astype(float)
    expected = months.assign(expected=months["ramped_months"] * per_month, achieved=0.0)[
        ["rep_id", "role", "period", "expected", "achieved"]]

    parts = [expected]
    for name, role in quota_roles.items():
        assert role.quota_measure is not None
        events = measure_events(records, role.quota_measure)
        events = events.loc[horizon.contains(events["at"])]
        events = events.loc[rep_roles(records.reps, events["rep_id"]) == name]
        parts.append(pd.DataFrame({
            "rep_id": events["rep_id"].to_numpy(),
            "role": name,
            "period": period_labels(events["at"], "month").to_numpy(),
            "expected": 0.0,
            "achieved": events["value"].to_numpy(),
        }))
    monthly = pd.concat(parts, ignore_index=True).astype({"role": "str", "period": "str"})
    totals = rollup(monthly, ["role", "rep_id"], ["achieved", "expected"], period_types)
    totals = totals.loc[totals["expected"] > _MIN_EXPECTED].copy()
    totals["attainment"] = totals["achieved"] / totals["expected"]
    totals["rep_id"] = totals["rep_id"].astype("int64")
    order = {p: i for i, p in enumerate(PERIOD_TYPES)}
    totals = totals.sort_values(["period_type", "period", "role", "rep_id"],
                                key=lambda c: c.map(order) if c.name == "period_type" else c,
                                kind="stable")
    return totals[list(ATTAINMENT_COLUMNS)].reset_index(drop=True)


def attainment_distribution(table: pd.DataFrame) -> pd.DataFrame:
    """Per role and period, the spread of rep attainment (from :func:`attainment`).

    Columns: ``period_type``, ``period``, ``role``, ``reps`` (reps with a quota
    in the period), ``mean``, ``p10``, ``p50``, ``p90`` and ``share_at_quota``
    (share of those reps at or above 100%).
    """
    if table.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c not in
                                          ("period_type", "period", "role") else "str")
                             for c in DISTRIBUTION_COLUMNS})
    keys = ["period_type", "period", "role"]
    frame = table.assign(at_quota=(table["attainment"] >= AT_QUOTA).astype(float))
    group = frame.groupby(keys, sort=False)
    out = group["attainment"].agg(["size", "mean"]).rename(columns={"size": "reps"})
    for name, q in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        out[name] = group["attainment"].quantile(q)
    out["share_at_quota"] = group["at_quota"].mean()
    out["reps"] = out["reps"].astype(float)
    return out.reset_index()[list(DISTRIBUTION_COLUMNS)]
