"""Money: the ARR roll-forward, retention, costs and unit economics.

* ARR at an instant is the sum of ``subscription_events.arr_change`` before it
  (so ``ending = starting + new + expansion - contraction - churn`` holds for
  every period by construction).
* Retention over a window follows the SaaS benchmark definitions, on the cohort
  of customers with ARR at the window start: NRR = (their starting ARR +
  expansion - contraction - churned ARR of the same customers in the window) /
  their starting ARR, i.e. their ARR at the window end / at its start; GRR = the
  same without expansion (each customer counting at most its starting ARR, so
  GRR never exceeds 100%); logo churn rate = those customers churned in the
  window / their number. Customers won during the window are not in its cohort.
  All three are undefined (``NaN``, not 100%) where no customer of the cohort
  reached a renewal in the window (no renewal, churn, expansion or contraction
  event): a window in which nothing could be retained says nothing about
  retention.
* Windows: for a month, quarter or year, the period itself; for ``'total'``, the
  trailing twelve months to the horizon end (the last calendar year of a horizon
  ending on 1 January). The ``*_ttm`` columns of :func:`trailing_retention` (the
  ``nrr_ttm``, ``grr_ttm``, ``logo_churn_rate_ttm`` KPIs) are the trailing twelve
  months to each period's end.
* Cost of a role (all teams of a kind) or of a team = employed months (share of
  each calendar month employed) x annual cost / 12, plus, under a compensation
  plan, the pay on top of base (``payouts.total - payouts.base``: variable pay,
  SPIFs and draws less clawbacks and recovered draws) in the month each pay period
  ends: the fully loaded ``annual_cost`` includes base pay; cost of a channel = its
  leads' ``cost`` (by creation) + its fixed cost per month for the months it
  runs (prorated at the horizon edges).
* CAC = (marketing cost + the cost of every team whose kind counts in acquisition
  cost, :attr:`salesim.roles.TeamKind.acquisition_cost`: SDR and AE teams, not CS)
  / deals won, both in the same period (period basis); CAC payback months =
  CAC / (average new ARR per deal / 12 x gross margin).

>>> from salesim.metrics import arr_rollforward, retention, costs  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesim.metrics._groups import divide
from salesim.metrics._tidy import text_array, text_codes
from salesim.metrics.compensation import extra_pay_monthly
from salesim.metrics.periods import PERIOD_TYPES, Horizon, PeriodGrid, PeriodType
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import Workforce, workforce
from salesim.records import Records
from salesim.roles import KINDS

FINANCE_DIMENSIONS = ("channel", "segment")
ROLLFORWARD_COLUMNS = ("starting_arr", "new_arr", "expansion_arr", "contraction_arr",
                       "churned_arr", "ending_arr", "starting_customers", "new_customers",
                       "churned_customers", "ending_customers")
RETENTION_COLUMNS = ("cohort_customers", "cohort_start_arr", "cohort_end_arr",
                     "cohort_gross_arr", "cohort_churned", "cohort_renewed", "nrr", "grr",
                     "logo_churn_rate")
TRAILING_MONTHS = 12
"""Retention's trailing window: twelve months."""
ECONOMICS_COLUMNS = ("marketing_cost", "sales_cost", "total_cost", "deals_won", "bookings",
                     "average_deal_size", "cac", "cac_payback_months")
_EPS = 1e-9


def _check_by(by: Sequence[str]) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    bad = [d for d in by if d not in FINANCE_DIMENSIONS]
    if bad:
        raise ValueError(f"ARR can be split by {FINANCE_DIMENSIONS}, not {bad}")
    return by


@dataclass(frozen=True)
class ArrEvents:
    """ARR events as arrays, with each event's customer and dimension group
    (:func:`arr_events`)."""

    customer: np.ndarray      # index into the customers
    times: np.ndarray
    kind: np.ndarray
    change: np.ndarray
    group: np.ndarray          # index into ``levels`` (one row per dimension combination)
    customer_group: np.ndarray  # per customer
    levels: pd.DataFrame


