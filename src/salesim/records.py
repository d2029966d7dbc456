"""CRM-shaped records: what one replication leaves behind, as a CRM would hold it.

Every table is a pandas DataFrame with the stable columns listed in
:data:`COLUMNS`. Timestamps are ``datetime64[ns]`` (naive, the scenario's local
time); ``NaT`` means "did not happen (yet)". Ids are int64; rep ids are unique
across roles. Metrics read these tables only, so the same metric code runs on a
real CRM export shaped the same way.

Tables
------
``leads``
    One row per lead engagement. A lead that comes back from nurture gets a new
    row with the same ``lead_id`` and ``cycle`` one higher; ``cycle == 0`` rows
    are new leads, ``cycle > 0`` rows are recycled leads. ``score`` (0..100) is
    ``attribute_score`` (fit: company size, industry, title) plus
    ``behaviour_score`` (engagement: visits, clicks, downloads).
    ``status`` is exactly one of ``open`` (still being worked at the horizon),
    ``converted`` (a valid held meeting became an opportunity), ``nurture``
    (sent to the recycle pool) or ``closed`` (disqualified for good);
    ``reason`` says why a row was nurtured or closed (``not_ready``,
    ``unreached``, ``declined``, ``no_show``, ``invalid``, ``stale``: never called
    within the SDR team's ``stale_after``), empty otherwise.
``opportunities``
    One row per opportunity, created when a valid meeting is held.
    ``assigned_at`` is when an AE took it (later than ``created_at`` when AEs
    were at capacity). ``status`` is ``open``, ``won`` or ``lost``;
    ``amount`` is the ARR of the deal (the expected ARR while open or lost), after
    ``discount``, the share off list the AE gave (0 without discounting; a CRM export
    without the column reads as 0): the list value is ``amount / (1 - discount)``.
``opportunity_stages``
    One row per opportunity per stage entered: ``entered_at``, ``exited_at``
    (NaT while in the stage) and ``outcome`` (``advanced``, ``won``, ``lost``
    or ``open``).
``subscriptions``
    One row per customer (a won opportunity makes exactly one).
    ``arr`` is the ARR at the horizon (0 once churned).
``subscription_events``
    The ARR roll-forward: ``kind`` is ``new``, ``expansion``, ``contraction``,
    ``churn`` or ``renewal`` with the signed ``arr_change`` (renewal: 0).
``reps``
    One row per person who held a seat: ``role`` (the team's kind: ``sdr``, ``ae``, ``cs``),
    ``requisition_at``, ``hired_at``, ``left_at`` (NaT if still there),
    ``origin`` (``initial``, ``plan`` or ``backfill``), ``ramp_months``,
    ``skill`` and ``segment`` (AEs dedicated to a segment; empty otherwise).
``activities``
    Per rep per day with any activity: ``attempts`` (calls made), ``contacts``
    (people reached), ``meetings_held`` and ``busy_hours`` (time spent).
``accounts``
    One row per company in the account universe (empty without one): ``segment``,
    ``industry``, ``region``, ``employees``, ``revenue``, ``potential`` (ARR a
    planner thinks the account could bring), the ``team`` and ``territory_id``
    covering it at the start (empty and -1 when no team covers it) and
    ``customer_since`` (its first won deal).
``territories``
    One row per period a territory was held: ``territory_id``, its ``team``, the
    ``rep_id`` holding it (-1 while nobody does), ``from_at`` and ``to_at`` (NaT
    while still held at the horizon), the ``accounts`` and ``potential`` it held and
    ``status``: ``assigned`` (a rep works it), ``held`` (vacant, kept for the
    backfill), ``house`` (vacant, worked as house accounts) or ``split`` (divided
    among the team when its rep left).
``payouts``
    One row per rep per pay period of their team's compensation plan (empty without
    plans; see :mod:`salesim.metrics.compensation`): the period (``period_start``,
    ``period_end`` exclusive, within the horizon), the share of it the rep was
    employed, the on-target variable pay for that share, and what was paid: ``base``,
    ``variable`` (from the measures' payout curves), ``spif``, ``clawback`` (taken
    back), ``draw`` (paid up to the draw) and ``draw_recovered`` (taken back from
    pay); ``total = base + variable + spif - clawback + draw - draw_recovered``.
    ``attainment`` is the weighted attainment of the measures; ``under_threshold``
    when it is below the weighted thresholds, ``at_cap`` when every capped measure
    reached its cap.
``payout_measures``
    Per rep, pay period and measure: ``actual``, ``target`` (ramped for new hires),
    ``attainment`` and the ``payout`` it earned.
``selling_time``
    Per AE of a team with the time model (``ae.time``), per calendar day employed:
    ``available_hours`` (selling hours, ramp-scaled; a week's selling hours spread
    over its seven days), ``deal_hours`` (committed to the AE's open deals),
    ``prospecting_hours`` (the prospecting share of the hours left over) and
    ``meeting_hours`` (holding meetings that proved invalid: ``first_meeting`` hours
    each, spread over the week after the meeting; a valid meeting's are in its deal's
    hours; 0 when the column is missing). Empty without the time model; AE utilisation
    in hours is read from it (deal + prospecting + meeting hours over available).

Opportunities without a lead have ``lead_id`` -1: those open on the first day
(``start_state``, empty ``channel``) and those an AE sourced by prospecting
(``channel`` ``self_sourced``, owned by the AE who sourced them from creation).

Every work table names the team that worked the row (``team``: the SDR team of a
lead, the AE team of an opportunity, the CS team of a subscription; reps carry
their ``team`` and ``territory_id``) and the account it belongs to (``account_id``,
-1 without an account universe). An opportunity's ``type`` is ``new`` (the account's
first deal) or ``expansion`` (an account already a customer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import pandas_dtype

COLUMNS: dict[str, dict[str, str]] = {
    "leads": {
        "lead_id": "int64", "cycle": "int64", "channel": "category", "segment": "category",
        "score": "float64", "attribute_score": "float64", "behaviour_score": "float64",
        "cost": "float64", "created_at": "datetime64[ns]",
        "sdr_id": "int64", "first_attempt_at": "datetime64[ns]", "attempts": "int64",
        "contacted_at": "datetime64[ns]", "meeting_set_at": "datetime64[ns]",
        "meeting_scheduled_for": "datetime64[ns]", "reschedules": "int64",
        "meeting_held_at": "datetime64[ns]", "valid": "boolean",
        "status": "category", "reason": "category", "ended_at": "datetime64[ns]",
        "team": "category", "account_id": "int64",
    },
    "opportunities": {
        "opportunity_id": "int64", "lead_id": "int64", "channel": "category",
        "segment": "category", "ae_id": "int64", "created_at": "datetime64[ns]",
        "assigned_at": "datetime64[ns]", "stage": "category", "status": "category",
        "closed_at": "datetime64[ns]", "amount": "float64", "team": "category",
        "account_id": "int64", "type": "category", "discount": "float64",
    },
    "opportunity_stages": {
        "opportunity_id": "int64", "stage": "category", "stage_index": "int64",
        "entered_at": "datetime64[ns]", "exited_at": "datetime64[ns]", "outcome": "category",
    },
    "subscriptions": {
        "subscription_id": "int64", "opportunity_id": "int64", "segment": "category",
        "channel": "category", "ae_id": "int64", "csm_id": "int64",
        "start_at": "datetime64[ns]", "initial_arr": "float64",
        "onboarded_at": "datetime64[ns]", "onboarded": "boolean", "renewals": "int64",
        "churned_at": "datetime64[ns]", "status": "category", "arr": "float64",
        "team": "category", "account_id": "int64",
    },
    "subscription_events": {
        "subscription_id": "int64", "at": "datetime64[ns]", "kind": "category",
        "arr_change": "float64",
    },
    "reps": {
        "rep_id": "int64", "role": "category", "origin": "category",
        "requisition_at": "datetime64[ns]", "hired_at": "datetime64[ns]",
        "left_at": "datetime64[ns]", "ramp_months": "int64", "skill": "float64",
        "segment": "category", "annual_cost": "float64", "team": "category",
        "territory_id": "int64",
    },
    "activities": {
        "rep_id": "int64", "date": "datetime64[ns]", "attempts": "int64", "contacts": "int64",
        "meetings_held": "int64", "busy_hours": "float64",
    },
    "accounts": {
        "account_id": "int64", "name": "string", "segment": "category", "industry": "category",
        "region": "category", "employees": "float64", "revenue": "float64",
        "potential": "float64", "team": "category", "territory_id": "int64",
        "customer_since": "datetime64[ns]",
    },
    "territories": {
        "territory_id": "int64", "team": "category", "rep_id": "int64",
        "from_at": "datetime64[ns]", "to_at": "datetime64[ns]", "accounts": "int64",
        "potential": "float64", "status": "category",
    },
    "payouts": {
        "rep_id": "int64", "team": "category", "role": "category",
        "period_start": "datetime64[ns]", "period_end": "datetime64[ns]",
        "employed_share": "float64", "target_variable": "float64", "base": "float64",
        "variable": "float64", "spif": "float64", "clawback": "float64", "draw": "float64",
        "draw_recovered": "float64", "total": "float64", "attainment": "float64",
        "under_threshold": "boolean", "at_cap": "boolean",
    },
    "payout_measures": {
        "rep_id": "int64", "team": "category", "period_start": "datetime64[ns]",
        "measure": "category", "actual": "float64", "target": "float64",
        "attainment": "float64", "payout": "float64",
    },
    "selling_time": {
        "rep_id": "int64", "date": "datetime64[ns]", "available_hours": "float64",
        "deal_hours": "float64", "prospecting_hours": "float64", "meeting_hours": "float64",
    },
}

OPTIONAL_COLUMNS: dict[str, dict[str, str | int | float | None]] = {
    "leads": {"team": "sdr", "account_id": -1},
    "opportunities": {"team": "ae", "account_id": -1, "type": "new", "discount": 0.0},
    "subscriptions": {"team": "cs", "account_id": -1},
    "reps": {"team": None, "territory_id": -1},
    "selling_time": {"meeting_hours": 0.0},
}
"""Columns a table may lack (a CRM export from before teams and accounts existed), with
the value they take: the team named after the kind (one team of each kind), no
account, no territory, no discount, no AE time on invalid meetings; a rep's team
defaults to their role."""

OPTIONAL_TABLES = ("accounts", "territories", "payouts", "payout_measures", "selling_time")
"""Tables a set of records may lack: a scenario without an account universe has no
accounts or territories, one without compensation plans no payouts, one without the
AE time model no selling time."""

LEAD_STATUSES = ("open", "converted", "nurture", "closed")
LEAD_REASONS = ("", "not_ready", "unreached", "declined", "no_show", "invalid", "stale")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
SUBSCRIPTION_EVENT_KINDS = ("new", "expansion", "contraction", "churn", "renewal")
ROLES = ("sdr", "ae", "cs")


@dataclass(frozen=True)
class Records:
    """The tables of one replication plus what it was run with."""

    leads: pd.DataFrame
    opportunities: pd.DataFrame
    opportunity_stages: pd.DataFrame
    subscriptions: pd.DataFrame
    subscription_events: pd.DataFrame
    reps: pd.DataFrame
    activities: pd.DataFrame
    accounts: pd.DataFrame = field(default_factory=lambda: empty_table("accounts"))
    territories: pd.DataFrame = field(default_factory=lambda: empty_table("territories"))
    payouts: pd.DataFrame = field(default_factory=lambda: empty_table("payouts"))
    payout_measures: pd.DataFrame = field(default_factory=lambda: empty_table("payout_measures"))
    selling_time: pd.DataFrame = field(default_factory=lambda: empty_table("selling_time"))
    start: dt.date = dt.date(2000, 1, 1)
    end: dt.date = dt.date(2000, 1, 1)
    seed: int = 0
    scenario_name: str = ""
    info: dict[str, float] = field(default_factory=dict)

    @classmethod
    def table_names(cls) -> tuple[str, ...]:
        return tuple(COLUMNS)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: getattr(self, name) for name in COLUMNS}

    def write_parquet(self, folder: str | Path) -> None:
        """Write each table as ``<name>.parquet`` in ``folder`` (created if needed),
        compactly and losslessly (see :mod:`salesim.record_files`)."""
        from salesim.record_files import write_records

        write_records(self, folder)

    @classmethod
    def read_parquet(cls, folder: str | Path) -> Records:
        """The records :meth:`write_parquet` wrote into ``folder``, equal to those written."""
        from salesim.record_files import read_records

        return read_records(folder)



def empty_table(name: str) -> pd.DataFrame:
    """A table with the right columns and dtypes and no rows."""
    return pd.DataFrame({col: pd.Series(dtype=dtype) for col, dtype in COLUMNS[name].items()})


def _is_of(dtype: Any, name: str) -> bool:
    """Whether a column of ``dtype`` is already of the record type called ``name`` (any
    categories are a ``category``; ``str`` is not ``string``, whose missing value is NA)."""
    if name == "category":
        return isinstance(dtype, pd.CategoricalDtype)
    return bool(dtype == _DTYPES[name])


_DTYPES = {name: pandas_dtype(name) for table in COLUMNS.values() for name in table.values()
           if name != "category"}


def conform(name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Order and type a table's columns as :data:`COLUMNS` says.

    A column of :data:`OPTIONAL_COLUMNS` that is missing, or its missing values, take
    its default; any other missing column is an error.
    """
    optional = OPTIONAL_COLUMNS.get(name, {})
    gaps = [col for col in optional if col not in table.columns or table[col].isna().any()]
    if gaps:
        table = table.copy()
        for col in gaps:
            default = table["role"] if optional[col] is None else optional[col]
            table[col] = (table[col].astype(object).fillna(default) if col in table.columns
                          else default)
    columns = COLUMNS[name]
    missing = [col for col in columns if col not in table.columns]
    if missing:
        raise ValueError(f"table {name} lacks columns {missing}")
    # only the columns not yet of their type are converted (a table built in its
    # record types passes through untouched, as a new frame sharing its columns)
    retype = {col: dtype for col, dtype in columns.items() if not _is_of(table[col].dtype, dtype)}
    ordered = table[list(columns)] if list(table.columns) != list(columns) else table.copy(
        deep=False)
    return ordered.astype(retype) if retype else ordered
