"""Build small ``Records`` by hand: give only the columns a test cares about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from salesim.metrics import Plan, TeamPlan
from salesim.records import COLUMNS, Records, conform, empty_table

# Sensible values for columns a test leaves out; timestamps default to NaT and an
# id column left out is numbered 1, 2, 3...
DEFAULTS: dict[str, dict[str, Any]] = {
    "leads": {"cycle": 0, "channel": "web", "segment": "smb", "score": 50.0, "cost": 0.0,
              "sdr_id": -1, "attempts": 0, "reschedules": 0, "valid": pd.NA,
              "status": "open", "reason": ""},
    "opportunities": {"lead_id": -1, "channel": "web", "segment": "smb", "ae_id": -1,
                      "stage": "discovery", "status": "open", "amount": 0.0},
    "opportunity_stages": {"stage": "discovery", "stage_index": 0, "outcome": "open"},
    "subscriptions": {"opportunity_id": -1, "segment": "smb", "channel": "web", "ae_id": -1,
                      "csm_id": -1, "initial_arr": 0.0, "onboarded": False, "renewals": 0,
                      "status": "active", "arr": 0.0},
    "subscription_events": {"arr_change": 0.0, "kind": "new"},
    "reps": {"origin": "initial", "ramp_months": 0, "skill": 1.0, "segment": "",
             "annual_cost": np.nan},
    "activities": {"attempts": 0, "contacts": 0, "meetings_held": 0, "busy_hours": 0.0},
    "selling_time": {"available_hours": 0.0, "deal_hours": 0.0, "prospecting_hours": 0.0},
}
ID_COLUMNS = {"leads": "lead_id", "opportunities": "opportunity_id",
              "opportunity_stages": "opportunity_id", "subscriptions": "subscription_id",
              "subscription_events": "subscription_id", "reps": "rep_id",
              "activities": "rep_id", "selling_time": "rep_id"}


def table(name: str, rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A conformed table from a few rows of the columns that matter."""
    if not rows:
        return empty_table(name)
    frame = pd.DataFrame([dict(row) for row in rows])
    for column, dtype in COLUMNS[name].items():
        if column not in frame.columns:
            if dtype.startswith("datetime"):
                frame[column] = pd.NaT
            elif column == ID_COLUMNS[name]:
                frame[column] = np.arange(1, len(frame) + 1)
            else:
                frame[column] = DEFAULTS[name].get(column, -1 if dtype == "int64" else np.nan)
        elif column in DEFAULTS[name] and DEFAULTS[name][column] is not pd.NA:
            frame[column] = frame[column].fillna(DEFAULTS[name][column])
        if dtype.startswith("datetime"):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return conform(name, frame)


def records(start: str = "2027-01-01", end: str = "2028-01-01",
            **tables: Sequence[Mapping[str, Any]]) -> Records:
    """``Records`` over ``[start, end)`` with the given rows per table (others empty)."""
    unknown = set(tables) - set(COLUMNS)
    if unknown:
        raise ValueError(f"unknown tables {unknown}")
    built = {name: table(name, tables.get(name, ())) for name in COLUMNS}
    return Records(**built, start=dt.date.fromisoformat(start),
                   end=dt.date.fromisoformat(end))


def rows(frame: pd.DataFrame, **where: Any) -> pd.DataFrame:
    """The rows of ``frame`` matching every ``column=value`` given."""
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    return frame.loc[mask]


def one(frame: pd.DataFrame, column: str = "value", **where: Any) -> Any:
    """The single value of ``column`` in the one row matching ``where``."""
    found = rows(frame, **where)
    assert len(found) == 1, f"expected one row for {where}, found {len(found)}"
    return found[column].iloc[0]


def kpi(table_: pd.DataFrame, metric: str, period: str, *, channel: str = "",
        segment: str = "", role: str = "", team: str | None = None,
        rep_id: int = -1) -> float:
    """One value of a KPI table (dimensions default to 'not split'; a per-rep row
    carries the rep's team, which need not be given)."""
    where: dict[str, Any] = {"team": team if team is not None else ""} if (
        team is not None or rep_id < 0) else {}
    return float(one(table_, metric=metric, period=period, channel=channel, segment=segment,
                     role=role, rep_id=rep_id, **where))


