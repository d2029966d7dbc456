"""Pay from performance: the ``payouts`` and ``payout_measures`` tables from the records.

:func:`payout_tables` is a pure function of the record tables and each team's
compensation plan (:attr:`TeamPlan.compensation`, a
:class:`salesim.scenario.compensation.CompensationPlan`). It lives with the metrics
because it reads nothing but records, so the same plans can be priced on a CRM export
shaped like the records, and a simulation attaches its result to its records.

For each rep of a team with a plan and each pay period (calendar months, quarters
or years, cut to the horizon) the rep was employed in:

* ``employed_share`` = the part of the period employed, in calendar-month shares
  (a month counts as 1/12 of a year whatever its length); base and on-target
  variable pay are the plan's yearly amounts x employed months / 12.
* Each measure's ``target`` is the plan's target per pay period (or the team's
  quota for the measure the team's kind has its quota in) x the share of the period
  employed, x the team's ramp in each month when ``ramped_quota`` (rates are not
  ramped or prorated). ``attainment = actual / target``; the measure pays
  ``weight x on-target variable x curve(attainment)``.
* What counts (each by the time it happened, to the rep named in the records):
  ``meetings_held`` and the valid share of them (``valid_meeting_rate``, 0 without
  meetings) by ``leads.meeting_held_at`` and ``sdr_id``; ``sourced_revenue``, the
  ARR of won deals whose lead the SDR worked (``opportunities.lead_id`` ->
  ``leads.sdr_id`` of the converted lead) by ``closed_at``; ``bookings`` (less a
  CS ``split`` share), ``margin`` and ``contract_value`` by ``closed_at`` and
  ``ae_id``, where a deal's margin is its list value x (``gross_margin`` -
  ``opportunities.discount``), list value = bookings / (1 - discount), a missing
  discount column or value counting as 0
  (:func:`salesim.scenario.compensation.deal_margin`); ``retained_arr``, the ARR
  at the period end of the CSM's customers that had ARR at its start;
  ``expanded_arr``, expansions on the CSM's customers plus the CS plan's
  ``expansion_credit`` share of won expansion deals on accounts whose first
  subscription the CSM looks after.
* SPIFs pay per event inside their window; a clawback takes back ``share`` of the
  revenue pay a deal earned (its part of the period's revenue measures' pay) in the
  period the customer churns, when that is within ``within`` of the start (from a
  rep still employed then). A draw tops a new hire's earned pay (variable + SPIF -
  clawback) up to ``amount`` x employed share for their first ``months``; a
  recoverable draw is taken back from earned pay above the draw later on.

>>> from salesim.metrics.plan import Plan, TeamPlan
>>> from salesim.records import Records, empty_table, COLUMNS
>>> empty = Records(**{name: empty_table(name) for name in COLUMNS})
>>> len(payout_tables(empty, Plan(teams={"ae": TeamPlan()}))[0])
0
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from salesim.metrics._tidy import text_array
from salesim.metrics.periods import Horizon, PeriodGrid
from salesim.metrics.plan import Plan, TeamPlan
from salesim.metrics.workforce import add_months, workforce
from salesim.records import Records, conform, empty_table
from salesim.roles import KINDS
from salesim.scenario.compensation import (
    MONTHS_PER_PERIOD,
    RATE_MEASURES,
    REVENUE_MEASURES,
    CompensationPlan,
    deal_margin,
)

_NAT = np.datetime64("NaT", "ns")


@dataclass(frozen=True)
class _Events:
    """Events credited to reps: who, when (ns timestamps) and how much."""

    rep: np.ndarray
    at: np.ndarray
    value: np.ndarray
    deal: np.ndarray  # opportunity id behind the credit (-1: none)
    discount: np.ndarray  # share off list of the deal behind the credit (0: none)

    @classmethod
    def of(cls, rep: object, at: object, value: object, deal: object = None,
           discount: object = None) -> _Events:
        reps = np.asarray(rep, dtype=np.int64)
        deals = (np.full(len(reps), -1, dtype=np.int64) if deal is None
                 else np.asarray(deal, dtype=np.int64))
        discounts = (np.zeros(len(reps)) if discount is None
                     else np.asarray(discount, dtype=float))
        return cls(reps, np.asarray(at, dtype="datetime64[ns]"),
                   np.asarray(value, dtype=float), deals, discounts)


def has_plans(plan: Plan) -> bool:
    """Whether any team of ``plan`` has a compensation plan."""
    return any(team.compensation is not None for team in plan.teams.values())


def _won(records: Records) -> pd.DataFrame:
    opps = records.opportunities
    return opps.loc[(opps["status"] == "won").to_numpy(dtype=bool) & opps["closed_at"].notna()]


def deal_discounts(opportunities: pd.DataFrame) -> np.ndarray:
    """Each opportunity's discount (share off list): its ``discount``, 0 where the table
    has no such column (a CRM export) or no value.

    >>> deal_discounts(pd.DataFrame({"amount": [100.0]})).tolist()
    [0.0]
    """
    if "discount" not in opportunities.columns:
        return np.zeros(len(opportunities))
    discount = opportunities["discount"].to_numpy(dtype=float, na_value=0.0)
    if (discount >= 1).any():
        bad = opportunities["opportunity_id"].to_numpy()[discount >= 1][0] \
            if "opportunity_id" in opportunities.columns else "?"
        raise ValueError(f"opportunity {bad}: a discount of 100% or more leaves no list "
                         "value (discount is the share off list, below 1)")
    return discount


def _sdr_of_lead(records: Records) -> pd.Series:
    """Each converted lead's SDR, by ``lead_id`` (the SDR who set the meeting)."""
    leads = records.leads
    converted = leads.loc[(leads["status"] == "converted").to_numpy(dtype=bool)]
    return converted.drop_duplicates("lead_id", keep="last").set_index("lead_id")["sdr_id"]


