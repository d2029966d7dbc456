"""Per-replication tables an ensemble keeps besides the KPI table.

* :func:`rep_attainment` - each rep's attainment over the whole horizon: kept per
  replication, because rep ids are reused from one replication to the next for
  different people, and averaging them across replications would blur the
  spread a planner wants to see.
* :func:`funnel_reach` - the lead-to-deal funnel on the cohort basis over the
  whole horizon (overall and per channel): how many leads first created in the
  horizon reached each stage by its end. The same counts as
  :func:`salesim.metrics.cohort_funnel` with ``period_type="total"``, computed
  with a few array operations because it runs once per replication.

>>> import salesim
>>> from salesim.metrics import Plan, kpi_table
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml")
>>> records = salesim.simulate(scenario, seed=1)
>>> funnel = funnel_reach(records, Plan.from_scenario(scenario))
>>> funnel.query("channel == ''")["stage"].tolist()[:3]
['leads', 'attempted', 'contacted']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from salesim.metrics._tidy import first_seen_levels, text_array, text_codes
from salesim.metrics.funnel import FUNNEL_STAGES
from salesim.metrics.periods import Horizon
from salesim.metrics.plan import Plan
from salesim.records import Records

ATTAINMENT_COLUMNS = ("replication", "role", "team", "rep_id", "attainment")
"""Columns of the ensemble's ``attainment`` table (``team`` is ``''`` when the
records have no teams)."""

FUNNEL_COLUMNS = ("channel", "stage", "stage_index", "count")
"""Columns of one replication's :func:`funnel_reach` (``channel == ''``: all leads)."""


def rep_attainment(kpis: pd.DataFrame, reps: pd.DataFrame, replication: int = 0
                   ) -> pd.DataFrame:
    """Each rep's attainment over the whole horizon, from one replication's KPI table
    (its per-rep ``attainment`` rows of period ``'total'``) and ``reps`` record table
    (for each rep's ``team``, when it has that column).

    Columns :data:`ATTAINMENT_COLUMNS`; one row per rep with a quota.
    """
    rows = kpis.loc[(kpis["metric"] == "attainment") & (kpis["period_type"] == "total")
                    & (kpis["rep_id"] >= 0)]
    rep_ids = rows["rep_id"].to_numpy(dtype=np.int64)
    team = np.full(len(rows), "", dtype=object)
    if "team" in rows.columns:
        team = text_array(rows["team"].astype(object))
    if "team" in reps.columns and not (team != "").any():
        known = pd.Series(text_array(reps["team"]),
                          index=reps["rep_id"].to_numpy(dtype=np.int64))
        known = known[~known.index.duplicated()]
        team = known.reindex(rep_ids).fillna("").to_numpy(dtype=object)
    return pd.DataFrame({
        "replication": np.full(len(rows), replication, dtype=np.int64),
        "role": pd.array(text_array(rows["role"].astype(object)), dtype="str"),
        "team": pd.array(team, dtype="str"),
        "rep_id": rep_ids,
        "attainment": rows["value"].to_numpy(dtype=float),
    })


def funnel_reach(records: Records, plan: Plan | None = None) -> pd.DataFrame:
    """How many leads first created in the horizon reached each funnel stage by its
    end, whichever cycle got them there: overall (``channel == ''``) and per
    channel of the lead's first engagement. Columns :data:`FUNNEL_COLUMNS`.

    A lead that reached a stage counts as having reached every earlier one.
    """
    horizon = Horizon.of(records, plan)
    end = pd.Timestamp(horizon.end).to_datetime64().astype("datetime64[ns]")
    start = pd.Timestamp(horizon.start).to_datetime64().astype("datetime64[ns]")
    leads = records.leads
    lead_ids = leads["lead_id"].to_numpy(dtype=np.int64)
    cycle = leads["cycle"].to_numpy(dtype=np.int64)
    created = leads["created_at"].to_numpy(dtype="datetime64[ns]")
    first = cycle == 0
    cohort = first & (created >= start) & (created < end)
    codes, ids = pd.factorize(lead_ids)  # by hashing: no sort of the lead ids
    codes = np.asarray(codes, dtype=np.int64)
    reached = np.full(len(ids), -1, dtype=np.int64)

    def happened(times: np.ndarray) -> np.ndarray:
        times = np.asarray(times, dtype="datetime64[ns]")
        return np.asarray(~np.isnat(times) & (times < end))

    stage = np.zeros(len(leads), dtype=np.int64)
    valid = leads["valid"].fillna(False).to_numpy(dtype=bool)
    held = leads["meeting_held_at"].to_numpy(dtype="datetime64[ns]")
    for index, column in ((1, "first_attempt_at"), (2, "contacted_at"),
                          (3, "meeting_set_at"), (4, "meeting_held_at")):
        stage[happened(leads[column].to_numpy(dtype="datetime64[ns]"))] = index
    stage[happened(held) & valid] = 5
    np.maximum.at(reached, codes, stage)
    opps = records.opportunities
    opp_lead = pd.Index(ids).get_indexer(pd.Index(opps["lead_id"].to_numpy(dtype=np.int64)))
    known = opp_lead >= 0
    opp_stage = np.where(happened(opps["created_at"].to_numpy(dtype="datetime64[ns]")), 6, -1)
    won = (opps["status"] == "won").to_numpy(dtype=bool) & happened(
        opps["closed_at"].to_numpy(dtype="datetime64[ns]"))
    opp_stage[won] = 7
    np.maximum.at(reached, opp_lead[known], opp_stage[known])

    members = np.flatnonzero(cohort)
    lead_reach = reached[codes[members]]
    channel_codes, channel_labels = text_codes(leads["channel"])
    channel, channels = first_seen_levels(channel_codes[members], channel_labels)
    parts = []
    for name, mask in (("", np.ones(len(members), dtype=bool)),
                       *((str(c), channel == level) for level, c in enumerate(channels))):
        counts = np.bincount(lead_reach[mask], minlength=len(FUNNEL_STAGES))
        parts.append(pd.DataFrame({
            "channel": name,
            "stage": list(FUNNEL_STAGES),
            "stage_index": np.arange(len(FUNNEL_STAGES), dtype=np.int64),
            "count": np.cumsum(counts[::-1])[::-1].astype(float),
        }))
    out = pd.concat(parts, ignore_index=True)
    out["channel"] = out["channel"].astype("str")
    out["stage"] = out["stage"].astype("str")
    return out
