"""Money: the ARR roll-forward, retention, costs and unit economics.

* ARR at an instant is the sum of ``subscription_events.arr_change`` before it
  (so ``ending = starting + new + expansion - contraction - churn`` holds for
  every period by construction).
* Retention over a month, quarter or year is on the cohort of customers with
  ARR at the period start: NRR = their ARR at the period end / their ARR at
  the start; GRR = the same without expansion, each customer counting at most
  its starting ARR; logo churn rate = those customers churned in the period /
  their number. Over the whole horizon (``'total'``) the cohort also takes in
  customers won during the horizon, each from its initial ARR, so a simulation
  that starts with no customers still has a horizon NRR.
* Cost of a role = employed months (share of each calendar month employed)
  x annual cost / 12; cost of a channel = its leads' ``cost`` (by creation)
  + its fixed cost per month for the months it runs (prorated at the horizon
  edges).
* CAC = (marketing cost + SDR and AE cost) / deals won, both in the same period
  (period basis); CAC payback months = CAC / (average new ARR per deal / 12 x
  gross margin).

>>> from salesim.metrics import arr_rollforward, retention, costs  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from salesim.engine.records import Records
from salesim.metrics._tidy import text
from salesim.metrics.periods import (
    PERIOD_TYPES,
    Horizon,
    PeriodType,
    all_periods,
    check_period_types,
    label_events,
    period_table,
    rollup,
)
from salesim.metrics.plan import Plan
from salesim.metrics.workforce import rep_months

FINANCE_DIMENSIONS = ("channel", "segment")
ACQUISITION_ROLES = ("sdr", "ae")
ROLLFORWARD_COLUMNS = ("starting_arr", "new_arr", "expansion_arr", "contraction_arr",
                       "churned_arr", "ending_arr", "starting_customers", "new_customers",
                       "churned_customers", "ending_customers")
RETENTION_COLUMNS = ("cohort_customers", "cohort_start_arr", "cohort_end_arr",
                     "cohort_gross_arr", "cohort_churned", "nrr", "grr", "logo_churn_rate")
_EPS = 1e-9


def _check_by(by: Sequence[str]) -> list[str]:
    by = [by] if isinstance(by, str) else list(by)
    bad = [d for d in by if d not in FINANCE_DIMENSIONS]
    if bad:
        raise ValueError(f"ARR can be split by {FINANCE_DIMENSIONS}, not {bad}")
    return by


def subscription_events(records: Records) -> pd.DataFrame:
    """ARR events with the customer's ``channel`` and ``segment``: ``subscription_id``,
    ``at``, ``kind``, ``arr_change``, ``channel``, ``segment``."""
    subs = records.subscriptions
    dims = pd.DataFrame({
        "subscription_id": subs["subscription_id"].to_numpy(dtype="int64"),
        "channel": text(subs["channel"]).to_numpy(),
        "segment": text(subs["segment"]).to_numpy(),
    }).drop_duplicates("subscription_id")
    events = records.subscription_events
    frame = pd.DataFrame({
        "subscription_id": events["subscription_id"].to_numpy(dtype="int64"),
        "at": events["at"].to_numpy(dtype="datetime64[ns]"),
        "kind": text(events["kind"]).to_numpy(),
        "arr_change": events["arr_change"].to_numpy(dtype=float),
    })
    frame = frame.loc[frame["at"].notna()].merge(dims, on="subscription_id", how="left")
    for dim in FINANCE_DIMENSIONS:
        frame[dim] = frame[dim].fillna("").astype(str)
    return frame


def _flows(events: pd.DataFrame) -> pd.DataFrame:
    kind = events["kind"]
    change = events["arr_change"]
    return pd.DataFrame({
        "net": change,
        "new_arr": change.where(kind == "new", 0.0),
        "expansion_arr": change.where(kind == "expansion", 0.0),
        "contraction_arr": -change.where(kind == "contraction", 0.0),
        "churned_arr": -change.where(kind == "churn", 0.0),
        "new_customers": (kind == "new").astype(float),
        "churned_customers": (kind == "churn").astype(float),
    }, index=events.index)


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
    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    events = subscription_events(records)
    events = pd.concat([events, _flows(events)], axis=1)
    flows = ["net", "new_arr", "expansion_arr", "contraction_arr", "churned_arr",
             "new_customers", "churned_customers"]
    before = events.loc[events["at"] < horizon.start]
    opening = (before.groupby(by, observed=True)[["net", "new_customers", "churned_customers"]]
               .sum() if by else before[["net", "new_customers", "churned_customers"]].sum()
               .to_frame().T)
    opening = opening.rename(columns={"net": "opening_arr"})
    opening["opening_customers"] = opening.pop("new_customers") - opening.pop(
        "churned_customers")

    labelled = label_events(events, "at", horizon, period_types)
    sums = labelled.groupby(["period_type", "period", *by], observed=True)[flows].sum()
    periods = all_periods(horizon, period_types)[["period_type", "period"]]
    combos = events[by].drop_duplicates() if by else pd.DataFrame(index=[0])
    frame = periods.merge(combos, how="cross").merge(sums.reset_index(),
                                                     on=["period_type", "period", *by],
                                                     how="left")
    frame[flows] = frame[flows].astype(float).fillna(0.0)
    if by:
        frame = frame.merge(opening.reset_index(), on=by, how="left")
    else:
        frame["opening_arr"] = float(opening["opening_arr"].iloc[0])
        frame["opening_customers"] = float(opening["opening_customers"].iloc[0])
    frame[["opening_arr", "opening_customers"]] = frame[
        ["opening_arr", "opening_customers"]].astype(float).fillna(0.0)

    group = frame.groupby(["period_type", *by], sort=False)
    frame["ending_arr"] = frame["opening_arr"] + group["net"].cumsum()
    frame["starting_arr"] = frame["ending_arr"] - frame["net"]
    customers = frame["new_customers"] - frame["churned_customers"]
    frame["ending_customers"] = frame["opening_customers"] + customers.groupby(
        [frame["period_type"], *[frame[d] for d in by]], sort=False).cumsum()
    frame["starting_customers"] = frame["ending_customers"] - customers
    return frame[["period_type", "period", *by, *ROLLFORWARD_COLUMNS]]


def retention(records: Records, plan: Plan | None = None, by: Sequence[str] = (),
              period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Net and gross revenue retention and logo churn per period (cohort of customers
    with ARR at the period start; for ``'total'`` also those won in the horizon).

    Columns: ``period_type``, ``period``, the ``by`` dimensions,
    ``cohort_customers``, ``cohort_start_arr``, ``cohort_end_arr`` (their ARR at
    the period end), ``cohort_gross_arr`` (each customer's end ARR capped at its
    start ARR), ``cohort_churned`` (of them, customers churned in the period),
    ``nrr``, ``grr``, ``logo_churn_rate`` (``NaN`` for an empty cohort).
    """
    by = _check_by(by)
    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    events = subscription_events(records)
    events = events.loc[events["at"] < horizon.end]
    customers, customer_codes = np.unique(events["subscription_id"].to_numpy(),
                                          return_inverse=True)
    firsts = events.drop_duplicates("subscription_id").set_index("subscription_id").reindex(
        customers)
    combos = firsts[by].drop_duplicates().reset_index(drop=True) if by else pd.DataFrame(
        index=[0])
    group_codes = (firsts[by].merge(combos.reset_index(), on=by, how="left")["index"]
                   .to_numpy() if by else np.zeros(len(customers), dtype=int))
    days = horizon.to_days(events["at"])
    change = events["arr_change"].to_numpy(dtype=float)
    is_new = (events["kind"] == "new").to_numpy()
    is_churn = (events["kind"] == "churn").to_numpy()
    n_groups = len(combos)

    parts = []
    for period_type in period_types:
        table = period_table(horizon, period_type)
        hi = horizon.to_days(table["end"])
        n = len(table)
        # column j + 1 holds what happens in period j, column 0 what came before
        column = np.searchsorted(hi, days, side="right")
        column = np.where(days < 0, 0, np.minimum(column, n - 1) + 1) if n else column
        net = np.zeros((len(customers), n + 1))
        np.add.at(net, (customer_codes, column), change)
        churned = np.zeros((len(customers), n + 1))
        np.add.at(churned, (customer_codes, column), is_churn.astype(float))
        ending = np.cumsum(net, axis=1)[:, 1:]
        starting = ending - net[:, 1:]
        if period_type == "total":
            new = np.zeros((len(customers), n + 1))
            np.add.at(new, (customer_codes, column), np.where(is_new, change, 0.0))
            starting = starting + new[:, 1:]
        cohort = starting > _EPS
        values = {
            "cohort_customers": cohort.astype(float),
            "cohort_start_arr": np.where(cohort, starting, 0.0),
            "cohort_end_arr": np.where(cohort, ending, 0.0),
            "cohort_gross_arr": np.where(cohort, np.clip(np.minimum(ending, starting), 0, None),
                                         0.0),
            "cohort_churned": np.where(cohort, (churned[:, 1:] > 0).astype(float), 0.0),
        }
        sums = {}
        for name, matrix in values.items():
            grouped = np.zeros((n_groups, n))
            np.add.at(grouped, group_codes, matrix)
            sums[name] = grouped.ravel()
        frame = pd.DataFrame(sums)
        frame.insert(0, "period", np.tile(table["period"].to_numpy(), n_groups))
        frame.insert(0, "period_type", period_type)
        for dim in by:
            frame[dim] = np.repeat(combos[dim].to_numpy(), n)
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["period_type", "period", *by, *RETENTION_COLUMNS[:5]])
    start_arr = frame["cohort_start_arr"].to_numpy(dtype=float)
    size = frame["cohort_customers"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["nrr"] = np.where(start_arr > _EPS, frame["cohort_end_arr"] / start_arr, np.nan)
        frame["grr"] = np.where(start_arr > _EPS, frame["cohort_gross_arr"] / start_arr, np.nan)
        frame["logo_churn_rate"] = np.where(size > 0, frame["cohort_churned"] / size, np.nan)
    return frame[["period_type", "period", *by, *RETENTION_COLUMNS]]


def _channel_months(plan: Plan, channels: Sequence[str], months: pd.DataFrame) -> pd.DataFrame:
    """Fixed cost per channel per month of the horizon (prorated where the horizon cuts)."""
    frame = months[["period", "start", "days", "full_days"]].merge(
        pd.DataFrame({"channel": list(channels)}, dtype="str"), how="cross")
    month_start = frame["start"].dt.to_period("M")
    active = np.ones(len(frame), dtype=bool)
    fixed = np.zeros(len(frame))
    for name, channel in plan.channels.items():
        rows = (frame["channel"] == name).to_numpy()
        fixed[rows] = channel.fixed_cost_per_month
        if channel.start is not None:
            active &= ~rows | (month_start >= pd.Period(channel.start, "M")).to_numpy()
        if channel.end is not None:
            active &= ~rows | (month_start <= pd.Period(channel.end, "M")).to_numpy()
    share = (frame["days"] / frame["full_days"]).to_numpy(dtype=float)
    frame["cost"] = np.where(active, fixed * share, 0.0)
    return frame[["period", "channel", "cost"]]


def costs(records: Records, plan: Plan,
          period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Cost per role and per channel per period (period basis).

    Columns: ``period_type``, ``period``, ``kind`` (``'role'`` or ``'channel'``),
    ``name`` (the role or channel), ``cost``. Every role of the plan and of the
    records and every channel of the plan and of the leads appears in every
    period.
    """
    from salesim.metrics.workforce import roles_of

    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    months = period_table(horizon, "month")

    people = rep_months(records, plan)
    people = people.assign(cost=people["headcount_months"] * people["annual_cost"] / 12,
                           kind="role", name=people["role"])
    roles = pd.DataFrame({"kind": "role", "name": roles_of(records, plan), "cost": 0.0})

    leads = records.leads
    lead_channels = text(leads["channel"])
    channels = [*plan.channels, *sorted({c for c in lead_channels.unique() if c}
                                        - set(plan.channels))]
    inside = horizon.contains(leads["created_at"]).to_numpy(dtype=bool)
    lead_cost = pd.DataFrame({
        "period": pd.Series(leads["created_at"].to_numpy()[inside]).dt.to_period("M")
        .astype(str).to_numpy(),
        "kind": "channel",
        "name": lead_channels.to_numpy()[inside],
        "cost": leads["cost"].to_numpy(dtype=float)[inside],
    })
    fixed = _channel_months(plan, channels, months).rename(columns={"channel": "name"}).assign(
        kind="channel")
    grid = months[["period"]].merge(
        pd.concat([roles, pd.DataFrame({"kind": "channel", "name": channels, "cost": 0.0})]),
        how="cross")
    monthly = pd.concat([grid, people[["period", "kind", "name", "cost"]], lead_cost,
                         fixed[["period", "kind", "name", "cost"]]], ignore_index=True)
    monthly = monthly.astype({"period": "str", "kind": "str", "name": "str"})
    return rollup(monthly, ["kind", "name"], ["cost"], period_types)


def unit_economics(records: Records, plan: Plan,
                   period_types: Sequence[PeriodType] = PERIOD_TYPES) -> pd.DataFrame:
    """Acquisition cost against new business, per period (period basis).

    Columns: ``period_type``, ``period``, ``marketing_cost`` (all channels),
    ``sales_cost`` (SDR and AE), ``total_cost`` (every role and channel),
    ``deals_won``, ``bookings`` (ARR of deals won, by ``closed_at``),
    ``average_deal_size``, ``cac`` = (marketing + sales cost) / deals won and
    ``cac_payback_months`` = CAC / (average deal size / 12 x gross margin).
    """
    period_types = check_period_types(period_types)
    horizon = Horizon.of(records, plan)
    table = costs(records, plan, period_types)
    is_channel = table["kind"] == "channel"
    is_sales = (table["kind"] == "role") & table["name"].isin(ACQUISITION_ROLES)
    keys = ["period_type", "period"]
    frame = all_periods(horizon, period_types)[keys]
    for name, rows in (("marketing_cost", is_channel), ("sales_cost", is_sales),
                       ("total_cost", pd.Series(True, index=table.index))):
        sums = table.loc[rows].groupby(keys, sort=False)["cost"].sum().rename(name)
        frame = frame.merge(sums.reset_index(), on=keys, how="left")
    opps = records.opportunities
    won = opps.loc[opps["status"] == "won", ["closed_at", "amount"]]
    won = label_events(won, "closed_at", horizon, period_types)
    wins = won.groupby(keys, sort=False)["amount"].agg(["size", "sum"]).rename(
        columns={"size": "deals_won", "sum": "bookings"})
    frame = frame.merge(wins.reset_index(), on=keys, how="left")
    frame = frame.fillna(dict.fromkeys(("marketing_cost", "sales_cost", "total_cost",
                                        "deals_won", "bookings"), 0.0))
    deals = frame["deals_won"].to_numpy(dtype=float)
    acquisition = (frame["marketing_cost"] + frame["sales_cost"]).to_numpy(dtype=float)
    bookings = frame["bookings"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["average_deal_size"] = np.where(deals > 0, bookings / deals, np.nan)
        frame["cac"] = np.where(deals > 0, acquisition / deals, np.nan)
        monthly_margin = frame["average_deal_size"].to_numpy(dtype=float) / 12 * plan.gross_margin
        frame["cac_payback_months"] = np.where(monthly_margin > 0,
                                               frame["cac"] / monthly_margin, np.nan)
    frame["deals_won"] = frame["deals_won"].astype(float)
    return frame[["period_type", "period", "marketing_cost", "sales_cost", "total_cost",
                  "deals_won", "bookings", "average_deal_size", "cac", "cac_payback_months"]]