def _account_csm(records: Records) -> pd.Series:
    """The CSM of each account's first subscription, by ``account_id``."""
    subs = records.subscriptions
    subs = subs.loc[subs["account_id"].to_numpy(dtype=np.int64) >= 0]
    return subs.sort_values("start_at", kind="stable").drop_duplicates("account_id") \
        .set_index("account_id")["csm_id"]


def _credit_share(plan: Plan, mode: str) -> float:
    """The expansion-deal share a CS plan with ``mode`` credits to its CSMs (the
    largest among CS plans)."""
    shares = [team.compensation.expansion_credit.share for team in plan.teams.values()
              if team.compensation is not None and team.compensation.expansion_credit is not None
              and team.compensation.expansion_credit.mode == mode]
    return max(shares, default=0.0)


def _measure_events(records: Records, plan: Plan) -> dict[str, _Events]:
    """Every flow measure and SPIF event, credited to reps."""
    leads = records.leads
    held = leads.loc[leads["meeting_held_at"].notna()]
    valid = held.loc[held["valid"].fillna(False).to_numpy(dtype=bool)]
    won = _won(records)
    amount = won["amount"].to_numpy(dtype=float)
    expansion_deal = (won["type"] == "expansion").to_numpy(dtype=bool)
    split = _credit_share(plan, "split")
    ae_credit = amount * np.where(expansion_deal, 1 - split, 1.0)
    sdr = won["lead_id"].map(_sdr_of_lead(records))
    sourced = won.loc[sdr.notna().to_numpy(dtype=bool)]
    subs = records.subscriptions.set_index("subscription_id")
    events = records.subscription_events
    expansions = events.loc[(events["kind"] == "expansion").to_numpy(dtype=bool)]
    expansion_csm = expansions["subscription_id"].map(subs["csm_id"]).fillna(-1)
    credit = _credit_share(plan, "split") + _credit_share(plan, "overlay")
    deal_csm = won["account_id"].map(_account_csm(records)).fillna(-1).to_numpy(dtype=np.int64)
    credited = expansion_deal & (deal_csm >= 0) & (credit > 0)
    return {
        "meetings_held": _Events.of(held["sdr_id"], held["meeting_held_at"], np.ones(len(held))),
        "valid_meetings": _Events.of(valid["sdr_id"], valid["meeting_held_at"],
                                     np.ones(len(valid))),
        "sourced_revenue": _Events.of(sdr[sdr.notna()], sourced["closed_at"],
                                      sourced["amount"], sourced["opportunity_id"]),
        "bookings": _Events.of(won["ae_id"], won["closed_at"], ae_credit,
                               won["opportunity_id"], deal_discounts(won)),
        "deal_won": _Events.of(won["ae_id"], won["closed_at"], amount, won["opportunity_id"]),
        "expansion": _Events.of(expansion_csm, expansions["at"], expansions["arr_change"]),
        "expanded_arr": _Events.of(
            np.concatenate([expansion_csm.to_numpy(dtype=np.int64), deal_csm[credited]]),
            np.concatenate([expansions["at"].to_numpy(dtype="datetime64[ns]"),
                            won["closed_at"].to_numpy(dtype="datetime64[ns]")[credited]]),
            np.concatenate([expansions["arr_change"].to_numpy(dtype=float),
                            amount[credited] * credit])),
    }


