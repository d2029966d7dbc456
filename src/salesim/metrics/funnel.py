"""The lead-to-deal funnel in two views, each explicit about its basis.

* :func:`cohort_funnel` (``basis == 'cohort'``): leads grouped by the month
  (quarter, year) they were first created; for each cohort, how many of those
  leads reached each stage, whenever that happened up to the horizon end
  (including in later recycle cycles). Rates between stages are true
  conversion rates because numerator and denominator are the same leads. Late
  cohorts have had less time to convert.
* :func:`period_funnel` (``basis == 'period'``): each stage's events counted in
  the period they happened: leads by creation, meetings by the day they were
  held (a meeting booked on 31 August for 1 September counts in September),
  opportunities by creation, wins by close. Ratios between stages of one
  period mix different leads, so this view gives no rates.

Stages, in order: ``leads`` (new leads; recycled engagements are not new
leads), ``attempted``, ``contacted``, ``meetings_set``, ``meetings_held``,
``valid_meetings``, ``opportunities``, ``deals_won``.

>>> import salesim
>>> from salesim.metrics import cohort_funnel
>>> records = salesim.simulate(salesim.load_scenario("scenarios/minimal.yaml"), seed=1)
>>> funnel = cohort_funnel(records, by=("channel",))
>>> funnel["stage"].unique().tolist()[:4]
['leads', 'attempted', 'contacted', 'meetings_set']
>>> january = funnel.query("period == '2027-01'").set_index("stage")
>>> january.loc["leads", "share_of_cohort"], bool(january.loc["leads", "count"] > 0)
(np.float64(1.0), True)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.metrics._tidy import text
from salesim.metrics.periods import Horizon, PeriodType, period_labels, period_table
from salesim.metrics.plan import Plan
from salesim.records import Records

FUNNEL_STAGES = ("leads", "attempted", "contacted", "meetings_set", "meetings_held",
                 "valid_meetings", "opportunities", "deals_won")
FUNNEL_DIMENSIONS = ("channel", "segment")
_LEAD_STAGE_TIMES = {
    "attempted": "first_attempt_at",
    "contacted": "contacted_at",
    "meetings_set": "meeting_set_at",
    "meetings_held": "meeting_held_at",
}


def _check_by(by: Sequence[str]) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    bad = [d for d in by if d not in FUNNEL_DIMENSIONS]
    if bad:
        raise ValueError(f"the funnel can be split by {FUNNEL_DIMENSIONS}, not {bad}")
    return by


def lead_stage_events(records: Records) -> pd.DataFrame:
    """Every funnel event as a row: ``stage``, ``at``, ``lead_id``, ``channel``,
    ``segment``, ``cycle`` (``-1`` for opportunity events). Held meetings count
    at ``meeting_held_at``; valid meetings are held meetings marked valid."""
    leads = records.leads
    base = pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy(),
        "cycle": leads["cycle"].to_numpy(),
        "channel": text(leads["channel"]).to_numpy(),
        "segment": text(leads["segment"]).to_numpy(),
    })
    parts = [base.assign(stage="leads", at=leads["created_at"].to_numpy())
             .loc[leads["cycle"].to_numpy() == 0]]
    for stage, column in _LEAD_STAGE_TIMES.items():
        parts.append(base.assign(stage=stage, at=leads[column].to_numpy()))
    valid = leads["valid"].fillna(False).to_numpy(dtype=bool)
    parts.append(base.assign(stage="valid_meetings",
                             at=leads["meeting_held_at"].where(valid).to_numpy()))
    opps = records.opportunities
    opp_base = pd.DataFrame({
        "lead_id": opps["lead_id"].to_numpy(),
        "cycle": np.full(len(opps), -1, dtype="int64"),
        "channel": text(opps["channel"]).to_numpy(),
        "segment": text(opps["segment"]).to_numpy(),
    })
    parts.append(opp_base.assign(stage="opportunities", at=opps["created_at"].to_numpy()))
    won = (opps["status"] == "won").to_numpy(dtype=bool)
    parts.append(opp_base.assign(stage="deals_won", at=opps["closed_at"].where(won).to_numpy()))
    events = pd.concat(parts, ignore_index=True)
    events["at"] = pd.to_datetime(events["at"]).astype("datetime64[ns]")
    out: pd.DataFrame = events.loc[events["at"].notna()].reset_index(drop=True)
    return out


def _complete(counts: pd.DataFrame, periods: pd.DataFrame, combos: pd.DataFrame,
              by: list[str]) -> pd.DataFrame:
    stages = pd.DataFrame({"stage": list(FUNNEL_STAGES),
                           "stage_index": np.arange(len(FUNNEL_STAGES), dtype="int64")})
    frame = periods[["period_type", "period"]].merge(
        combos if by else pd.DataFrame(index=[0]), how="cross").merge(stages, how="cross")
    frame = frame.merge(counts, on=["period", *by, "stage"], how="left")
    frame["count"] = frame["count"].fillna(0).astype("int64")
    return frame


def period_funnel(records: Records, by: Sequence[str] = (), period_type: PeriodType = "month",
                  plan: Plan | None = None) -> pd.DataFrame:
    """Funnel events counted in the period they happened (``basis == 'period'``).

    Columns: ``basis``, ``period_type``, ``period``, the ``by`` dimensions
    (``channel``, ``segment``), ``stage``, ``stage_index``, ``count``. Every
    period of the horizon appears, with 0 where nothing happened. Opportunity
    stages take the opportunity's own channel and segment.
    """
    by = _check_by(by)
    horizon = Horizon.of(records, plan)
    events = lead_stage_events(records)
    events = events.loc[horizon.contains(events["at"])]
    events = events.assign(period=period_labels(events["at"], period_type))
    counts = (events.groupby(["period", *by, "stage"], observed=True).size()
              .rename("count").reset_index())
    combos = lead_stage_events(records)[by].drop_duplicates() if by else pd.DataFrame()
    frame = _complete(counts, period_table(horizon, period_type), combos, by)
    frame.insert(0, "basis", "period")
    return frame[["basis", "period_type", "period", *by, "stage", "stage_index", "count"]]


def cohort_reach(records: Records, plan: Plan | None = None) -> pd.DataFrame:
    """One row per lead (``lead_id``) with its cohort time (``created_at``: first
    creation), the ``channel`` and ``segment`` of its first engagement and one
    boolean column per stage: did the lead reach it by the horizon end, in any
    cycle. A lead that reached a stage counts as having reached every earlier
    stage, so the flags never increase down the funnel."""
    horizon = Horizon.of(records, plan)
    events = lead_stage_events(records)
    events = events.loc[events["at"] < horizon.end]
    leads = records.leads
    first = (pd.DataFrame({
        "lead_id": leads["lead_id"].to_numpy(),
        "cycle": leads["cycle"].to_numpy(),
        "created_at": leads["created_at"].to_numpy(),
        "channel": text(leads["channel"]).to_numpy(),
        "segment": text(leads["segment"]).to_numpy(),
    }).sort_values(["created_at", "cycle"], kind="stable")
        .drop_duplicates("lead_id", keep="first").set_index("lead_id"))
    hits = (events.loc[events["stage"] != "leads"].groupby(["lead_id", "stage"]).size()
            .unstack(fill_value=0))
    reached = hits.reindex(index=first.index, columns=list(FUNNEL_STAGES[1:]),
                           fill_value=0).fillna(0) > 0
    flags = reached.to_numpy(dtype=bool)
    flags = np.logical_or.accumulate(flags[:, ::-1], axis=1)[:, ::-1] if flags.size else flags
    out = first[["created_at", "channel", "segment"]].copy()
    out["leads"] = True
    out[list(FUNNEL_STAGES[1:])] = flags
    return out.reset_index()


def cohort_funnel(records: Records, by: Sequence[str] = (), period_type: PeriodType = "month",
                  plan: Plan | None = None) -> pd.DataFrame:
    """Leads by the period they were first created, and how many reached each stage
    (``basis == 'cohort'``).

    Columns: ``basis``, ``period_type``, ``period`` (the cohort), the ``by``
    dimensions, ``stage``, ``stage_index``, ``count`` (leads of the cohort that
    reached the stage), ``share_of_cohort`` (count / the cohort's leads) and
    ``step_conversion`` (count / the previous stage's count; ``NaN`` when that
    is 0). Both rates are on the lead-creation cohort basis. Only leads first
    created inside the horizon form cohorts.
    """
    by = _check_by(by)
    horizon = Horizon.of(records, plan)
    reach = cohort_reach(records, plan)
    reach = reach.loc[horizon.contains(reach["created_at"])]
    reach = reach.assign(period=period_labels(reach["created_at"], period_type))
    counts = (reach.groupby(["period", *by], observed=True)[list(FUNNEL_STAGES)].sum()
              .reset_index()
              .melt(id_vars=["period", *by], var_name="stage", value_name="count"))
    combos = reach[by].drop_duplicates() if by else pd.DataFrame()
    frame = _complete(counts, period_table(horizon, period_type), combos, by)
    frame = frame.sort_values(["period", *by, "stage_index"], kind="stable").reset_index(
        drop=True)
    group = frame.groupby(["period", *by], sort=False)["count"]
    cohort = group.transform("first").to_numpy(dtype=float)
    previous = group.shift(1).to_numpy(dtype=float)
    count = frame["count"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["share_of_cohort"] = np.where(cohort > 0, count / cohort, np.nan)
        frame["step_conversion"] = np.where(previous > 0, count / previous, np.nan)
    frame.insert(0, "basis", "cohort")
    return frame[["basis", "period_type", "period", *by, "stage", "stage_index", "count",
                  "share_of_cohort", "step_conversion"]]
