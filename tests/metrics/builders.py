"""Build small ``Records`` by hand: give only the columns a test cares about."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

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
}
ID_COLUMNS = {"leads": "lead_id", "opportunities": "opportunity_id",
              "opportunity_stages": "opportunity_id", "subscriptions": "subscription_id",
              "subscription_events": "subscription_id", "reps": "rep_id",
              "activities": "rep_id"}


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
