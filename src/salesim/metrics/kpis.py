"""The tidy KPI table and the headline metrics.

:func:`kpi_table` returns one row per (period, metric, dimensions) with
columns :data:`KPI_COLUMNS`: ``period_type`` (``month``, ``quarter``,
``year``, ``total``), ``period`` (``'2027-03'``, ``'2027Q1'``, ``'2027'``,
``'total'``), ``metric``, the dimensions ``channel``, ``segment``, ``role``,
``team``, ``rep_id`` (``''`` / ``-1`` where a row is not split by them),
``value`` and ``unit``. A metric appears overall (no dimension set) and split by
each dimension that applies to it, one dimension at a time. ``role`` is a team
kind (:data:`salesim.roles.KINDS`): a row split by role covers every team of
that kind; a row split by team names the team and its kind in ``role``; per-rep
rows carry the rep's role and team.

Metrics and their splits (C channel, S segment, R role and team, P rep):

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
  ``nrr``, ``grr``, ``logo_churn_rate`` (over the period; ``total``: the trailing
  twelve months to the horizon end), ``nrr_ttm``, ``grr_ttm``,
  ``logo_churn_rate_ttm`` (the trailing twelve months to the period's end) (C, S).
* people: ``headcount``, ``ramped_headcount``, ``headcount_end``, ``hires``,
  ``leavers``, ``utilisation``, ``queue_length_mean``, ``wait_hours_mean``,
  ``wait_hours_p90`` (R); ``prospecting_share`` (R, for AE teams under the time
  model: prospecting hours / selling hours available; utilisation counts them with
  the hours on deals); ``bookings_per_ae``, ``meetings_per_sdr`` (R only);
  ``attainment`` (P); ``reps_with_quota``, ``attainment_mean``,
  ``attainment_p10``, ``attainment_p50``, ``attainment_p90``,
  ``share_at_quota`` (R only); ``ramped_rep_periods`` and ``ramped_share_at_quota``
  (team only, in the team's quota periods and the total: reps fully ramped through a
  whole quota period, :mod:`salesim.metrics.quota_periods`). Per team, ``bookings_per_ae`` and
  ``meetings_per_sdr`` count the team's own opportunities and leads (their
  ``team`` column).
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
  role's (or team's) average headcount in the period.

The lead-to-deal funnel on the cohort basis is :func:`cohort_funnel`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.metrics._groups import divide, group_sum, sorted_group_quantiles, value_order
from salesim.metrics._tidy import (
    KPI_COLUMNS,
    first_seen_levels,
    rep_roles,
    rep_teams,
    text_array,
    text_codes,
)
from salesim.metrics.attainment import AT_QUOTA, MIN_EXPECTED, attainment_arrays
from salesim.metrics.capacity import Memo, bottleneck_arrays
from salesim.metrics.compensation import has_plans, pay_kpis
from salesim.metrics.finance import (
    arr_events,
    cost_arrays,
    economics_arrays,
    retention_arrays,
    rollforward_arrays,
    trailing_retention_arrays,
)
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.metrics.quota_periods import ramped_share_arrays
from salesim.metrics.workforce import workforce
from salesim.records import Records
from salesim.roles import KINDS, TeamKind

HEADLINE_METRICS = (
    "leads", "meetings_held", "valid_meetings", "opportunities", "deals_won", "win_rate",
    "bookings", "ending_arr", "nrr", "grr", "logo_churn_rate", "speed_to_lead_median_minutes",
    "ae_attainment_mean", "ae_share_at_quota", "sdr_attainment_mean", "sdr_share_at_quota",
    "cac", "total_cost",
)
MONEY = "money"
OVERALL = ""
_FILLED = (OVERALL, "channel", "segment", "role", "team")
TEAM_HEADLINES = ("headcount_end", "attainment_mean", "share_at_quota",
                  "ramped_share_at_quota")
"""Per team, the headline entries ``<metric>_<team>`` (all but the first for a team with
a quota)."""


class _Rows:
    """Collects KPI rows as column arrays and builds the table once at the end.

    Text columns are kept as integer codes into one table of labels (periods as
    grid rows) and become string columns only when the table is built.
    """

    def __init__(self, grid: PeriodGrid, currency: str) -> None:
        self.grid = grid
        self.currency = currency
        self.labels: dict[str, int] = {"": 0}
        self._arrays: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in KPI_COLUMNS[1:]}

    def code(self, label: str) -> int:
        return self.labels.setdefault(label, len(self.labels))

    def codes(self, labels: np.ndarray) -> np.ndarray:
        """The codes of an array of labels (remembered for the same array)."""
        known = self._arrays.get(id(labels))
        if known is not None and known[0] is labels:
            return known[1]
        codes = np.array([self.code(str(label)) for label in labels], dtype=np.int64)
        self._arrays[id(labels)] = (labels, codes)
        return codes

    def add(self, metric: str, unit: str, values: np.ndarray, dim: str = OVERALL,
            levels: np.ndarray | None = None, roles: np.ndarray | None = None,
            keep: np.ndarray | None = None, teams: np.ndarray | None = None) -> None:
        """Rows of one metric from a (periods,) or (periods x levels) array of values.

        ``roles`` gives each level's role for ``dim`` ``'team'`` and ``'rep_id'``,
        ``teams`` each level's team for ``'rep_id'``."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 1:
            values = values[:, None]
        n_levels = values.shape[1]
        flat = values.ravel()
        if keep is None:
            period = np.repeat(np.arange(self.grid.size), n_levels)
            level = np.tile(np.arange(n_levels), self.grid.size)
        else:
            cells = np.flatnonzero(np.asarray(keep, dtype=bool).ravel())
            period, level = cells // n_levels, cells % n_levels
            flat = flat[cells]
        n = len(period)
        if n == 0:
            return
        blank = np.zeros(n, dtype=np.int64)
        found = (self.codes(levels)[level] if levels is not None and dim != "rep_id"
                 else blank)
        if dim == "role":
            role = found
        elif dim in ("rep_id", "team") and roles is not None:
            role = self.codes(roles)[level]
        else:
            role = blank
        if dim == "team":
            team = found
        elif dim == "rep_id" and teams is not None:
            team = self.codes(teams)[level]
        else:
            team = blank
        rep_id = (np.asarray(levels, dtype=np.int64)[level]
                  if dim == "rep_id" and levels is not None else np.full(n, -1, dtype=np.int64))
        self.append(period, metric, found if dim == "channel" else blank,
                    found if dim == "segment" else blank, role, rep_id, flat,
                    self.currency if unit == MONEY else unit, team)

    def append(self, period: np.ndarray, metric: str, channel: np.ndarray,
               segment: np.ndarray, role: np.ndarray, rep_id: np.ndarray, value: np.ndarray,
               unit: str, team: np.ndarray | None = None) -> None:
        """Rows as arrays: grid periods, label codes, rep ids and values."""
        n = len(period)
        parts = self.parts
        parts["period"].append(np.asarray(period, dtype=np.int64))
        parts["metric"].append(np.full(n, self.code(metric), dtype=np.int64))
        parts["channel"].append(channel)
        parts["segment"].append(segment)
        parts["role"].append(role)
        parts["team"].append(np.zeros(n, dtype=np.int64) if team is None
                             else np.asarray(team, dtype=np.int64))
        parts["rep_id"].append(np.asarray(rep_id, dtype=np.int64))
        parts["value"].append(np.asarray(value, dtype=float))
        parts["unit"].append(np.full(n, self.code(unit), dtype=np.int64))

    def table(self) -> pd.DataFrame:
        def joined(name: str, dtype: type) -> np.ndarray:
            parts = self.parts[name]
            return np.concatenate(parts) if parts else np.array([], dtype=dtype)

        def strings(labels: np.ndarray | list[str]) -> pd.api.extensions.ExtensionArray:
            return pd.array(np.asarray(labels, dtype=object), dtype="str")

        labels = strings(list(self.labels))
        period = joined("period", np.int64)
        return pd.DataFrame({
            "period_type": strings(self.grid.period_type).take(period),
            "period": strings(self.grid.period).take(period),
            **{name: labels.take(joined(name, np.int64))
               for name in ("metric", "channel", "segment", "role", "team")},
            "rep_id": joined("rep_id", np.int64),
            "value": joined("value", float),
            "unit": labels.take(joined("unit", np.int64)),
        })


