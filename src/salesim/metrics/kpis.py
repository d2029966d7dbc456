"""The tidy KPI table and the headline metrics.

:func:`kpi_table` returns one row per (period, metric, dimensions) with
columns :data:`KPI_COLUMNS`: ``period_type`` (``month``, ``quarter``,
``year``, ``total``), ``period`` (``'2027-03'``, ``'2027Q1'``, ``'2027'``,
``'total'``), ``metric``, the dimensions ``channel``, ``segment``, ``role``,
``rep_id`` (``''`` / ``-1`` where a row is not split by them), ``value`` and
``unit``. A metric appears overall (no dimension set) and split by each
dimension that applies to it, one dimension at a time (``role`` is also set
on per-rep rows).

Bases, so that numerators and denominators always agree:

* Events are counted in the period they happen (period basis): leads and
  recycled leads by ``created_at``, meetings set by ``meeting_set_at``,
  meetings (and valid meetings) by ``meeting_held_at``, opportunities by
  ``created_at``, wins, losses and bookings by ``closed_at``, attempts and
  contacts by activity date, ARR movements by event time, costs by the month
  they are incurred.
* ``valid_meeting_rate`` = valid meetings / meetings held, both by the month
  held. ``win_rate`` = won / (won + lost) among opportunities closed in the
  period. ``average_deal_size`` = bookings / deals won in the period.
  ``sales_cycle_days_*`` = ``closed_at - created_at`` of deals won in the
  period.
* Speed to lead (``speed_to_lead_*``) is over new leads (cycle 0) created in
  the period that have had a first call: minutes from ``created_at`` to
  ``first_attempt_at``; the shares are the part of those leads called within
  5 minutes and within 1 hour.
* ARR, retention, costs, CAC: see :mod:`salesim.metrics.finance`; headcount:
  :mod:`salesim.metrics.workforce`; attainment:
  :mod:`salesim.metrics.attainment`; utilisation, queues, waits:
  :mod:`salesim.metrics.capacity`. ``bookings_per_ae`` and
  ``meetings_per_sdr`` divide the period's bookings / meetings held by the
  role's average headcount in the period.

The lead-to-deal funnel on the cohort basis is :func:`cohort_funnel`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.engine.records import Records
from salesim.metrics._tidy import (
    BY_CHANNEL,
    BY_REP,
    BY_ROLE,
    BY_SEGMENT,
    KEYS,
    KPI_COLUMNS,
    OVERALL,
    DimSet,
    How,
    aggregate,
    as_metric,
    combine,
    concat_rows,
    ratio,
    rep_roles,
    text,
    with_dimensions,
)
from salesim.metrics.attainment import attainment, attainment_distribution
from salesim.metrics.capacity import bottlenecks
from salesim.metrics.finance import arr_rollforward, costs, retention, unit_economics
from salesim.metrics.periods import (
    PERIOD_TYPES,
    Horizon,
    PeriodType,
    all_periods,
    check_period_types,
    label_events,
)
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import headcount

HEADLINE_METRICS = (
    "leads", "meetings_held", "valid_meetings", "opportunities", "deals_won", "win_rate",
    "bookings", "ending_arr", "nrr", "grr", "logo_churn_rate", "speed_to_lead_median_minutes",
    "ae_attainment_mean", "ae_share_at_quota", "sdr_attainment_mean", "sdr_share_at_quota",
    "cac", "total_cost",
)
LEAD_DIMS: tuple[DimSet, ...] = (OVERALL, BY_CHANNEL, BY_SEGMENT)
SDR_DIMS: tuple[DimSet, ...] = (*LEAD_DIMS, BY_REP)
MONEY = "money"


class _Builder:
    """Collects KPI rows for one set of records and plan."""

    def __init__(self, records: Records, plan: Plan, period_types: Sequence[PeriodType]):
        self.records = records
        self.plan = plan
        self.period_types = check_period_types(period_types)
        self.horizon = Horizon.of(records, plan)
        self.periods = all_periods(self.horizon, self.period_types)[["period_type", "period"]]
        self.rows: list[pd.DataFrame] = []
        self.currency = plan.currency

    def unit(self, unit: str) -> str:
        return self.currency if unit == MONEY else unit

    def add(self, frame: pd.DataFrame, metric: str, unit: str) -> pd.DataFrame:
        self.rows.append(as_metric(frame, metric, self.unit(unit)))
        return frame

    def events(self, frame: pd.DataFrame, at: str, how: How, metric: str, unit: str,
               dims: Sequence[DimSet], value: str | None = None, fill: bool = True
               ) -> pd.DataFrame:
        labelled = label_events(frame.loc[frame[at].notna()], at, self.horizon,
                                self.period_types)
        parts = []
        for dim_set in dims:
            subset = labelled.loc[labelled["rep_id"] >= 0] if "rep_id" in dim_set else labelled
            parts.append(aggregate(subset, value, how, [dim_set],
                                   self.periods if fill else None))
        return self.add(concat_rows(parts), metric, unit)

    def wide(self, frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> None:
        """Add metrics from a frame keyed by period (and some dimensions)."""
        base = with_dimensions(frame)
        for column, (metric, unit) in columns.items():
            self.add(base[list(KEYS)].assign(value=base[column].to_numpy(dtype=float)),
                     metric, unit)

    def table(self) -> pd.DataFrame:
        out = concat_rows(self.rows)
        if "metric" not in out.columns:
            out = out.assign(metric=pd.Series(dtype="str"), unit=pd.Series(dtype="str"))
        out = out[list(KPI_COLUMNS)].astype({"period_type": "str", "period": "str",
                                             "metric": "str", "unit": "str",
                                             "value": "float64"})
        return out.reset_index(drop=True)


def _lead_frame(records: Records) -> pd.DataFrame:
    leads = records.leads
    return pd.DataFrame({
        "channel": text(leads["channel"]).to_numpy(),
        "segment": text(leads["segment"]).to_numpy(),
        "role": "sdr",
        "rep_id": leads["sdr_id"].to_numpy(dtype="int64"),
        "cycle": leads["cycle"].to_numpy(dtype="int64"),
        "created_at": leads["created_at"].to_numpy(dtype="datetime64[ns]"),
        "first_attempt_at": leads["first_attempt_at"].to_numpy(dtype="datetime64[ns]"),
        "meeting_set_at": leads["meeting_set_at"].to_numpy(dtype="datetime64[ns]"),
        "meeting_held_at": leads["meeting_held_at"].to_numpy(dtype="datetime64[ns]"),
        "valid": leads["valid"].fillna(False).to_numpy(dtype=bool),
    })


def _opportunity_frame(records: Records) -> pd.DataFrame:
    opps = records.opportunities
    return pd.DataFrame({
        "channel": text(opps["channel"]).to_numpy(),
        "segment": text(opps["segment"]).to_numpy(),
        "role": "ae",
        "rep_id": opps["ae_id"].to_numpy(dtype="int64"),
        "status": text(opps["status"]).to_numpy(),
        "created_at": opps["created_at"].to_numpy(dtype="datetime64[ns]"),
        "closed_at": opps["closed_at"].to_numpy(dtype="datetime64[ns]"),
        "amount": opps["amount"].to_numpy(dtype=float),
    })


def _lead_metrics(b: _Builder) -> dict[str, pd.DataFrame]:
    leads = _lead_frame(b.records)
    new = leads.loc[leads["cycle"] == 0]
    out = {
        "leads": b.events(new, "created_at", "count", "leads", "count", LEAD_DIMS),
        "recycled_leads": b.events(leads.loc[leads["cycle"] > 0], "created_at", "count",
                                   "recycled_leads", "count", LEAD_DIMS),
    }
    called = new.loc[new["first_attempt_at"].notna()].copy()
    called["minutes"] = (called["first_attempt_at"] - called["created_at"]).dt.total_seconds() / 60
    called["within_5min"] = (called["minutes"] <= 5).astype(float)
    called["within_1h"] = (called["minutes"] <= 60).astype(float)
    b.events(called, "created_at", "median", "speed_to_lead_median_minutes", "minutes",
             SDR_DIMS, "minutes", fill=False)
    b.events(called, "created_at", "p90", "speed_to_lead_p90_minutes", "minutes", SDR_DIMS,
             "minutes", fill=False)
    b.events(called, "created_at", "mean", "speed_to_lead_within_5min_share", "share",
             SDR_DIMS, "within_5min", fill=False)
    b.events(called, "created_at", "mean", "speed_to_lead_within_1h_share", "share", SDR_DIMS,
             "within_1h", fill=False)
    b.events(leads, "meeting_set_at", "count", "meetings_set", "count", SDR_DIMS)
    held = b.events(leads, "meeting_held_at", "count", "meetings_held", "count", SDR_DIMS)
    valid = b.events(leads.loc[leads["valid"]], "meeting_held_at", "count", "valid_meetings",
                     "count", SDR_DIMS)
    b.add(ratio(valid, held), "valid_meeting_rate", "share")
    out["meetings_held"] = held
    return out


def _activity_metrics(b: _Builder) -> None:
    acts = b.records.activities
    frame = pd.DataFrame({
        "date": acts["date"].to_numpy(dtype="datetime64[ns]"),
        "role": rep_roles(b.records.reps, acts["rep_id"]),
        "rep_id": acts["rep_id"].to_numpy(dtype="int64"),
        "attempts": acts["attempts"].to_numpy(dtype=float),
        "contacts": acts["contacts"].to_numpy(dtype=float),
    })
    dims = (OVERALL, BY_ROLE, BY_REP)
    b.events(frame, "date", "sum", "attempts", "count", dims, "attempts")
    b.events(frame, "date", "sum", "contacts", "count", dims, "contacts")


def _opportunity_metrics(b: _Builder) -> dict[str, pd.DataFrame]:
    opps = _opportunity_frame(b.records)
    dims = SDR_DIMS
    b.events(opps, "created_at", "count", "opportunities", "count", dims)
    won = opps.loc[opps["status"] == "won"].copy()
    lost = opps.loc[opps["status"] == "lost"]
    wins = b.events(won, "closed_at", "count", "deals_won", "count", dims)
    losses = b.events(lost, "closed_at", "count", "deals_lost", "count", dims)
    b.add(ratio(wins, combine(wins, losses)), "win_rate", "share")
    bookings = b.events(won, "closed_at", "sum", "bookings", MONEY, dims, "amount")
    b.add(ratio(bookings, wins), "average_deal_size", MONEY)
    won["cycle_days"] = (won["closed_at"] - won["created_at"]).dt.total_seconds() / 86_400
    b.events(won, "closed_at", "mean", "sales_cycle_days_mean", "days", dims, "cycle_days",
             fill=False)
    b.events(won, "closed_at", "median", "sales_cycle_days_median", "days", dims,
             "cycle_days", fill=False)
    return {"bookings": bookings}


def _arr_metrics(b: _Builder) -> None:
    columns = {
        "starting_arr": ("starting_arr", MONEY), "new_arr": ("new_arr", MONEY),
        "expansion_arr": ("expansion_arr", MONEY),
        "contraction_arr": ("contraction_arr", MONEY),
        "churned_arr": ("churned_arr", MONEY), "ending_arr": ("ending_arr", MONEY),
        "ending_customers": ("ending_customers", "count"),
    }
    kept = {"nrr": ("nrr", "ratio"), "grr": ("grr", "ratio"),
            "logo_churn_rate": ("logo_churn_rate", "share")}
    for by in ((), ("channel",), ("segment",)):
        b.wide(arr_rollforward(b.records, b.plan, by, b.period_types), columns)
        b.wide(retention(b.records, b.plan, by, b.period_types), kept)


def _people_metrics(b: _Builder, bookings: pd.DataFrame, meetings: pd.DataFrame) -> None:
    heads = headcount(b.records, b.plan, b.period_types)
    b.wide(heads, {
        "headcount": ("headcount", "people"),
        "ramped_headcount": ("ramped_headcount", "people"),
        "headcount_end": ("headcount_end", "people"),
        "hires": ("hires", "people"),
        "leavers": ("leavers", "people"),
    })
    keyed = with_dimensions(heads)
    for role, metric, source in (("ae", "bookings_per_ae", bookings),
                                 ("sdr", "meetings_per_sdr", meetings)):
        den = keyed.loc[keyed["role"] == role, list(KEYS)].assign(
            value=keyed.loc[keyed["role"] == role, "headcount"].to_numpy(dtype=float))
        overall = source.loc[(source["channel"] == "") & (source["segment"] == "")
                             & (source["rep_id"] < 0)]
        num = overall.assign(role=role)
        b.add(ratio(num, den), metric, MONEY if role == "ae" else "count")

    stages = bottlenecks(b.records, b.plan, b.period_types).rename(columns={"stage": "role"})
    b.wide(stages, {
        "utilisation": ("utilisation", "share"),
        "mean_queue": ("queue_length_mean", "count"),
        "mean_wait_hours": ("wait_hours_mean", "hours"),
        "p90_wait_hours": ("wait_hours_p90", "hours"),
    })

    reps = attainment(b.records, b.plan, b.period_types)
    b.wide(reps, {"attainment": ("attainment", "ratio")})
    b.wide(attainment_distribution(reps), {
        "reps": ("reps_with_quota", "people"),
        "mean": ("attainment_mean", "ratio"), "p10": ("attainment_p10", "ratio"),
        "p50": ("attainment_p50", "ratio"), "p90": ("attainment_p90", "ratio"),
        "share_at_quota": ("share_at_quota", "share"),
    })


def _cost_metrics(b: _Builder, leads: pd.DataFrame) -> None:
    table = costs(b.records, b.plan, b.period_types)
    for kind, dim in (("role", "role"), ("channel", "channel")):
        rows = table.loc[table["kind"] == kind]
        frame = with_dimensions(rows[["period_type", "period"]].assign(
            **{dim: rows["name"].to_numpy()}))
        b.add(frame.assign(value=rows["cost"].to_numpy(dtype=float)), "total_cost", MONEY)
        if kind == "channel":
            channel_cost = frame.assign(value=rows["cost"].to_numpy(dtype=float))
            by_channel = leads.loc[(leads["channel"] != "") & (leads["segment"] == "")]
            b.add(ratio(channel_cost, by_channel), "cost_per_lead", MONEY)
    economics = unit_economics(b.records, b.plan, b.period_types)
    b.wide(economics, {
        "total_cost": ("total_cost", MONEY), "marketing_cost": ("marketing_cost", MONEY),
        "sales_cost": ("sales_cost", MONEY), "cac": ("cac", MONEY),
        "cac_payback_months": ("cac_payback_months", "months"),
    })
    overall_leads = leads.loc[(leads["channel"] == "") & (leads["segment"] == "")]
    marketing = with_dimensions(economics[["period_type", "period"]]).assign(
        value=economics["marketing_cost"].to_numpy(dtype=float))
    b.add(ratio(marketing, overall_leads), "cost_per_lead", MONEY)


def kpi_table(records: Records, plan: Plan,
              period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Every KPI per period and dimension, as a tidy table (see the module docstring).

    Columns :data:`KPI_COLUMNS`; money is in the plan's currency (the
    ``unit``). Counts and sums have a row for every period of the horizon (0
    when nothing happened); rates, averages and quantiles are ``NaN`` when
    undefined and omitted where they have no events at all.
    """
    b = _Builder(records, plan, period_types)
    lead_rows = _lead_metrics(b)
    _activity_metrics(b)
    opportunity_rows = _opportunity_metrics(b)
    _arr_metrics(b)
    _people_metrics(b, opportunity_rows["bookings"], lead_rows["meetings_held"])
    _cost_metrics(b, lead_rows["leads"])
    return b.table()


