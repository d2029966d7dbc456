"""Scenarios for the validation tests: one mechanism switched on, everything else neutral.

:data:`NEUTRAL` is a whole scenario in which nothing is lost or delayed by accident:
24x7 calendar, leads arriving evenly round the clock, no recycling, no attrition, no
ramp, skill 1. Each test overlays the few settings it studies with :func:`build`.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import yaml

from salesim.scenario import Scenario, loads_scenario
from salesim.scenario.loader import deep_merge

NEUTRAL: dict[str, Any] = {
    "meta": {"name": "validation", "start": "2027-01-01", "horizon": "12 months"},
    "calendar": {"always_open": True},
    "segments": {"all": {"share": 1.0, "deal_size": 10_000}},
    "channels": {"web": {"leads_per_month": 100}},
    "recycle": {"not_ready_share": 0.0, "unreached_to_nurture": 0.0,
                "disqualified_to_nurture": 0.0, "reengage_rate": 0.0},
    "sdr": {"headcount": 1},
    "ae": {"headcount": 1, "stages": {"deal": {"conversion": 0.5, "duration": "1 day"}}},
    "cs": {"headcount": 1},
    "customers": {"health_noise": 0.0},
}

# A monthly lead volume is a constant rate per day (volume x 12 / 365.25): each month
# of 2027 expects the volume times its length over the average month.
DAYS_PER_MONTH = 365.25 / 12
MONTH_LENGTH_2027 = [
    ((dt.date(2027 + m // 12, m % 12 + 1, 1) + dt.timedelta(days=32)).replace(day=1)
     - dt.date(2027 + m // 12, m % 12 + 1, 1)).days / DAYS_PER_MONTH
    for m in range(12)
]


# Collections of named items that an overlay replaces whole instead of merging into:
# a test that lists its segments, channels or stages means exactly those.
EVERY_LEAD_A_VALID_MEETING: dict[str, Any] = {
    "headcount": 10, "handle_time": "1 min", "attempts": {"max": 1}, "contact_rate": 1.0,
    "meeting_rate": 1.0, "no_show_rate": 0.0, "reschedule_rate": 0.0,
    "meeting_lead_time": "30 min", "speed_to_lead": [{"within": "5 min", "multiplier": 1.0}],
    "valid_rate": {"at_score_0": 1.0, "at_score_100": 1.0}}
"""SDR settings under which every lead becomes a valid meeting half an hour after it
arrives (the AE side is then the only source of chance)."""

REPLACED = (("segments",), ("channels",), ("ae", "stages"))


def build(*overlays: dict[str, Any]) -> Scenario:
    """The neutral scenario with ``overlays`` merged on top, in order, loaded from YAML.

    ``segments``, ``channels`` and ``ae.stages`` given in an overlay replace the
    neutral ones; every other section merges key by key.
    """
    data: Any = copy.deepcopy(NEUTRAL)
    for overlay in overlays:
        for path in REPLACED:
            base, given = data, overlay
            for key in path[:-1]:
                base, given = base.get(key, {}), given.get(key, {})
            if path[-1] in given:
                base.pop(path[-1], None)
        data = deep_merge(data, overlay)
    for channel in data["channels"].values():
        if isinstance(channel, dict):
            channel.setdefault("arrivals", "flat")  # round the clock unless a test says
    return loads_scenario(yaml.safe_dump(data, sort_keys=False))


def days(values: pd.Series | np.ndarray, start: dt.date | str = "2027-01-01") -> np.ndarray:
    """Timestamps as float calendar days from ``start`` (NaT becomes NaN)."""
    stamps = pd.to_datetime(pd.Series(np.asarray(values)))
    delta = (stamps - pd.Timestamp(start)).dt.total_seconds() / 86_400
    return delta.to_numpy(dtype=float, na_value=np.nan)