Stats = dict[str, tuple[np.ndarray, np.ndarray]]
"""Per dimension, (values, counts) as (periods x levels) arrays."""


class _Source:
    """An event table's dimensions, to count, sum and summarise its events by period
    overall and split by each dimension (rows with an empty value or a negative
    rep id stay out of that split).

    Counts and exact sums are taken per month and rolled up into quarters,
    years and the total; quantiles sort the values once and then, per
    dimension, the keys of every period type together.
    """

    def __init__(self, grid: PeriodGrid, dims: dict[str, pd.Series | np.ndarray],
                 rep_role: str | None, reps: pd.DataFrame | None = None,
                 team_kinds: dict[str, str] | None = None) -> None:
        self.grid = grid
        self.codes: dict[str, np.ndarray] = {}
        self.levels: dict[str, np.ndarray] = {}
        self.complete: dict[str, bool] = {}
        self.roles: dict[str, np.ndarray] = {}
        self.teams: np.ndarray | None = None
        for name, values in dims.items():
            if name == "rep_id":
                levels, codes = _id_levels(np.asarray(values, dtype=np.int64))
                self.levels[name] = levels
                if rep_role is not None:
                    self.roles[name] = np.full(len(levels), rep_role, dtype=object)
                elif reps is not None:
                    self.roles[name] = rep_roles(reps, levels)
                if reps is not None:
                    self.teams = rep_teams(reps, levels)
            else:
                if isinstance(values, pd.Series):
                    all_codes, labels = text_codes(values)
                else:
                    all_codes, labels = pd.factorize(np.asarray(values, dtype=object))
                codes, self.levels[name] = first_seen_levels(all_codes,
                                                             np.asarray(labels, dtype=object))
                if name == "team":
                    kinds = team_kinds or {}
                    self.roles[name] = np.array([kinds.get(str(t), "")
                                                 for t in self.levels[name]], dtype=object)
            self.codes[name] = np.asarray(codes, dtype=np.int64)
            self.complete[name] = not bool((self.codes[name] < 0).any())

    def dims(self) -> list[str]:
        return [OVERALL, *self.codes]

    def at(self, times: np.ndarray) -> _Events:
        """The source's events at ``times`` (one per row, ``NaT`` for none)."""
        return _Events(self, times)

    def stats(self, times: np.ndarray | _Events, how: str = "count",
              values: np.ndarray | None = None, dims: Sequence[str] | None = None) -> Stats:
        """Per dimension (``dims``, or all), (values, counts) as (periods x levels)
        arrays: the events' count, or the sum, mean, median or p90 of ``values``
        (one per source row)."""
        grid = self.grid
        events = times if isinstance(times, _Events) else self.at(times)
        if how in ("median", "p90"):
            assert values is not None
            return self.quantiles(events, values, (0.9 if how == "p90" else 0.5,))[0]
        picked = None if values is None else np.asarray(values, dtype=float)[events.rows]
        by_month = how == "count" or (picked is not None and _exact_sum(picked))
        out = {}
        for dim in self.dims() if dims is None else [d for d in self.dims() if d in dims]:
            cells, keys, n = events.cells(dim)
            if by_month:
                months = len(grid.month_parents)
                size = months * n
                counts = grid.rollup_whole(np.bincount(keys, minlength=size).reshape(months, n))
                sums = None
                if picked is not None:
                    weights = picked if cells is None else picked[cells]
                    sums = grid.rollup_whole(np.bincount(keys, weights=weights, minlength=size)
                                             .reshape(months, n))
            else:
                # sums of arbitrary floats: add them up per period in row order
                assert picked is not None
                month = events.months if cells is None else events.months[cells]
                level = keys - month * n
                keys = (grid.month_parents[month].T * n + level).reshape(-1)
                size = grid.size * n
                weights = picked if cells is None else picked[cells]
                counts = group_sum(keys, size).reshape(grid.size, n)
                sums = group_sum(keys, size, np.tile(weights, grid.month_parents.shape[1])
                                 ).reshape(grid.size, n)
            if how == "count":
                result = counts
            elif how == "sum":
                assert sums is not None
                result = sums
            else:
                assert sums is not None
                with np.errstate(divide="ignore", invalid="ignore"):
                    result = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
            out[dim] = (result, counts)
        return out

    def quantiles(self, times: np.ndarray | _Events, values: np.ndarray, qs: Sequence[float]
                  ) -> list[Stats]:
        """:meth:`stats` for quantiles ``qs`` of ``values``, one sort for them all."""
        grid = self.grid
        events = times if isinstance(times, _Events) else self.at(times)
        picked = np.asarray(values, dtype=float)[events.rows]
        order = value_order(picked)
        rows, months, picked = events.rows[order], events.months[order], picked[order]
        out: list[Stats] = [{} for _ in qs]
        for dim in self.dims():
            if dim == OVERALL:
                n, month_keys, kept = 1, months, picked
            else:
                n = len(self.levels[dim])
                level = self.codes[dim][rows]
                if self.complete[dim]:
                    month_keys, kept = months * n + level, picked
                else:
                    keep = np.flatnonzero(level >= 0)
                    month_keys, kept = months[keep] * n + level[keep], picked[keep]
            # each value once per period type, types end to end
            keys = grid.period_keys(n)[:, month_keys].reshape(-1)
            size = grid.size * n
            counts = group_sum(keys, size).reshape(grid.size, n)
            found = sorted_group_quantiles(keys, kept, size, qs)
            for stats, result in zip(out, found, strict=True):
                stats[dim] = (result.reshape(grid.size, n), counts)
        return out