def arr_events(records: Records, by: Sequence[str] = ()) -> ArrEvents:
    """The subscription events grouped by the ``by`` dimensions of their
    subscription, for :func:`rollforward_arrays` and :func:`retention_arrays`
    (pass it to both to group the events once). Groups are numbered in order of
    first appearance among the customers."""
    by = _check_by(by)
    subs = records.subscriptions
    events = records.subscription_events
    ids = events["subscription_id"].to_numpy(dtype=np.int64)
    times = events["at"].to_numpy(dtype="datetime64[ns]")
    known = ~np.isnat(times)
    ids, times = ids[known], times[known]
    customers, customer = np.unique(ids, return_inverse=True)
    sub_ids = subs["subscription_id"].to_numpy(dtype=np.int64)
    first = pd.Index(sub_ids).get_indexer(customers)
    if by:
        # each customer's label per dimension as a code, the codes of all dimensions
        # combined into one number, numbered in order of first appearance
        combined = np.zeros(len(customers), dtype=np.int64)
        labels = []
        for d in by:
            codes, names = text_codes(subs[d])
            names = np.append(names, "")
            mine = np.where(first >= 0, codes[first] if len(codes) else 0, len(names) - 1)
            unique_codes, uniques = pd.factorize(names)
            labels.append(np.asarray(uniques, dtype=object))
            combined = combined * len(uniques) + np.asarray(unique_codes, dtype=np.int64)[mine]
        found, combos = pd.factorize(combined)
        codes = np.asarray(found, dtype=np.int64)
        combos = np.asarray(combos, dtype=np.int64)
        columns = {}
        for d, names in zip(reversed(by), reversed(labels), strict=True):
            columns[d] = pd.array(names[combos % len(names)], dtype="str")
            combos = combos // len(names)
        levels = pd.DataFrame({d: columns[d] for d in by})
    else:
        codes, levels = np.zeros(len(customers), dtype=np.int64), pd.DataFrame(index=[0])
    return ArrEvents(customer=customer, times=times,
                     kind=text_array(events["kind"])[known],
                     change=events["arr_change"].to_numpy(dtype=float)[known],
                     group=codes[customer], customer_group=codes, levels=levels)


def _cell_sums(rows: np.ndarray, columns: np.ndarray, weights: np.ndarray,
               shape: tuple[int, int]) -> np.ndarray:
    """A (rows x columns) array of the sums of ``weights`` per cell, added in order
    (as ``numpy.add.at`` would)."""
    size = shape[0] * shape[1]
    sums = np.bincount(rows * shape[1] + columns, weights=weights, minlength=size)[:size]
    return np.asarray(sums, dtype=float).reshape(shape)


