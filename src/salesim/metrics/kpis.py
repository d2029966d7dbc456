"""The tidy KPI table and the headline metrics.

:func:`kpi_table` returns one row per (period, metric, dimensions) with
columns :data:`KPI_COLUMNS`: ``period_type`` (``month``, ``quarter``,
``year``, ``total``), ``period`` (``'2027-03'``, ``'2027Q1'``, ``'2027'``,
``'total'``), ``metric``, the dimensions ``channel``, ``segment``, ``role``,
``rep_id`` (``''`` / ``-1`` where a row is not split by them), ``value`` and
``unit``. A metric appears overall (no dimension set) and split by each
dimension that applies to it, one dimension at a time (``role`` is also set
on per-rep rows).

Metrics and their splits (C channel, S segment, R role, P rep):

* leads: ``leads``, ``recycled_leads`` (C, S).
* SDR: ``speed_to_lead_median_minutes``, ``speed_to_lead_p90_minutes``,
  ``speed_to_lead_within_5min_share``, ``speed_to_lead_within_1h_share``,
  ``meetings_set``, ``meetings_held``, ``valid_meetings``,
  ``valid_meeting_rate`` (C, S, P); ``attempts``, ``contacts`` (R, P).
* AE: ``opportunities``, ``deals_won``, ``deals_lost``, ``win_rate``,
  ``bookings``, ``average_deal_size``, ``sales_cycle_days_mean``,
  ``sales_cycle_days_median`` (C, S, P).
* customers: ``starting_arr``, ``new_arr``, ``expansion_arr``,
  ``contraction_arr``, ``churned_arr``, ``ending_arr``, ``ending_customers``,
  ``nrr``, ``grr``, ``logo_churn_rate`` (C, S).
* people: ``headcount``, ``ramped_headcount``, ``headcount_end``, ``hires``,
  ``leavers``, ``utilisation``, ``queue_length_mean``, ``wait_hours_mean``,
  ``wait_hours_p90`` (R); ``bookings_per_ae``, ``meetings_per_sdr`` (R only);
  ``attainment`` (P); ``reps_with_quota``, ``attainment_mean``,
  ``attainment_p10``, ``attainment_p50``, ``attainment_p90``,
  ``share_at_quota`` (R only).
* money: ``total_cost`` (R, C), ``marketing_cost``, ``sales_cost``, ``cac``,
  ``cac_payback_months``, ``cost_per_lead`` (C).

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
from salesim.metrics._groups import divide, group_mean, group_quantile, group_sum
from salesim.metrics._tidy import KPI_COLUMNS, rep_roles, text
from salesim.metrics.attainment import attainment_distribution, attainment_frame
from salesim.metrics.capacity import bottleneck_frame
from salesim.metrics.finance import (
    cost_arrays,
    economics_arrays,
    retention_arrays,
    rollforward_arrays,
)
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import workforce

HEADLINE_METRICS = (
    "leads", "meetings_held", "valid_meetings", "opportunities", "deals_won", "win_rate",
    "bookings", "ending_arr", "nrr", "grr", "logo_churn_rate", "speed_to_lead_median_minutes",
    "ae_attainment_mean", "ae_share_at_quota", "sdr_attainment_mean", "sdr_share_at_quota",
    "cac", "total_cost",
)
MONEY = "money"
OVERALL = ""
_FILLED = (OVERALL, "channel", "segment", "role")


class _Rows:
    """Collects KPI rows as column arrays and builds the table once at the end."""

    def __init__(self, grid: PeriodGrid, currency: str) -> None:
        self.grid = grid
        self.currency = currency
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in KPI_COLUMNS}
        self.seen: set[str] = set()

    def add(self, metric: str, unit: str, values: np.ndarray, dim: str = OVERALL,
            levels: np.ndarray | None = None, roles: np.ndarray | None = None,
            keep: np.ndarray | None = None) -> None:
        """Rows of one metric from a (periods,) or (periods x levels) array of values."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        n_levels = values.shape[1]
        period = np.repeat(np.arange(self.grid.size), n_levels)
        level = np.tile(np.arange(n_levels), self.grid.size)
        if keep is not None:
            mask = np.asarray(keep, dtype=bool).ravel()
            period, level = period[mask], level[mask]
        n = len(period)
        if n == 0:
            return
        blank = np.full(n, "", dtype=object)
        found = levels[level] if levels is not None else blank
        parts = self.parts
        parts["period_type"].append(self.grid.period_type[period])
        parts["period"].append(self.grid.period[period])
        parts["metric"].append(np.full(n, metric, dtype=object))
        parts["channel"].append(found if dim == "channel" else blank)
        parts["segment"].append(found if dim == "segment" else blank)
        if dim == "role":
            parts["role"].append(found)
        elif dim == "rep_id" and roles is not None:
            parts["role"].append(roles[level])
        else:
            parts["role"].append(blank)
        parts["rep_id"].append(found.astype(np.int64) if dim == "rep_id"
                               else np.full(n, -1, dtype=np.int64))
        parts["value"].append(values[period, level])
        parts["unit"].append(np.full(n, self.currency if unit == MONEY else unit, dtype=object))

    def add_frame(self, frame: pd.DataFrame, columns: dict[str, tuple[str, str]],
                  dim: str = OVERALL) -> None:
        """Rows from a frame laid out period-major with ``dim`` as its level column."""
        periods = self.grid.size
        n_levels = len(frame) // periods if periods else 0
        levels = (frame[dim].to_numpy(dtype=object)[:n_levels] if dim != OVERALL else None)
        for column, (metric, unit) in columns.items():
            values = frame[column].to_numpy(dtype=float).reshape(periods, n_levels)
            self.add(metric, unit, values, dim, levels)

    def table(self) -> pd.DataFrame:
        def column(name: str, dtype: str) -> pd.api.extensions.ExtensionArray | np.ndarray:
            parts = self.parts[name]
            joined = np.concatenate(parts) if parts else np.array([], dtype=object)
            return pd.array(joined, dtype="str") if dtype == "str" else joined.astype(dtype)

        return pd.DataFrame({
            "period_type": column("period_type", "str"), "period": column("period", "str"),
            "metric": column("metric", "str"), "channel": column("channel", "str"),
            "segment": column("segment", "str"), "role": column("role", "str"),
            "rep_id": column("rep_id", "int64"), "value": column("value", "float64"),
            "unit": column("unit", "str"),
        })