class _Events:
    """A source's events at given times: the rows inside the horizon, their months
    and, per dimension, which of them count and their (month, level) keys."""

    def __init__(self, source: _Source, times: np.ndarray | None,
                 located: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        self.source = source
        if located is None:
            assert times is not None
            located = source.grid.month_index(times)
        self.rows, self.months = located
        self._cells: dict[str, tuple[np.ndarray | None, np.ndarray, int]] = {}

    def where(self, mask: np.ndarray) -> _Events:
        """The events of the source rows where ``mask`` (one per source row) is true:
        the same as events at the times where ``mask``, ``NaT`` elsewhere."""
        keep = np.asarray(mask, dtype=bool)[self.rows]
        return _Events(self.source, None, (self.rows[keep], self.months[keep]))

    def cells(self, dim: str) -> tuple[np.ndarray | None, np.ndarray, int]:
        """Positions in ``rows`` counted in ``dim`` (``None``: all), their keys
        ``month * levels + level`` and the number of levels."""
        if dim not in self._cells:
            source = self.source
            if dim == OVERALL:
                self._cells[dim] = (None, self.months, 1)
            else:
                n = len(source.levels[dim])
                level = source.codes[dim][self.rows]
                if source.complete[dim]:
                    self._cells[dim] = (None, self.months * n + level, n)
                else:
                    cells = np.flatnonzero(level >= 0)
                    self._cells[dim] = (cells, self.months[cells] * n + level[cells], n)
        return self._cells[dim]


def _id_levels(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct non-negative ids, sorted, and each row's index among them (``-1``
    for a negative id)."""
    valid = ids >= 0
    top = int(ids.max()) if len(ids) else -1
    if top < 0:
        return np.array([], dtype=np.int64), np.full(len(ids), -1, dtype=np.int64)
    if top <= 4 * len(ids) + 1024:
        present = np.bincount(ids[valid], minlength=top + 1) > 0
        index = np.cumsum(present) - 1
        return np.flatnonzero(present), np.where(valid, index[np.where(valid, ids, 0)], -1)
    levels = np.unique(ids[valid])
    return levels, np.where(valid, np.searchsorted(levels, ids), -1)


def _exact_sum(values: np.ndarray) -> bool:
    """True when ``values`` are whole numbers small enough that every partial sum is
    exact, so that they add up to the same float in any order."""
    with np.errstate(invalid="ignore"):
        return bool(np.all(values == np.trunc(values))
                    and float(np.abs(values).sum()) < 2.0 ** 53)


class _Builder:
    def __init__(self, records: Records, plan: Plan, period_types: Sequence[PeriodType],
                 split: bool = True) -> None:
        self.records = records
        self.plan = plan
        self.split = split
        self.grid = PeriodGrid(Horizon.of(records, plan), period_types)
        self.rows = _Rows(self.grid, plan.currency)

    def source(self, dims: dict[str, pd.Series | np.ndarray], rep_role: str | None = None,
               team_kinds: dict[str, str] | None = None) -> _Source:
        if not self.split:
            dims = {k: v for k, v in dims.items() if k in ("role", "team")}
        return _Source(self.grid, dims, rep_role, self.records.reps, team_kinds)

    def emit(self, source: _Source, metric: str, unit: str, stats: Stats, filled: bool) -> None:
        """Counts and sums (``filled``) get every period and level, 0 where nothing
        happened; other statistics only cells with events. Per-rep rows only where
        the rep had events."""
        for dim, (values, counts) in stats.items():
            keep = None if filled and dim in _FILLED else counts > 0
            self.rows.add(metric, unit, values, dim, source.levels.get(dim),
                          source.roles.get(dim), keep, source.teams)

    def emit_ratio(self, source: _Source, metric: str, unit: str, num: Stats, den: Stats
                   ) -> None:
        for dim in den:
            value = divide(num[dim][0], den[dim][0])
            keep = None if dim in _FILLED else den[dim][1] > 0
            self.rows.add(metric, unit, value, dim, source.levels.get(dim),
                          source.roles.get(dim), keep, source.teams)


def _owner(table: str) -> TeamKind:
    """The kind whose reps own the rows of ``table`` (:data:`salesim.roles.KINDS`)."""
    return next(kind for kind in KINDS.values() if kind.owner_table == table)


def _datetimes(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(frame[column].to_numpy(dtype="datetime64[ns]"))


def _lead_metrics(b: _Builder) -> dict[str, np.ndarray]:
    leads = b.records.leads
    owner = _owner("leads")
    source = b.source({"channel": leads["channel"], "segment": leads["segment"],
                       "rep_id": leads[owner.owner_column].to_numpy(dtype=np.int64)},
                      owner.name)
    created = _datetimes(leads, "created_at")
    created_at = source.at(created)
    cycle = leads["cycle"].to_numpy(dtype=np.int64)
    lead_dims = (OVERALL, "channel", "segment", "role")
    lead_counts = source.stats(created_at.where(cycle == 0), dims=lead_dims)
    b.emit(source, "leads", "count", lead_counts, True)
    recycled = source.stats(created_at.where(cycle > 0), dims=lead_dims)
    b.emit(source, "recycled_leads", "count", recycled, True)

    attempt = _datetimes(leads, "first_attempt_at")
    called = (cycle == 0) & ~np.isnat(attempt)
    minutes = (attempt - created) / np.timedelta64(1, "m")
    called_at = created_at.where(called)
    median, p90 = source.quantiles(called_at, minutes, (0.5, 0.9))
    b.emit(source, "speed_to_lead_median_minutes", "minutes", median, False)
    b.emit(source, "speed_to_lead_p90_minutes", "minutes", p90, False)
    for metric, limit in (("speed_to_lead_within_5min_share", 5),
                          ("speed_to_lead_within_1h_share", 60)):
        b.emit(source, metric, "share",
               source.stats(called_at, "mean", (minutes <= limit).astype(float)), False)

    b.emit(source, "meetings_set", "count", source.stats(_datetimes(leads, "meeting_set_at")),
           True)
    held_at = source.at(_datetimes(leads, "meeting_held_at"))
    held = source.stats(held_at)
    b.emit(source, "meetings_held", "count", held, True)
    valid_flag = leads["valid"].fillna(False).to_numpy(dtype=bool)
    valid = source.stats(held_at.where(valid_flag))
    b.emit(source, "valid_meetings", "count", valid, True)
    b.emit_ratio(source, "valid_meeting_rate", "share", valid, held)
    return {"leads": lead_counts[OVERALL][0][:, 0], "meetings_held": held[OVERALL][0][:, 0],
            "channel_leads": lead_counts["channel"][0] if "channel" in lead_counts
            else np.zeros((b.grid.size, 0)),
            "channels": source.levels.get("channel", np.array([], dtype=object))}


def _activity_metrics(b: _Builder) -> None:
    acts = b.records.activities
    ids = acts["rep_id"].to_numpy(dtype=np.int64)
    reps = b.records.reps
    team_kinds = dict(zip(text_array(reps["team"]), text_array(reps["role"]), strict=True))
    source = b.source({"role": rep_roles(reps, acts["rep_id"]),
                       "team": rep_teams(reps, acts["rep_id"]), "rep_id": ids},
                      team_kinds=team_kinds)
    when = _datetimes(acts, "date")
    for metric in ("attempts", "contacts"):
        b.emit(source, metric, "count",
               source.stats(when, "sum", acts[metric].to_numpy(dtype=float)), True)


def _opportunity_metrics(b: _Builder) -> np.ndarray:
    opps = b.records.opportunities
    owner = _owner("opportunities")
    source = b.source({"channel": opps["channel"], "segment": opps["segment"],
                       "rep_id": opps[owner.owner_column].to_numpy(dtype=np.int64)},
                      owner.name)
    nat = np.datetime64("NaT", "ns")
    status = text_array(opps["status"])
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
    trailing = {name: (f"{metric}_ttm", unit) for name, (metric, unit) in kept.items()}
    for dim in (OVERALL, "channel", "segment") if b.split else (OVERALL,):
        by = (dim,) if dim else ()
        events = arr_events(b.records, by)
        for arrays, columns in ((rollforward_arrays, bridge), (retention_arrays, kept),
                                (trailing_retention_arrays, trailing)):
            levels, values = arrays(b.records, b.grid, by, events)
            names = levels[dim].to_numpy(dtype=object) if dim else None
            keep = None if names is None else np.broadcast_to(names != "", (b.grid.size,
                                                                           len(names)))
            for column, (metric, unit) in columns.items():
                b.rows.add(metric, unit, values[column], dim, names, None, keep)


PER_HEAD = {"opportunities": ("bookings", MONEY), "leads": ("meetings", "count")}
"""Per owner table, what its kind's per-head KPI divides by average heads:
``bookings_per_ae`` and ``meetings_per_sdr``."""


def _per_team(b: _Builder, table: pd.DataFrame, times: np.ndarray,
              values: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Per period and team (the table's ``team`` column): the count of events at
    ``times``, or the sum of ``values``; and the teams."""
    source = _Source(b.grid, {"team": table["team"]}, None)
    stats = source.stats(times, "count" if values is None else "sum", values,
                         dims=("team",))
    return stats["team"][0], source.levels["team"]


def _spread(rows: _Rows, grid: PeriodGrid, periods: np.ndarray, group: np.ndarray,
            values: np.ndarray, dim: str, names: np.ndarray, kinds: np.ndarray) -> None:
    """The attainment distribution KPIs of reps' attainment ``values`` (one per period
    and rep, the rep's ``group`` an index into ``names``)."""
    n = len(names)
    if n == 0:
        return
    keys = periods * n + group
    size = grid.size * n
    counts = np.bincount(keys, minlength=size).astype(float)[:size]
    spread = {
        "reps": counts,
        "mean": np.bincount(keys, weights=values, minlength=size)[:size]
        / np.maximum(counts, 1),
        "share_at_quota": np.bincount(keys, weights=(values >= AT_QUOTA).astype(float),
                                      minlength=size)[:size] / np.maximum(counts, 1),
    }
    order = value_order(values)
    for name, found in zip(("p10", "p50", "p90"), sorted_group_quantiles(
            keys[order], values[order], size, (0.1, 0.5, 0.9)), strict=True):
        spread[name] = found
    present = (counts > 0).reshape(grid.size, n)
    for column_name, metric, unit in (("reps", "reps_with_quota", "people"),
                                      ("mean", "attainment_mean", "ratio"),
                                      ("p10", "attainment_p10", "ratio"),
                                      ("p50", "attainment_p50", "ratio"),
                                      ("p90", "attainment_p90", "ratio"),
                                      ("share_at_quota", "share_at_quota", "share")):
        rows.add(metric, unit, spread[column_name].reshape(grid.size, n), dim, names,
                 kinds, keep=present)


def _ramped_share(b: _Builder) -> None:
    """Per team with a quota, reps over whole quota periods at full ramp
    (:mod:`salesim.metrics.quota_periods`): in the team's quota periods and the total."""
    names, kinds, counts, share = ramped_share_arrays(b.records, b.plan, b.grid)
    if not names:
        return
    levels = np.asarray(names, dtype=object)
    roles = np.asarray(kinds, dtype=object)
    b.rows.add("ramped_rep_periods", "count", counts, "team", levels, roles,
               keep=~np.isnan(counts))
    b.rows.add("ramped_share_at_quota", "share", share, "team", levels, roles,
               keep=~np.isnan(share))


def _people_metrics(b: _Builder, bookings: np.ndarray, meetings: np.ndarray,
                    channel_leads: np.ndarray, channels: np.ndarray, leads: np.ndarray
                    ) -> None:
    work = workforce(b.records, b.plan, b.grid)
    grid = b.grid
    roles = np.asarray(work.roles, dtype=object)
    teams = np.asarray(work.by_team.names, dtype=object)
    team_kinds = np.asarray(work.by_team.kinds, dtype=object)
    days = grid.days[:, None]
    for dim, names, heads in (("role", roles, work.by_role), ("team", teams, work.by_team)):
        for metric, values in (("headcount", heads.person_days / days),
                               ("ramped_headcount", heads.ramped_days / days),
                               ("headcount_end", heads.headcount_end),
                               ("hires", heads.hires), ("leavers", heads.leavers)):
            b.rows.add(metric, "people", values, dim, names, team_kinds)
    records = b.records
    for table_name, (what, unit) in PER_HEAD.items():
        kind = _owner(table_name).name
        metric = f"{what}_per_{kind}"
        amounts = bookings if table_name == "opportunities" else meetings
        if kind in work.roles:
            heads_of = work.person_days[:, work.roles.index(kind)] / grid.days
            b.rows.add(metric, unit, divide(amounts, heads_of)[:, None], "role",
                       np.array([kind], dtype=object))
        mine = np.flatnonzero(team_kinds == kind)
        if len(mine) == 0:
            continue
        table = getattr(records, table_name)
        if table_name == "opportunities":
            won = np.where(text_array(table["status"]) == "won",
                           _datetimes(table, "closed_at"), np.datetime64("NaT", "ns"))
            by_team, found = _per_team(b, table, won, table["amount"].to_numpy(dtype=float))
        else:
            by_team, found = _per_team(b, table, _datetimes(table, "meeting_held_at"), None)
        column = pd.Index(found).get_indexer(teams[mine])
        team_amounts = np.where(column >= 0, by_team[:, np.maximum(column, 0)]
                                if by_team.shape[1] else 0.0, 0.0)
        b.rows.add(metric, unit, divide(team_amounts, work.by_team.person_days[:, mine]
                                        / days), "team", teams[mine], team_kinds[mine])

    memo: Memo = {}
    for dim in ("role", "team"):
        stages = bottleneck_arrays(b.records, b.plan, work, dim == "team", memo)
        stage_names = np.asarray(stages.names, dtype=object)
        stage_kinds = np.asarray(stages.kinds, dtype=object)
        for column, metric, unit in (("utilisation", "utilisation", "share"),
                                     ("mean_queue", "queue_length_mean", "count"),
                                     ("mean_wait_hours", "wait_hours_mean", "hours"),
                                     ("p90_wait_hours", "wait_hours_p90", "hours")):
            b.rows.add(metric, unit, stages.columns[column], dim, stage_names, stage_kinds)
        share = stages.prospecting_share
        if share is not None and share.size and not np.isnan(share).all():
            b.rows.add("prospecting_share", "share", share, dim, stage_names, stage_kinds,
                       keep=~np.isnan(share))

    keep, achieved, expected = attainment_arrays(b.records, b.plan, work)
    periods, reps = np.nonzero(expected > MIN_EXPECTED)
    rep_rows = keep[reps]
    values = achieved[periods, reps] / expected[periods, reps]
    if b.split:
        b.rows.append(periods, "attainment", np.zeros(len(periods), dtype=np.int64),
                      np.zeros(len(periods), dtype=np.int64),
                      b.rows.codes(roles)[work.role_code[rep_rows]],
                      work.rep_id[rep_rows], values, "ratio",
                      b.rows.codes(teams)[work.by_team.code[rep_rows]])
    _spread(b.rows, grid, periods, work.role_code[rep_rows], values, "role", roles, roles)
    _spread(b.rows, grid, periods, work.by_team.code[rep_rows], values, "team", teams,
            team_kinds)
    _ramped_share(b)

    spend = cost_arrays(b.records, b.plan, work)
    b.rows.add("total_cost", MONEY, spend.role_cost, "role", roles)
    b.rows.add("total_cost", MONEY, spend.team_cost, "team", teams, team_kinds)
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
    if not records.payouts.empty:
        _pay_metrics(b, bookings)
    return b.rows.table()


PAY_METRICS = (
    ("comp_total", MONEY), ("comp_base", MONEY), ("comp_variable", MONEY),
    ("variable_pay_from_curves", MONEY), ("variable_pay_at_mean_attainment", MONEY),
    ("pay_per_rep_mean", MONEY), ("pay_per_rep_p10", MONEY), ("pay_per_rep_p50", MONEY),
    ("pay_per_rep_p90", MONEY), ("share_under_threshold", "share"),
    ("share_at_target", "share"), ("share_at_cap", "share"),
)
"""Pay KPIs per team (:func:`salesim.metrics.compensation.pay_kpis`); the sums also
overall."""


def _pay_metrics(b: _Builder, bookings: np.ndarray) -> None:
    """Pay from the ``payouts`` table, per team and overall, and its ratio to bookings."""
    pay = pay_kpis(b.records, b.plan, b.grid)
    teams = np.asarray(pay.teams, dtype=object)
    kinds = np.asarray(pay.kinds, dtype=object)
    for metric, unit in PAY_METRICS:
        values = pay.per_team[metric]
        keep = None if unit == MONEY and not metric.startswith("pay_per_rep") \
            else ~np.isnan(values)
        b.rows.add(metric, unit, values, "team", teams, kinds, keep=keep)
        if metric in pay.overall:
            b.rows.add(metric, unit, pay.overall[metric])
    for metric, column in (("comp_share_of_bookings", "comp_total"),
                           ("effective_commission_rate", "comp_variable")):
        b.rows.add(metric, "share", divide(pay.per_team[column], bookings[:, None]), "team",
                   teams, kinds)
        b.rows.add(metric, "share", divide(pay.overall[column], bookings))


def kpi_table(records: Records, plan: Plan,
              period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Every KPI per period and dimension, as a tidy table (see the module docstring).

    Columns :data:`KPI_COLUMNS`; money is in the plan's currency (the
    ``unit``). Counts and sums have a row for every period of the horizon (0
    when nothing happened); rates, averages and quantiles are ``NaN`` when
    undefined and omitted where they have no events at all.
    """
    return _table(records, plan, period_types, split=True)


def _headline_rows(plan: Plan) -> dict[str, tuple[str, str, str]]:
    """Each headline name of a plan and the (metric, role, team) of its ``'total'`` row."""
    rows: dict[str, tuple[str, str, str]] = {}
    for name in HEADLINE_METRICS:
        rows[name] = (name, "", "")
        for metric in ("attainment_mean", "share_at_quota"):
            role = name.removesuffix(f"_{metric}")
            if role != name and role in KINDS:
                rows[name] = (metric, role, "")
    for kind in plan.kinds():
        rows.setdefault(f"headcount_end_{kind}", ("headcount_end", kind, ""))
    for team, team_plan in plan.teams.items():
        for metric in TEAM_HEADLINES if team_plan.has_quota else TEAM_HEADLINES[:1]:
            rows.setdefault(f"{metric}_{team}", (metric, plan.kind_of(team), team))
    if has_plans(plan):
        for name, metric in PAY_HEADLINES.items():
            rows.setdefault(name, (metric, "", ""))
        for team, team_plan in plan.teams.items():
            if team_plan.compensation is not None:
                rows.setdefault(f"comp_cost_{team}", ("comp_total", plan.kind_of(team), team))
    return rows


PAY_HEADLINES = {
    "comp_cost": "comp_total", "comp_variable": "comp_variable",
    "comp_share_of_bookings": "comp_share_of_bookings",
    "effective_commission_rate": "effective_commission_rate",
    "variable_pay_from_curves": "variable_pay_from_curves",
    "variable_pay_at_mean_attainment": "variable_pay_at_mean_attainment",
}
"""Headline entries of a plan with compensation (name: the KPI behind it); per team
with a plan also ``comp_cost_<team>``."""


def headline_names(plan: Plan) -> tuple[str, ...]:
    """The stable headline metric names for a plan: :data:`HEADLINE_METRICS`, then
    ``headcount_end_<role>`` for each kind of the plan's teams, then per team
    ``headcount_end_<team>`` and, for a team with a quota, ``attainment_mean_<team>``,
    ``share_at_quota_<team>`` and ``ramped_share_at_quota_<team>``. Each name comes
    once: ``headcount_end_sdr`` is the kind's, which for a team named ``sdr`` (a team
    named like a kind is of that kind) is the team's when it is the kind's only team.

    >>> from salesim.metrics import Plan, TeamPlan
    >>> plan = Plan(teams={"ae": TeamPlan(), "インサイドセールス": TeamPlan(
    ...     kind="sdr", quota_per_month=10)})
    >>> for name in headline_names(plan)[len(HEADLINE_METRICS):]:
    ...     print(name)
    headcount_end_ae
    headcount_end_sdr
    headcount_end_インサイドセールス
    attainment_mean_インサイドセールス
    share_at_quota_インサイドセールス
    ramped_share_at_quota_インサイドセールス
    """
    return tuple(_headline_rows(plan))


def headline_metrics(records: Records, plan: Plan,
                     kpis: pd.DataFrame | None = None) -> dict[str, float]:
    """The headline numbers over the whole horizon, keyed by :func:`headline_names`.

    Each is the ``'total'`` row of :func:`kpi_table` without dimensions, except
    ``ae_attainment_mean`` / ``sdr_attainment_mean`` / ``*_share_at_quota``
    (the role's ``attainment_mean`` / ``share_at_quota``: each rep's attainment
    over the horizon), ``headcount_end_<role>`` (heads at the horizon end) and the
    per-team ``headcount_end_<team>``, ``attainment_mean_<team>``,
    ``share_at_quota_<team>`` and ``ramped_share_at_quota_<team>`` (the team's rows;
    the last: reps fully ramped through whole quota periods at or above quota, pooled
    over the horizon, :mod:`salesim.metrics.quota_periods`). ``nrr``, ``grr`` and
    ``logo_churn_rate`` cover the trailing twelve months to the horizon end (the
    ``'total'`` row of a retention KPI). ``NaN`` where undefined (no deals
    closed: ``win_rate``; no quota: attainment; no renewal in the window: retention).
    Pass ``kpis``, a :func:`kpi_table` of the same records and plan that has the
    ``'total'`` rows, to read the numbers from it instead of computing them.
    """
    table = kpis if kpis is not None else _table(records, plan, ("total",), split=False)
    table = table.loc[(table["period_type"] == "total") & (table["channel"] == "")
                      & (table["segment"] == "") & (table["rep_id"] < 0)]
    found = dict(zip(zip(table["metric"].astype(str), table["role"].astype(str),
                         table["team"].astype(str), strict=True),
                     table["value"].to_numpy(dtype=float), strict=True))
    return {name: float(found.get(row, np.nan)) for name, row in _headline_rows(plan).items()}