def _dense(grid: PeriodGrid, ev: ArrEvents, weights: np.ndarray,
           located: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per period and group, and before the horizon per group, the sum of ``weights``
    (``located``: ``grid.locate(ev.times)``)."""
    n = len(ev.levels)
    rows, periods = located
    out = _cell_sums(periods, ev.group[rows], weights[rows], (grid.size, n))
    before = ev.times < grid.horizon.start.to_datetime64()
    opening = np.bincount(ev.group[before], weights=weights[before], minlength=n)[:n]
    return out, opening


def _frame(grid: PeriodGrid, levels: pd.DataFrame, by: list[str],
           columns: dict[str, np.ndarray]) -> pd.DataFrame:
    n = len(levels)
    frame = pd.DataFrame({
        "period_type": pd.array(np.repeat(grid.period_type, n), dtype="str"),
        "period": pd.array(np.repeat(grid.period, n), dtype="str"),
        **{d: pd.array(np.tile(levels[d].to_numpy(dtype=object), grid.size), dtype="str")
           for d in by},
        **{name: np.asarray(values, dtype=float).ravel() for name, values in columns.items()},
    })
    return frame


def rollforward_arrays(records: Records, grid: PeriodGrid, by: Sequence[str] = (),
                       events: ArrEvents | None = None
                       ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The columns of :func:`arr_rollforward` as (periods x groups) arrays, with the
    groups' dimension values (``events``: :func:`arr_events` of the same ``by``)."""
    ev = arr_events(records, by) if events is None else events
    is_new = (ev.kind == "new").astype(float)
    is_churn = (ev.kind == "churn").astype(float)
    located = grid.locate(ev.times)
    net, opening = _dense(grid, ev, ev.change, located)
    new_customers, opened = _dense(grid, ev, is_new, located)
    churned_customers, closed = _dense(grid, ev, is_churn, located)
    ending = opening[None, :] + grid.running_total(net)
    customers = new_customers - churned_customers
    ending_customers = (opened - closed)[None, :] + grid.running_total(customers)

    def flow(kind: str, sign: float) -> np.ndarray:
        return _dense(grid, ev, np.where(ev.kind == kind, sign * ev.change, 0.0), located)[0]

    return ev.levels, {
        "starting_arr": ending - net,
        "new_arr": flow("new", 1.0),
        "expansion_arr": flow("expansion", 1.0),
        "contraction_arr": flow("contraction", -1.0),
        "churned_arr": flow("churn", -1.0),
        "ending_arr": ending,
        "starting_customers": ending_customers - customers,
        "new_customers": new_customers,
        "churned_customers": churned_customers,
        "ending_customers": ending_customers,
    }


def arr_rollforward(records: Records, plan: Plan | None = None, by: Sequence[str] = (),
                    period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """The ARR bridge per period (and per ``by`` dimension).

    Columns: ``period_type``, ``period``, the ``by`` dimensions, then
    ``starting_arr``, ``new_arr``, ``expansion_arr``, ``contraction_arr``,
    ``churned_arr`` (contraction and churn as positive amounts), ``ending_arr``,
    ``starting_customers``, ``new_customers``, ``churned_customers``,
    ``ending_customers``. Events are counted in the period they happen.
    """
    by = _check_by(by)
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    levels, columns = rollforward_arrays(records, grid, by)
    return _frame(grid, levels, by, columns)


def retention_arrays(records: Records, grid: PeriodGrid, by: Sequence[str] = (),
                     events: ArrEvents | None = None
                     ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The columns of :func:`retention` as (periods x groups) arrays, with the
    groups' dimension values (``events``: :func:`arr_events` of the same ``by``):
    each period's own window, and the trailing twelve months to the horizon end for
    ``'total'``."""
    ev = arr_events(records, by) if events is None else events
    starts = grid.horizon.start.to_datetime64() + grid.lo * np.timedelta64(86_400, "s")
    ends = np.asarray(grid.end_times, dtype="datetime64[ns]").copy()
    starts = starts.astype("datetime64[ns]")
    if "total" in grid.slices:
        starts[grid.slices["total"]] = _months_before(ends[grid.slices["total"]],
                                                      TRAILING_MONTHS)
    return ev.levels, window_retention(ev, starts, ends)


def trailing_retention_arrays(records: Records, grid: PeriodGrid, by: Sequence[str] = (),
                              events: ArrEvents | None = None
                              ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """:func:`retention_arrays` over the trailing twelve months to each period's end."""
    ev = arr_events(records, by) if events is None else events
    ends = np.asarray(grid.end_times, dtype="datetime64[ns]")
    return ev.levels, window_retention(ev, _months_before(ends, TRAILING_MONTHS), ends)


def _months_before(times: np.ndarray, months: int) -> np.ndarray:
    """The same day and time ``months`` calendar months earlier (the month's last day
    where the earlier month is shorter)."""
    shifted = pd.DatetimeIndex(times) - pd.DateOffset(months=months)
    return np.asarray(shifted.to_numpy(dtype="datetime64[ns]"))


def window_retention(ev: ArrEvents, starts: np.ndarray, ends: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """Retention of each window ``[starts[w], ends[w])`` (rows) per group (columns):
    the cohort of customers with ARR at the window start, their ARR at its end, and
    NRR, GRR and logo churn rate (``NaN`` where no cohort customer had a renewal
    event in the window)."""
    n_customers = len(ev.customer_group)
    windows = len(starts)
    starting = np.zeros((windows, n_customers))
    ending = np.zeros((windows, n_customers))
    churned = np.zeros((windows, n_customers), dtype=bool)
    renewed = np.zeros((windows, n_customers), dtype=bool)
    is_churn = ev.kind == "churn"
    is_renewal = ev.kind != "new"
    for w in range(windows):
        before_start = ev.times < starts[w]
        inside = ~before_start & (ev.times < ends[w])
        starting[w] = np.bincount(ev.customer[before_start], weights=ev.change[before_start],
                                  minlength=n_customers)[:n_customers]
        ending[w] = starting[w] + np.bincount(ev.customer[inside], weights=ev.change[inside],
                                              minlength=n_customers)[:n_customers]
        churned[w, ev.customer[inside & is_churn]] = True
        renewed[w, ev.customer[inside & is_renewal]] = True
    cohort = starting > _EPS
    onehot = np.zeros((n_customers, len(ev.levels)))
    onehot[np.arange(n_customers), ev.customer_group] = 1.0
    sums = {
        "cohort_customers": cohort.astype(float) @ onehot,
        "cohort_start_arr": np.where(cohort, starting, 0.0) @ onehot,
        "cohort_end_arr": np.where(cohort, ending, 0.0) @ onehot,
        "cohort_gross_arr": np.where(cohort, np.clip(np.minimum(ending, starting), 0, None),
                                     0.0) @ onehot,
        "cohort_churned": (cohort & churned).astype(float) @ onehot,
        "cohort_renewed": (cohort & renewed).astype(float) @ onehot,
    }
    defined = sums["cohort_renewed"] > 0
    for name, numerator, denominator in (("nrr", "cohort_end_arr", "cohort_start_arr"),
                                         ("grr", "cohort_gross_arr", "cohort_start_arr"),
                                         ("logo_churn_rate", "cohort_churned",
                                          "cohort_customers")):
        sums[name] = np.where(defined, divide(sums[numerator], sums[denominator]), np.nan)
    return sums


def retention(records: Records, plan: Plan | None = None, by: Sequence[str] = (),
              period_types: Sequence[PeriodType] = PERIOD_TYPES,
              trailing: bool = False) -> pd.DataFrame:
    """Net and gross revenue retention and logo churn per period, on the cohort of
    customers with ARR at the window start (see the module docstring): the period
    itself, or for ``'total'`` the trailing twelve months to the horizon end; with
    ``trailing``, the trailing twelve months to each period's end.

    Columns: ``period_type``, ``period``, the ``by`` dimensions,
    ``cohort_customers``, ``cohort_start_arr``, ``cohort_end_arr`` (their ARR at
    the window end), ``cohort_gross_arr`` (each customer's end ARR capped at its
    start ARR), ``cohort_churned`` (of them, customers churned in the window),
    ``cohort_renewed`` (of them, customers with a renewal, churn, expansion or
    contraction in the window), ``nrr``, ``grr``, ``logo_churn_rate`` (``NaN`` where
    no cohort customer renewed, an empty cohort included).
    """
    by = _check_by(by)
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    arrays = trailing_retention_arrays if trailing else retention_arrays
    levels, columns = arrays(records, grid, by)
    return _frame(grid, levels, by, columns)


def is_acquisition(kind: str) -> bool:
    """Whether a team of ``kind`` counts in acquisition cost (:data:`salesim.roles.KINDS`;
    a kind salesim does not know does not).

    >>> is_acquisition("sdr"), is_acquisition("cs"), is_acquisition("partner_ops")
    (True, False, False)
    """
    return kind in KINDS and KINDS[kind].acquisition_cost


@dataclass(frozen=True)
class Costs:
    """Cost per grid period (rows) per role, per team (with each team's kind in
    ``team_kinds``) and per channel (columns)."""

    roles: list[str]
    role_cost: np.ndarray
    channels: list[str]
    channel_cost: np.ndarray
    teams: list[str]
    team_kinds: list[str]
    team_cost: np.ndarray

    @property
    def marketing(self) -> np.ndarray:
        return np.asarray(self.channel_cost.sum(axis=1), dtype=float)

    @property
    def sales(self) -> np.ndarray:
        """The cost of the roles that count in acquisition cost."""
        columns = [i for i, r in enumerate(self.roles) if is_acquisition(r)]
        return np.asarray(self.role_cost[:, columns].sum(axis=1), dtype=float)

    @property
    def total(self) -> np.ndarray:
        return np.asarray(self.role_cost.sum(axis=1) + self.marketing, dtype=float)


def _month_number(day: dt.date) -> int:
    """Calendar months since January 1970 of a date (as :class:`PeriodGrid` numbers them)."""
    return (day.year - 1970) * 12 + day.month - 1


def cost_arrays(records: Records, plan: Plan, work: Workforce) -> Costs:
    """Role and channel costs per period from :class:`Workforce` arrays and the leads."""
    grid = work.grid
    monthly_people = (work.employed_months * (work.annual_cost / 12)[:, None])
    role_monthly = np.zeros((len(grid.month_numbers), len(work.roles)))
    np.add.at(role_monthly.T, work.role_code, monthly_people)
    team_monthly = np.zeros((len(grid.month_numbers), len(work.by_team.names)))
    np.add.at(team_monthly.T, work.by_team.code, monthly_people)
    if not records.payouts.empty:
        role_monthly += extra_pay_monthly(records, grid, work.roles, "role")
        team_monthly += extra_pay_monthly(records, grid, work.by_team.names, "team")

    leads = records.leads
    lead_codes, lead_labels = text_codes(leads["channel"])
    present = np.bincount(lead_codes, minlength=len(lead_labels)) > 0
    seen = sorted({c for c in lead_labels[present] if c} - set(plan.channels))
    channels = [*plan.channels, *seen]
    index = pd.Index(channels)
    channel_monthly = np.zeros((len(grid.month_numbers), len(channels)))
    rows, months = grid.month_index(leads["created_at"].to_numpy(dtype="datetime64[ns]"))
    column = index.get_indexer(lead_labels)[lead_codes[rows]]
    ok = column >= 0
    channel_monthly = _cell_sums(months[ok], column[ok],
                                 leads["cost"].to_numpy(dtype=float)[rows][ok],
                                 channel_monthly.shape)
    share = grid.month_days / grid.month_full_days
    for name, channel in plan.channels.items():
        active = np.ones(len(grid.month_numbers), dtype=bool)
        if channel.start is not None:
            active &= grid.month_numbers >= _month_number(channel.start)
        if channel.end is not None:
            active &= grid.month_numbers <= _month_number(channel.end)
        channel_monthly[:, channels.index(name)] += np.where(
            active, channel.fixed_cost_per_month * share, 0.0)
    return Costs(roles=work.roles, role_cost=grid.rollup(role_monthly), channels=channels,
                 channel_cost=grid.rollup(channel_monthly), teams=work.by_team.names,
                 team_kinds=work.by_team.kinds, team_cost=grid.rollup(team_monthly))


def costs(records: Records, plan: Plan,
          period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Cost per role, per team and per channel per period (period basis).

    Columns: ``period_type``, ``period``, ``kind`` (``'role'``, ``'team'`` or
    ``'channel'``), ``name`` (the role, team or channel), ``cost``. Every role and
    team of the plan and of the records and every channel of the plan and of the
    leads appears in every period.
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    spend = cost_arrays(records, plan, workforce(records, plan, grid))
    names = [*spend.roles, *spend.channels, *spend.teams]
    kinds = (["role"] * len(spend.roles) + ["channel"] * len(spend.channels)
             + ["team"] * len(spend.teams))
    values = np.concatenate([spend.role_cost, spend.channel_cost, spend.team_cost], axis=1)
    n = len(names)
    return pd.DataFrame({
        "period_type": pd.array(np.repeat(grid.period_type, n), dtype="str"),
        "period": pd.array(np.repeat(grid.period, n), dtype="str"),
        "kind": pd.array(np.tile(np.asarray(kinds, dtype=object), grid.size), dtype="str"),
        "name": pd.array(np.tile(np.asarray(names, dtype=object), grid.size), dtype="str"),
        "cost": values.ravel(),
    })


def economics_arrays(records: Records, plan: Plan, grid: PeriodGrid, spend: Costs
                     ) -> dict[str, np.ndarray]:
    """The columns of :func:`unit_economics` as arrays over the grid's periods."""
    opps = records.opportunities
    won = (opps["status"] == "won").to_numpy(dtype=bool)
    rows, periods = grid.locate(opps["closed_at"].to_numpy(dtype="datetime64[ns]")[won])
    deals = np.bincount(periods, minlength=grid.size)[: grid.size].astype(float)
    bookings = np.bincount(periods, weights=opps["amount"].to_numpy(dtype=float)[won][rows],
                           minlength=grid.size)[: grid.size]
    acquisition = spend.marketing + spend.sales
    average = divide(bookings, deals)
    cac = divide(acquisition, deals)
    return {
        "marketing_cost": spend.marketing, "sales_cost": spend.sales,
        "total_cost": spend.total, "deals_won": deals, "bookings": bookings,
        "average_deal_size": average, "cac": cac,
        "cac_payback_months": divide(cac, average / 12 * plan.gross_margin),
    }


def unit_economics(records: Records, plan: Plan,
                   period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Acquisition cost against new business, per period (period basis).

    Columns: ``period_type``, ``period``, ``marketing_cost`` (all channels),
    ``sales_cost`` (the teams whose kind counts in acquisition cost: SDR and AE),
    ``total_cost`` (every role and channel),
    ``deals_won``, ``bookings`` (ARR of deals won, by ``closed_at``),
    ``average_deal_size``, ``cac`` = (marketing + sales cost) / deals won and
    ``cac_payback_months`` = CAC / (average deal size / 12 x gross margin).
    """
    grid = PeriodGrid(Horizon.of(records, plan), period_types)
    spend = cost_arrays(records, plan, workforce(records, plan, grid))
    return _frame(grid, pd.DataFrame(index=[0]), [],
                  economics_arrays(records, plan, grid, spend))