class _Source:
    """An event table's dimensions, to count, sum and summarise its events by period
    overall and split by each dimension (rows with an empty value or a negative
    rep id stay out of that split)."""

    def __init__(self, grid: PeriodGrid, dims: dict[str, np.ndarray], rep_role: str | None,
                 reps: pd.DataFrame | None = None) -> None:
        self.grid = grid
        self.codes: dict[str, np.ndarray] = {}
        self.levels: dict[str, np.ndarray] = {}
        self.roles: np.ndarray | None = None
        for name, values in dims.items():
            if name == "rep_id":
                ids = np.asarray(values, dtype=np.int64)
                levels = np.unique(ids[ids >= 0])
                codes = np.where(ids >= 0, np.searchsorted(levels, ids), -1)
                self.levels[name] = levels.astype(object)
                if rep_role is not None:
                    self.roles = np.full(len(levels), rep_role, dtype=object)
                elif reps is not None:
                    self.roles = rep_roles(reps, pd.Series(levels))
            else:
                values = np.asarray(values, dtype=object)
                codes, uniques = pd.factorize(values)
                keep = np.asarray(uniques, dtype=object) != ""
                remap = np.where(keep, np.cumsum(keep) - 1, -1)
                codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
                self.levels[name] = np.asarray(uniques, dtype=object)[keep]
            self.codes[name] = np.asarray(codes, dtype=np.int64)

    def dims(self) -> list[str]:
        return [OVERALL, *self.codes]

    def _keys(self, dim: str, rows: np.ndarray, periods: np.ndarray
              ) -> tuple[np.ndarray, int]:
        if dim == OVERALL:
            return periods, 1
        n = len(self.levels[dim])
        codes = self.codes[dim][rows]
        ok = codes >= 0
        return np.where(ok, periods * n + codes, -1), n

    def stats(self, times: np.ndarray, how: str = "count", values: np.ndarray | None = None
              ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per dimension, (values, counts) as (periods x levels) arrays: the events'
        count, or the sum, mean, median or p90 of ``values`` (one per source row)."""
        rows, periods = self.grid.locate(times)
        out = {}
        for dim in self.dims():
            keys, n = self._keys(dim, rows, periods)
            ok = keys >= 0
            size = self.grid.size * n
            counts = group_sum(keys[ok], size)
            if how == "count":
                result = counts
            else:
                assert values is not None
                picked = values[rows][ok]
                if how == "sum":
                    result = group_sum(keys[ok], size, picked)
                elif how == "mean":
                    result = group_mean(keys[ok], picked, size)
                else:
                    result = group_quantile(keys[ok], picked, size, 0.9 if how == "p90" else 0.5)
            out[dim] = (result.reshape(self.grid.size, n), counts.reshape(self.grid.size, n))
        return out


class _Builder:
    def __init__(self, records: Records, plan: Plan, period_types: Sequence[PeriodType],
                 split: bool = True) -> None:
        self.records = records
        self.plan = plan
        self.split = split
        self.grid = PeriodGrid(Horizon.of(records, plan), period_types)
        self.rows = _Rows(self.grid, plan.currency)

    def source(self, dims: dict[str, np.ndarray], rep_role: str | None = None) -> _Source:
        if not self.split:
            dims = {k: v for k, v in dims.items() if k == "role"}
        return _Source(self.grid, dims, rep_role, self.records.reps)

    def emit(self, source: _Source, metric: str, unit: str,
             stats: dict[str, tuple[np.ndarray, np.ndarray]], filled: bool) -> None:
        """Counts and sums (``filled``) get every period and level, 0 where nothing
        happened; other statistics only cells with events. Per-rep rows only where
        the rep had events."""
        for dim, (values, counts) in stats.items():
            keep = None if filled and dim in _FILLED else counts > 0
            self.rows.add(metric, unit, values, dim, source.levels.get(dim), source.roles,
                          keep)

    def emit_ratio(self, source: _Source, metric: str, unit: str,
                   num: dict[str, tuple[np.ndarray, np.ndarray]],
                   den: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        for dim in den:
            value = divide(num[dim][0], den[dim][0])
            keep = None if dim in _FILLED else den[dim][1] > 0
            self.rows.add(metric, unit, value, dim, source.levels.get(dim), source.roles,
                          keep)


def _datetimes(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(frame[column].to_numpy(dtype="datetime64[ns]"))


def _lead_metrics(b: _Builder) -> dict[str, np.ndarray]:
    leads = b.records.leads
    source = b.source({"channel": text(leads["channel"]).to_numpy(dtype=object),
                       "segment": text(leads["segment"]).to_numpy(dtype=object),
                       "rep_id": leads["sdr_id"].to_numpy(dtype=np.int64)}, "sdr")
    created = _datetimes(leads, "created_at")
    cycle = leads["cycle"].to_numpy(dtype=np.int64)
    nat = np.datetime64("NaT", "ns")
    new_created = np.where(cycle == 0, created, nat)
    lead_counts = source.stats(new_created)
    b.emit(source, "leads", "count", {d: v for d, v in lead_counts.items()
                                      if d != "rep_id"}, True)
    recycled = source.stats(np.where(cycle > 0, created, nat))
    b.emit(source, "recycled_leads", "count",
           {d: v for d, v in recycled.items() if d != "rep_id"}, True)

    attempt = _datetimes(leads, "first_attempt_at")
    called = (cycle == 0) & ~np.isnat(attempt)
    minutes = (attempt - created) / np.timedelta64(1, "m")
    called_at = np.where(called, created, nat)
    for metric, how, values in (
        ("speed_to_lead_median_minutes", "median", minutes),
        ("speed_to_lead_p90_minutes", "p90", minutes),
        ("speed_to_lead_within_5min_share", "mean", (minutes <= 5).astype(float)),
        ("speed_to_lead_within_1h_share", "mean", (minutes <= 60).astype(float)),
    ):
        unit = "minutes" if metric.endswith("minutes") else "share"
        b.emit(source, metric, unit, source.stats(called_at, how, values), False)

    b.emit(source, "meetings_set", "count", source.stats(_datetimes(leads, "meeting_set_at")),
           True)
    held_at = _datetimes(leads, "meeting_held_at")
    held = source.stats(held_at)
    b.emit(source, "meetings_held", "count", held, True)
    valid_flag = leads["valid"].fillna(False).to_numpy(dtype=bool)
    valid = source.stats(np.where(valid_flag, held_at, nat))
    b.emit(source, "valid_meetings", "count", valid, True)
    b.emit_ratio(source, "valid_meeting_rate", "share", valid, held)
    return {"leads": lead_counts[OVERALL][0][:, 0], "meetings_held": held[OVERALL][0][:, 0],
            "channel_leads": lead_counts["channel"][0] if "channel" in lead_counts
            else np.zeros((b.grid.size, 0)),
            "channels": source.levels.get("channel", np.array([], dtype=object))}


def _activity_metrics(b: _Builder) -> None:
    acts = b.records.activities
    ids = acts["rep_id"].to_numpy(dtype=np.int64)
    source = b.source({"role": rep_roles(b.records.reps, acts["rep_id"]), "rep_id": ids})
    when = _datetimes(acts, "date")
    for metric in ("attempts", "contacts"):
        b.emit(source, metric, "count",
               source.stats(when, "sum", acts[metric].to_numpy(dtype=float)), True)


def _opportunity_metrics(b: _Builder) -> np.ndarray:
    opps = b.records.opportunities
    source = b.source({"channel": text(opps["channel"]).to_numpy(dtype=object),
                       "segment": text(opps["segment"]).to_numpy(dtype=object),
                       "rep_id": opps["ae_id"].to_numpy(dtype=np.int64)}, "ae")
    nat = np.datetime64("NaT", "ns")
    status = text(opps["status"]).to_numpy(dtype=object)
    created = _datetimes(opps, "created_at")
    closed = _datetimes(opps, "closed_at")
    won_at = np.where(status == "won", closed, nat)
    b.emit(source, "opportunities", "count", source.stats(created), True)
    wins = source.stats(won_at)
    losses = source.stats(np.where(status == "lost", closed, nat))
    b.emit(source, "deals_won", "count", wins, True)
    b.emit(source, "deals_lost", "count", losses, True)
    closed_deals = {d: (wins[d][0] + losses[d][0], wins[d][1] + losses[d][1]) for d in wins}
    b.emit_ratio(source, "win_rate", "share", wins, closed_deals)
    amount = opps["amount"].to_numpy(dtype=float)
    bookings = source.stats(won_at, "sum", amount)
    b.emit(source, "bookings", MONEY, bookings, True)
    b.emit_ratio(source, "average_deal_size", MONEY, bookings, wins)
    cycle_days = (closed - created) / np.timedelta64(1, "D")
    b.emit(source, "sales_cycle_days_mean", "days", source.stats(won_at, "mean", cycle_days),
           False)
    b.emit(source, "sales_cycle_days_median", "days",
           source.stats(won_at, "median", cycle_days), False)
    return np.asarray(bookings[OVERALL][0][:, 0], dtype=float)


def _arr_metrics(b: _Builder) -> None:
    bridge = {"starting_arr": ("starting_arr", MONEY), "new_arr": ("new_arr", MONEY),
              "expansion_arr": ("expansion_arr", MONEY),
              "contraction_arr": ("contraction_arr", MONEY),
              "churned_arr": ("churned_arr", MONEY), "ending_arr": ("ending_arr", MONEY),
              "ending_customers": ("ending_customers", "count")}
    kept = {"nrr": ("nrr", "ratio"), "grr": ("grr", "ratio"),
            "logo_churn_rate": ("logo_churn_rate", "share")}
    for dim in (OVERALL, "channel", "segment") if b.split else (OVERALL,):
        by = (dim,) if dim else ()
        for arrays, columns in ((rollforward_arrays, bridge), (retention_arrays, kept)):
            levels, values = arrays(b.records, b.grid, by)
            names = levels[dim].to_numpy(dtype=object) if dim else None
            keep = None if names is None else np.broadcast_to(names != "", (b.grid.size,
                                                                           len(names)))
            for column, (metric, unit) in columns.items():
                b.rows.add(metric, unit, values[column], dim, names, None, keep)


def _people_metrics(b: _Builder, bookings: np.ndarray, meetings: np.ndarray,
                    channel_leads: np.ndarray, channels: np.ndarray, leads: np.ndarray
                    ) -> None:
    work = workforce(b.records, b.plan, b.grid)
    grid = b.grid
    roles = np.asarray(work.roles, dtype=object)
    days = grid.days[:, None]
    for metric, values in (("headcount", work.person_days / days),
                           ("ramped_headcount", work.ramped_days / days),
                           ("headcount_end", work.headcount_end), ("hires", work.hires),
                           ("leavers", work.leavers)):
        b.rows.add(metric, "people", values, "role", roles)
    for role, metric, amounts, unit in (("ae", "bookings_per_ae", bookings, MONEY),
                                        ("sdr", "meetings_per_sdr", meetings, "count")):
        if role in work.roles:
            heads = work.person_days[:, work.roles.index(role)] / grid.days
            b.rows.add(metric, unit, divide(amounts, heads)[:, None], "role",
                       np.array([role], dtype=object))

    stages = bottleneck_frame(b.records, b.plan, work)
    b.rows.add_frame(stages.rename(columns={"stage": "role"}), {
        "utilisation": ("utilisation", "share"),
        "mean_queue": ("queue_length_mean", "count"),
        "mean_wait_hours": ("wait_hours_mean", "hours"),
        "p90_wait_hours": ("wait_hours_p90", "hours"),
    }, "role")

    reps = attainment_frame(b.records, b.plan, work)
    if b.split:
        rows = b.rows
        period_index = pd.Index(grid.period_type.astype(str) + "|" + grid.period.astype(str))
        where = period_index.get_indexer(reps["period_type"].astype(str) + "|"
                                         + reps["period"].astype(str))
        ids = reps["rep_id"].to_numpy(dtype=np.int64)
        n = len(reps)
        rows.parts["period_type"].append(grid.period_type[where])
        rows.parts["period"].append(grid.period[where])
        rows.parts["metric"].append(np.full(n, "attainment", dtype=object))
        rows.parts["channel"].append(np.full(n, "", dtype=object))
        rows.parts["segment"].append(np.full(n, "", dtype=object))
        rows.parts["role"].append(reps["role"].to_numpy(dtype=object))
        rows.parts["rep_id"].append(ids)
        rows.parts["value"].append(reps["attainment"].to_numpy(dtype=float))
        rows.parts["unit"].append(np.full(n, "ratio", dtype=object))
    dist = attainment_distribution(reps)
    role_names = np.asarray([r for r in work.roles if b.plan.role(r).has_quota], dtype=object)
    if len(role_names):
        grid_keys = pd.MultiIndex.from_arrays([np.repeat(grid.period_type, len(role_names)),
                                               np.repeat(grid.period, len(role_names)),
                                               np.tile(role_names, grid.size)])
        found = grid_keys.get_indexer(pd.MultiIndex.from_frame(
            dist[["period_type", "period", "role"]].astype(object)))
        for column, metric, unit in (("reps", "reps_with_quota", "people"),
                                     ("mean", "attainment_mean", "ratio"),
                                     ("p10", "attainment_p10", "ratio"),
                                     ("p50", "attainment_p50", "ratio"),
                                     ("p90", "attainment_p90", "ratio"),
                                     ("share_at_quota", "share_at_quota", "share")):
            values = np.full(len(grid_keys), np.nan)
            values[found] = dist[column].to_numpy(dtype=float)
            present = np.zeros(len(grid_keys), dtype=bool)
            present[found] = True
            b.rows.add(metric, unit, values.reshape(grid.size, len(role_names)), "role",
                       role_names, keep=present.reshape(grid.size, len(role_names)))

    spend = cost_arrays(b.records, b.plan, work)
    b.rows.add("total_cost", MONEY, spend.role_cost, "role", roles)
    channel_names = np.asarray(spend.channels, dtype=object)
    if b.split:
        b.rows.add("total_cost", MONEY, spend.channel_cost, "channel", channel_names)
        lead_index = pd.Index(channels).get_indexer(channel_names)
        lead_counts = np.where(lead_index >= 0, channel_leads[:, np.maximum(lead_index, 0)]
                               if channel_leads.shape[1] else 0.0, 0.0)
        b.rows.add("cost_per_lead", MONEY, divide(spend.channel_cost, lead_counts), "channel",
                   channel_names)
    economics = economics_arrays(b.records, b.plan, grid, spend)
    for column, unit in (("total_cost", MONEY), ("marketing_cost", MONEY),
                         ("sales_cost", MONEY), ("cac", MONEY),
                         ("cac_payback_months", "months")):
        b.rows.add(column, unit, economics[column])
    b.rows.add("cost_per_lead", MONEY, divide(economics["marketing_cost"], leads))


def _table(records: Records, plan: Plan, period_types: Sequence[PeriodType],
           split: bool) -> pd.DataFrame:
    b = _Builder(records, plan, period_types, split)
    lead_rows = _lead_metrics(b)
    _activity_metrics(b)
    bookings = _opportunity_metrics(b)
    _arr_metrics(b)
    _people_metrics(b, bookings, lead_rows["meetings_held"], lead_rows["channel_leads"],
                    lead_rows["channels"], lead_rows["leads"])
    return b.rows.table()


def kpi_table(records: Records, plan: Plan,
              period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Every KPI per period and dimension, as a tidy table (see the module docstring).

    Columns :data:`KPI_COLUMNS`; money is in the plan's currency (the
    ``unit``). Counts and sums have a row for every period of the horizon (0
    when nothing happened); rates, averages and quantiles are ``NaN`` when
    undefined and omitted where they have no events at all.
    """
    return _table(records, plan, period_types, split=True)


def headline_names(plan: Plan) -> tuple[str, ...]:
    """The stable headline metric names for a plan: :data:`HEADLINE_METRICS` then
    ``headcount_end_<role>`` for each of the plan's roles."""
    return (*HEADLINE_METRICS, *(f"headcount_end_{role}" for role in plan.roles))


def headline_metrics(records: Records, plan: Plan,
                     kpis: pd.DataFrame | None = None) -> dict[str, float]:
    """The headline numbers over the whole horizon, keyed by :func:`headline_names`.

    Each is the ``'total'`` row of :func:`kpi_table` without dimensions, except
    ``ae_attainment_mean`` / ``sdr_attainment_mean`` / ``*_share_at_quota``
    (the role's ``attainment_mean`` / ``share_at_quota``: each rep's attainment
    over the horizon) and ``headcount_end_<role>`` (heads at the horizon end).
    ``NaN`` where undefined (no deals closed: ``win_rate``; no quota: attainment).
    Pass ``kpis``, a :func:`kpi_table` of the same records and plan that has the
    ``'total'`` rows, to read the numbers from it instead of computing them.
    """
    table = kpis if kpis is not None else _table(records, plan, ("total",), split=False)
    table = table.loc[(table["period_type"] == "total") & (table["channel"] == "")
                      & (table["segment"] == "") & (table["rep_id"] < 0)]
    found = dict(zip(zip(table["metric"].astype(str), table["role"].astype(str), strict=True),
                     table["value"].to_numpy(dtype=float), strict=True))

    def value(metric: str, role: str = "") -> float:
        return float(found.get((metric, role), np.nan))

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