# A book with named teams: a Japanese-named SDR team, two AE teams with different
# quotas and capacities, and a CS team with a retained-ARR quota.
INSIDE_SALES = "インサイドセールス"
CUSTOMER_SUCCESS = "カスタマーサクセス"
TEAM_PLAN = {
    INSIDE_SALES: {"kind": "sdr", "quota_per_month": 2, "annual_cost": 60_000},
    "enterprise": {"kind": "ae", "quota_per_month": 20_000, "annual_cost": 180_000,
                   "capacity": 2},
    "commercial": {"kind": "ae", "quota_per_month": 5_000, "annual_cost": 120_000,
                   "capacity": 4},
    CUSTOMER_SUCCESS: {"kind": "cs", "quota_per_month": 5_000, "annual_cost": 90_000},
}
TEAM_REPS = [
    {"rep_id": 1, "role": "sdr", "team": INSIDE_SALES, "hired_at": "2027-01-01"},
    {"rep_id": 2, "role": "sdr", "team": INSIDE_SALES, "hired_at": "2027-01-01"},
    {"rep_id": 10, "role": "ae", "team": "enterprise", "hired_at": "2027-01-01"},
    {"rep_id": 20, "role": "ae", "team": "commercial", "hired_at": "2027-01-01"},
    {"rep_id": 21, "role": "ae", "team": "commercial", "hired_at": "2027-01-01"},
    {"rep_id": 30, "role": "cs", "team": CUSTOMER_SUCCESS, "hired_at": "2027-01-01"},
]
# January: SDR 1 holds three meetings, SDR 2 one
TEAM_LEADS = [
    {"lead_id": i, "sdr_id": sdr, "team": INSIDE_SALES, "created_at": "2027-01-04 09:00",
     "meeting_held_at": f"2027-01-{10 + i:02d} 10:00"}
    for i, sdr in ((1, 1), (2, 1), (3, 1), (4, 2))
]
# January: enterprise wins 30,000 (open 19 days); commercial wins 6,000 (open 10
# days) and loses one (open 20 days)
TEAM_OPPORTUNITIES = [
    {"opportunity_id": 1, "ae_id": 10, "team": "enterprise", "status": "won",
     "created_at": "2027-01-01", "assigned_at": "2027-01-01", "closed_at": "2027-01-20",
     "amount": 30_000.0},
    {"opportunity_id": 2, "ae_id": 20, "team": "commercial", "status": "won",
     "created_at": "2027-01-01", "assigned_at": "2027-01-01", "closed_at": "2027-01-11",
     "amount": 6_000.0},
    {"opportunity_id": 3, "ae_id": 21, "team": "commercial", "status": "lost",
     "created_at": "2027-01-01", "assigned_at": "2027-01-01", "closed_at": "2027-01-21",
     "amount": 9_000.0},
]
# Customers of CSM 30 renewing in 2027: see test_attainment's retained ARR test
TEAM_SUBSCRIPTIONS = [
    {"subscription_id": s, "csm_id": 30, "team": CUSTOMER_SUCCESS, "start_at": start,
     "initial_arr": arr, "arr": arr}
    for s, start, arr in ((1, "2026-03-01", 12_000.0), (2, "2026-06-01", 6_000.0),
                          (3, "2026-09-01", 4_000.0), (4, "2026-01-15", 8_000.0))
]
TEAM_EVENTS = [
    {"subscription_id": 1, "at": "2026-03-01", "kind": "new", "arr_change": 12_000.0},
    {"subscription_id": 1, "at": "2027-03-01", "kind": "renewal", "arr_change": 0.0},
    {"subscription_id": 1, "at": "2027-03-01", "kind": "contraction", "arr_change": -2_000.0},
    {"subscription_id": 2, "at": "2026-06-01", "kind": "new", "arr_change": 6_000.0},
    {"subscription_id": 2, "at": "2027-06-01", "kind": "renewal", "arr_change": 0.0},
    {"subscription_id": 2, "at": "2027-06-01", "kind": "expansion", "arr_change": 3_000.0},
    {"subscription_id": 3, "at": "2026-09-01", "kind": "new", "arr_change": 4_000.0},
    {"subscription_id": 3, "at": "2027-09-01", "kind": "churn", "arr_change": -4_000.0},
    {"subscription_id": 4, "at": "2026-01-15", "kind": "new", "arr_change": 8_000.0},
    {"subscription_id": 4, "at": "2026-07-01", "kind": "expansion", "arr_change": 1_000.0},
    {"subscription_id": 4, "at": "2027-01-15", "kind": "renewal", "arr_change": 0.0},
]


def team_book() -> Records:
    """The records of the book with named teams (2027)."""
    return records(reps=TEAM_REPS, leads=TEAM_LEADS, opportunities=TEAM_OPPORTUNITIES,
                   subscriptions=TEAM_SUBSCRIPTIONS, subscription_events=TEAM_EVENTS)


def team_plan() -> Plan:
    """The plan of :func:`team_book`: one entry per team, keyed by its name."""
    return Plan(teams={name: TeamPlan(**settings) for name, settings in TEAM_PLAN.items()},
                hours_per_month=160)