def headline_names(plan: Plan) -> tuple[str, ...]:
    """The stable headline metric names for a plan: :data:`HEADLINE_METRICS` then
    ``headcount_end_<role>`` for each of the plan's roles."""
    return (*HEADLINE_METRICS, *(f"headcount_end_{role}" for role in plan.roles))


def headline_metrics(records: Records, plan: Plan) -> dict[str, float]:
    """The headline numbers over the whole horizon, keyed by :func:`headline_names`.

    Each is the ``'total'`` row of :func:`kpi_table` without dimensions, except
    ``ae_attainment_mean`` / ``sdr_attainment_mean`` / ``*_share_at_quota``
    (the role's ``attainment_mean`` / ``share_at_quota``: each rep's attainment
    over the horizon) and ``headcount_end_<role>`` (heads at the horizon end).
    ``NaN`` where undefined (no deals closed: ``win_rate``; no quota: attainment).
    """
    table = kpi_table(records, plan, period_types=("total",))
    index = pd.Series(table["value"].to_numpy(dtype=float),
                      index=pd.MultiIndex.from_frame(table[["metric", "role", "channel",
                                                            "segment", "rep_id"]]))
    index = index[~index.index.duplicated()]

    def value(metric: str, role: str = "") -> float:
        key = (metric, role, "", "", -1)
        return float(index[key]) if key in index.index else np.nan

    out: dict[str, float] = {}
    for name in headline_names(plan):
        if name.startswith("headcount_end_"):
            out[name] = value("headcount_end", name.removeprefix("headcount_end_"))
        elif name.endswith("_attainment_mean"):
            out[name] = value("attainment_mean", name.removesuffix("_attainment_mean"))
        elif name.endswith("_share_at_quota"):
            out[name] = value("share_at_quota", name.removesuffix("_share_at_quota"))
        else:
            out[name] = value(name)
    return out