def _arr_at(records: Records, times: np.ndarray) -> np.ndarray:
    """ARR of every subscription (rows, in ``subscriptions`` order) just before each of
    ``times`` (columns)."""
    subs = records.subscriptions
    events = records.subscription_events
    index = pd.Index(subs["subscription_id"]).get_indexer(events["subscription_id"])
    at = events["at"].to_numpy(dtype="datetime64[ns]")
    change = events["arr_change"].to_numpy(dtype=float)
    out = np.zeros((len(subs), len(times)))
    ok = index >= 0
    for column, time in enumerate(times):
        before = ok & (at < time)
        np.add.at(out[:, column], index[before], change[before])
    return out


@dataclass
class _Row:
    """One rep's pay period while it is being worked out."""

    rep: int
    team: str
    kind: str
    start: np.datetime64
    end: np.datetime64
    share: float
    target_variable: float
    base: float
    variable: float = 0.0
    spif: float = 0.0
    clawback: float = 0.0
    draw: float = 0.0
    draw_recovered: float = 0.0
    attainment: float = 0.0
    under_threshold: bool = False
    at_cap: bool = False

    @property
    def total(self) -> float:
        return (self.base + self.variable + self.spif - self.clawback + self.draw
                - self.draw_recovered)


def payout_tables(records: Records, plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``payouts`` and ``payout_measures`` tables of ``records`` under the
    compensation plans of ``plan``'s teams (see the module docstring); empty tables
    when no team has a plan."""
    if not has_plans(plan):
        return empty_table("payouts"), empty_table("payout_measures")
    grid = PeriodGrid(Horizon.of(records, plan), ("month",))
    work = workforce(records, plan, grid)
    month_start = (np.datetime64("1970-01", "M") + grid.month_numbers).astype("datetime64[ns]")
    month_end = (np.datetime64("1970-01", "M") + grid.month_numbers + 1).astype(
        "datetime64[ns]")
    horizon_start = grid.horizon.start.to_datetime64().astype("datetime64[ns]")
    horizon_end = grid.horizon.end.to_datetime64().astype("datetime64[ns]")
    events = _measure_events(records, plan)
    hired = dict(zip(records.reps["rep_id"].to_numpy(dtype=np.int64),
                     records.reps["hired_at"].to_numpy(dtype="datetime64[ns]"), strict=True))
    initial = dict(zip(records.reps["rep_id"].to_numpy(dtype=np.int64),
                       text_array(records.reps["origin"]) == "initial", strict=True))
    rows: list[_Row] = []
    measure_rows: list[dict[str, object]] = []
    deal_pay: dict[tuple[int, int], float] = {}  # (rep, opportunity) -> revenue pay earned
    for index, (rep, team) in enumerate(zip(work.rep_id, work.team, strict=True)):
        team_plan = plan.teams.get(str(team))
        if team_plan is None or team_plan.compensation is None:
            continue
        comp = team_plan.compensation
        months = MONTHS_PER_PERIOD[comp.pay_period]
        period_of = grid.month_numbers // months
        employed = work.employed_months[index]
        ramped = work.ramped_months[index] if comp.ramped_quota else employed
        for number in np.unique(period_of):
            in_period = period_of == number
            share_months = float(employed[in_period].sum())
            if share_months <= 0:
                continue
            start = max(month_start[in_period][0], horizon_start)
            end = min(month_end[in_period][-1], horizon_end)
            row = _Row(int(rep), str(team), team_plan.kind or str(team), start, end,
                       share_months / months, comp.variable_per_year * share_months / 12,
                       comp.base_per_year * share_months / 12)
            _pay_measures(row, comp, team_plan, events, records, float(ramped[in_period].sum())
                          / months, measure_rows, deal_pay)
            _pay_spifs(row, comp, events, records)
            rows.append(row)
    _claw_back(rows, plan, records, events, deal_pay)
    _pay_draws(rows, plan, hired, initial)
    payouts = pd.DataFrame({
        "rep_id": [r.rep for r in rows], "team": [r.team for r in rows],
        "role": [r.kind for r in rows],
        "period_start": np.array([r.start for r in rows], dtype="datetime64[ns]"),
        "period_end": np.array([r.end for r in rows], dtype="datetime64[ns]"),
        "employed_share": [r.share for r in rows],
        "target_variable": [r.target_variable for r in rows], "base": [r.base for r in rows],
        "variable": [r.variable for r in rows], "spif": [r.spif for r in rows],
        "clawback": [r.clawback for r in rows], "draw": [r.draw for r in rows],
        "draw_recovered": [r.draw_recovered for r in rows],
        "total": [r.total for r in rows], "attainment": [r.attainment for r in rows],
        "under_threshold": [r.under_threshold for r in rows],
        "at_cap": [r.at_cap for r in rows],
    })
    measures = (pd.DataFrame(measure_rows) if measure_rows
                else empty_table("payout_measures"))
    return conform("payouts", payouts), conform("payout_measures", measures)


def _in(events: _Events, rep: int, start: np.datetime64, end: np.datetime64) -> np.ndarray:
    return np.asarray((events.rep == rep) & (events.at >= start) & (events.at < end),
                      dtype=bool)


def _pay_measures(row: _Row, comp: CompensationPlan, team_plan: TeamPlan,
                  events: dict[str, _Events], records: Records, ramped_share: float,
                  measure_rows: list[dict[str, object]],
                  deal_pay: dict[tuple[int, int], float]) -> None:
    """The variable pay of one rep's period, measure by measure."""
    kind = KINDS.get(row.kind)
    months = MONTHS_PER_PERIOD[comp.pay_period]
    weighted_threshold = 0.0
    capped = []
    for measure, spec in comp.measures.items():
        target = spec.target
        if target is None and kind is not None and measure == kind.quota_measure:
            target = (team_plan.quota_per_month or 0.0) * months
        target = float(target or 0.0)
        if measure not in RATE_MEASURES:
            target *= ramped_share if comp.ramped_quota else row.share
        deals = np.array([], dtype=np.int64)
        credits = np.array([], dtype=float)
        if measure == "valid_meeting_rate":
            held = _in(events["meetings_held"], row.rep, row.start, row.end).sum()
            valid = _in(events["valid_meetings"], row.rep, row.start, row.end).sum()
            actual = float(valid / held) if held else 0.0
        elif measure == "retained_arr":
            actual = _retained(records, row)
        else:
            source = events["bookings" if measure in ("margin", "contract_value") else measure]
            picked = _in(source, row.rep, row.start, row.end)
            if measure == "margin" and spec.gross_margin is not None:
                credits = deal_margin(source.value[picked], spec.gross_margin,
                                      source.discount[picked])
            else:
                factor = spec.years if measure == "contract_value" and spec.years else 1.0
                credits = source.value[picked] * factor
            deals = source.deal[picked]
            actual = float(credits.sum())
        attainment = actual / target if target > 0 else 0.0
        pay = spec.weight * row.target_variable * spec.curve.payout(attainment)
        row.variable += pay
        row.attainment += spec.weight * attainment
        weighted_threshold += spec.weight * spec.curve.threshold
        if spec.curve.cap is not None:
            capped.append(attainment >= spec.curve.cap)
        if measure in REVENUE_MEASURES and actual > 0:
            for deal, credit in zip(deals, credits, strict=True):
                if deal >= 0:
                    key = (row.rep, int(deal))
                    deal_pay[key] = deal_pay.get(key, 0.0) + pay * credit / actual
        measure_rows.append({"rep_id": row.rep, "team": row.team, "period_start": row.start,
                             "measure": measure, "actual": actual, "target": target,
                             "attainment": attainment, "payout": pay})
    row.under_threshold = row.attainment < weighted_threshold
    row.at_cap = bool(capped) and all(capped)


def _retained(records: Records, row: _Row) -> float:
    """ARR at the period end of the rep's customers that had ARR at its start."""
    subs = records.subscriptions
    mine = (subs["csm_id"].to_numpy(dtype=np.int64) == row.rep)
    if not mine.any():
        return 0.0
    arr = _arr_at(records, np.array([row.start, row.end], dtype="datetime64[ns]"))[mine]
    return float(arr[arr[:, 0] > 0, 1].sum())


def _pay_spifs(row: _Row, comp: CompensationPlan, events: dict[str, _Events],
               records: Records) -> None:
    for spif in comp.spifs:
        source = events["meetings_held" if spif.event == "meeting_held"
                        else "valid_meetings" if spif.event == "valid_meeting" else spif.event]
        lo = max(np.datetime64(spif.start, "ns"), row.start)
        hi = min(np.datetime64(spif.end + dt.timedelta(days=1), "ns"), row.end)
        picked = _in(source, row.rep, lo, hi) & (source.value >= spif.min_amount)
        row.spif += spif.amount * int(picked.sum())


def _claw_back(rows: list[_Row], plan: Plan, records: Records, events: dict[str, _Events],
               deal_pay: dict[tuple[int, int], float]) -> None:
    """Take back revenue pay on deals whose customer churned soon after starting."""
    if not deal_pay:
        return
    subs = records.subscriptions
    churned = subs.loc[subs["churned_at"].notna()]
    churn_at = dict(zip(churned["opportunity_id"].to_numpy(dtype=np.int64),
                        churned["churned_at"].to_numpy(dtype="datetime64[ns]"), strict=True))
    started = dict(zip(churned["opportunity_id"].to_numpy(dtype=np.int64),
                       churned["start_at"].to_numpy(dtype="datetime64[ns]"), strict=True))
    by_rep: dict[int, list[_Row]] = {}
    for row in rows:
        by_rep.setdefault(row.rep, []).append(row)
    for (rep, deal), pay in deal_pay.items():
        if deal not in churn_at or not by_rep.get(rep):
            continue
        team_plan = plan.teams.get(by_rep[rep][0].team)
        comp = team_plan.compensation if team_plan is not None else None
        if comp is None or comp.clawback is None:
            continue
        within = np.timedelta64(round(comp.clawback.within.days * 86_400), "s")
        if churn_at[deal] - started[deal] > within:
            continue
        for row in by_rep[rep]:
            if row.start <= churn_at[deal] < row.end:
                row.clawback += comp.clawback.share * pay
                break


def _pay_draws(rows: list[_Row], plan: Plan, hired: dict[int, np.datetime64],
               initial: dict[int, bool]) -> None:
    """Top new hires' earned pay up to their draw, and recover recoverable draws."""
    balance: dict[int, float] = {}
    for row in sorted(rows, key=lambda r: (r.rep, r.start)):
        team_plan = plan.teams.get(row.team)
        comp = team_plan.compensation if team_plan is not None else None
        if comp is None or comp.draw is None:
            continue
        draw = comp.draw
        earned = row.variable + row.spif - row.clawback
        hire = hired.get(row.rep, _NAT)
        window_end = _NAT if np.isnat(hire) else add_months(np.array([hire]), draw.months)[0]
        in_window = (not initial.get(row.rep, False) and not np.isnat(window_end)
                     and row.start < window_end)
        guarantee = draw.amount * row.share if in_window else 0.0
        row.draw = max(0.0, guarantee - earned)
        owed = balance.get(row.rep, 0.0)
        row.draw_recovered = min(owed, max(0.0, earned - guarantee))
        balance[row.rep] = owed - row.draw_recovered + (row.draw if draw.recoverable else 0.0)


# ----------------------------------------------------------------------------- in the KPIs


def paid_months(payouts: pd.DataFrame, grid: PeriodGrid) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``payouts`` paid inside the grid's horizon and the month (row of the
    grid's months) each is paid in: the month its pay period ends in."""
    last_day = payouts["period_end"].to_numpy(dtype="datetime64[ns]") - np.timedelta64(1, "ns")
    return grid.month_index(last_day)


def extra_pay_monthly(records: Records, grid: PeriodGrid, names: list[str], by: str
                      ) -> np.ndarray:
    """Months x ``names`` (teams or roles, ``by`` ``'team'`` or ``'role'``): the pay on top
    of base (``total - base``: variable, SPIFs and draws less clawbacks and recovered
    draws), in the month it is paid. Base pay is part of a team's fully loaded
    ``annual_cost``, so this is what a plan adds to the cost of a team."""
    payouts = records.payouts
    out = np.zeros((len(grid.month_numbers), len(names)))
    if payouts.empty or not names:
        return out
    rows, months = paid_months(payouts, grid)
    column = pd.Index(names).get_indexer(pd.Index(text_array(payouts[by])[rows]))
    extra = (payouts["total"] - payouts["base"]).to_numpy(dtype=float)[rows]
    ok = column >= 0
    np.add.at(out, (months[ok], column[ok]), extra[ok])
    return out


@dataclass(frozen=True)
class PayKpis:
    """Pay KPIs per grid period (rows) and team (columns of ``teams``), and overall."""

    teams: list[str]
    kinds: list[str]
    per_team: dict[str, np.ndarray]
    overall: dict[str, np.ndarray]


PAY_SPREAD = ("pay_per_rep_mean", "pay_per_rep_p10", "pay_per_rep_p50", "pay_per_rep_p90",
              "share_under_threshold", "share_at_target", "share_at_cap")


def pay_kpis(records: Records, plan: Plan, grid: PeriodGrid) -> PayKpis:
    """The pay KPIs of :mod:`salesim.metrics.kpis` from the ``payouts`` and
    ``payout_measures`` tables, each pay period counted in the grid periods holding
    the month it ends in."""
    payouts = records.payouts
    teams = [str(t) for t in dict.fromkeys(text_array(payouts["team"]))]
    kinds = [plan.kind_of(t) or str(payouts.loc[payouts["team"] == t, "role"].iloc[0])
             for t in teams]
    rows, months = paid_months(payouts, grid)
    paid = payouts.iloc[rows]
    team_index = pd.Index(teams).get_indexer(pd.Index(text_array(paid["team"])))
    n_months, n_teams = len(grid.month_numbers), len(teams)

    def monthly_sum(values: np.ndarray) -> np.ndarray:
        out = np.zeros((n_months, n_teams))
        np.add.at(out, (months, team_index), values)
        return grid.rollup(out)

    total = paid["total"].to_numpy(dtype=float)
    base = paid["base"].to_numpy(dtype=float)
    per_team: dict[str, np.ndarray] = {
        "comp_total": monthly_sum(total), "comp_base": monthly_sum(base),
        "comp_variable": monthly_sum(total - base),
    }
    # each grid period: the rows paid in it
    parents = grid.month_parents[months]
    period_rows = [np.flatnonzero((parents == p).any(axis=1)) for p in range(grid.size)]
    spread = {name: np.full((grid.size, n_teams), np.nan) for name in PAY_SPREAD}
    at_mean = np.zeros((grid.size, n_teams))
    measures = records.payout_measures
    measure_key = pd.MultiIndex.from_arrays([measures["rep_id"].to_numpy(dtype=np.int64),
                                             measures["period_start"].to_numpy(
                                                 dtype="datetime64[ns]")])
    paid_key = pd.MultiIndex.from_arrays([paid["rep_id"].to_numpy(dtype=np.int64),
                                          paid["period_start"].to_numpy(dtype="datetime64[ns]")])
    reps = paid["rep_id"].to_numpy(dtype=np.int64)
    for period, picked in enumerate(period_rows):
        for t, team in enumerate(teams):
            mine = picked[team_index[picked] == t]
            if len(mine) == 0:
                continue
            pay = pd.Series(total[mine]).groupby(reps[mine]).sum().to_numpy(dtype=float)
            spread["pay_per_rep_mean"][period, t] = pay.mean()
            for q in (10, 50, 90):
                spread[f"pay_per_rep_p{q}"][period, t] = np.percentile(pay, q)
            spread["share_under_threshold"][period, t] = paid["under_threshold"].to_numpy(
                dtype=bool)[mine].mean()
            spread["share_at_target"][period, t] = (paid["attainment"].to_numpy(dtype=float)
                                                    [mine] >= 1.0).mean()
            spread["share_at_cap"][period, t] = paid["at_cap"].to_numpy(dtype=bool)[mine].mean()
            at_mean[period, t] = _variable_at_mean(plan.teams.get(team), paid.iloc[mine],
                                                   measures.loc[measure_key.isin(
                                                       paid_key[mine])])
    per_team.update(spread)
    per_team["variable_pay_at_mean_attainment"] = at_mean
    per_team["variable_pay_from_curves"] = monthly_sum(
        paid["variable"].to_numpy(dtype=float))
    overall = {name: per_team[name].sum(axis=1)
               for name in ("comp_total", "comp_base", "comp_variable",
                            "variable_pay_at_mean_attainment", "variable_pay_from_curves")}
    return PayKpis(teams=teams, kinds=kinds, per_team=per_team, overall=overall)


def _variable_at_mean(team_plan: TeamPlan | None, rows: pd.DataFrame,
                      measures: pd.DataFrame) -> float:
    """What the curves would pay these rep-periods if every rep attained the mean
    attainment of each measure: the cost of a plan priced on an average rep."""
    comp = team_plan.compensation if team_plan is not None else None
    if comp is None or rows.empty:
        return float("nan")
    target_variable = float(rows["target_variable"].sum())
    total = 0.0
    for measure, spec in comp.measures.items():
        found = measures.loc[(measures["measure"] == measure).to_numpy(dtype=bool),
                             "attainment"].to_numpy(dtype=float)
        if len(found):
            total += spec.weight * target_variable * spec.curve.payout(float(found.mean()))
    return total
