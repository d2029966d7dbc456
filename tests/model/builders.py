"""Small scenarios for the model tests: a quiet base plus the settings a test is about."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import yaml

from salesim.scenario import Scenario, loads_scenario
from salesim.scenario.loader import deep_merge

BASE: dict[str, Any] = {
    "meta": {"name": "model test", "start": "2027-01-01", "horizon": "12 months"},
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

# an SDR desk that turns every lead into a valid held meeting within a day
EVERY_LEAD_AN_OPPORTUNITY: dict[str, Any] = {
    "sdr": {"headcount": 5, "handle_time": "1 min", "attempts": {"max": 1},
            "contact_rate": 1.0, "meeting_rate": 1.0, "no_show_rate": 0.0,
            "reschedule_rate": 0.0, "meeting_lead_time": "1 h",
            "speed_to_lead": [{"within": "5 min", "multiplier": 1.0}],
            "valid_rate": {"at_score_0": 1.0, "at_score_100": 1.0}},
}


def build(*overlays: dict[str, Any]) -> Scenario:
    """``BASE`` with ``overlays`` merged in order; ``segments``, ``channels`` and
    ``ae.stages`` given by an overlay replace the base ones whole."""
    data: Any = copy.deepcopy(BASE)
    for overlay in overlays:
        if "segments" in overlay:
            data.pop("segments")
        if "channels" in overlay:
            data.pop("channels")
        if "stages" in overlay.get("ae", {}):
            data["ae"].pop("stages")
        data = deep_merge(data, overlay)
    for channel in data["channels"].values():
        if isinstance(channel, dict):
            channel.setdefault("arrivals", "flat")  # round the clock unless a test says
    return loads_scenario(yaml.safe_dump(data, sort_keys=False))


def days(values: pd.Series | np.ndarray, start: str = "2027-01-01") -> np.ndarray:
    """Timestamps as float days from ``start`` (NaT becomes NaN)."""
    stamps = pd.to_datetime(pd.Series(np.asarray(values)))
    delta = (stamps - pd.Timestamp(start)).dt.total_seconds() / 86_400
    return delta.to_numpy(dtype=float, na_value=np.nan)
