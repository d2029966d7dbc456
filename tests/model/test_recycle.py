"""The nurture pool: who is nurtured, what share comes back, when, and how cycles count.

Shares are checked with exact binomial tests at 99.9% (Bonferroni-split when a test
makes several comparisons).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

import salesim

from .builders import build, days

ALPHA = 0.001


def run(*overlays: dict[str, Any], seed: int = 1) -> salesim.Records:
    return salesim.simulate(build(*overlays), seed=seed)


def assert_share(successes: int, trials: int, share: float, comparisons: int = 1) -> None:
    assert trials >= 300
    assert stats.binomtest(successes, trials, share).pvalue > ALPHA / comparisons, \
        (successes, trials, share)


def pairs(leads: pd.DataFrame, cycle: int) -> pd.DataFrame:
    """Rows of ``cycle`` joined to the same lead's previous cycle."""
    later = leads[leads["cycle"] == cycle]
    earlier = leads[leads["cycle"] == cycle - 1]
    return later.merge(earlier, on="lead_id", suffixes=("", "_before"))


def test_not_ready_leads_come_back_at_the_reengage_rate_after_the_delay() -> None:
    records = run({
        "channels": {"web": {"leads_per_month": 2000}},
        "recycle": {"not_ready_share": 1.0, "reengage_rate": 0.3,
                    "reengage_after": "10 days", "max_cycles": 1},
    })
    leads = records.leads
    new = leads[leads["cycle"] == 0]
    assert (new["reason"] == "not_ready").all()
    assert (new["status"] == "nurture").all()
    assert (new["ended_at"] == new["created_at"]).all()
    back = pairs(leads, 1)
    # only leads whose return falls inside the horizon can be seen coming back
    horizon = float((records.end - records.start).days)
    eligible = new[days(new["created_at"]) + 10 < horizon]
    assert_share(len(back), len(eligible), 0.3)
    delay = days(back["created_at"]) - days(back["created_at_before"])
    np.testing.assert_allclose(delay, 10.0, atol=1e-6)
    # the same lead again: channel, segment, score; no new acquisition cost
    for column in ("channel", "segment", "score"):
        assert (back[column] == back[f"{column}_before"]).all(), column
    assert (back["cost"] == 0).all()
    assert records.info["reengaged"] == (leads["cycle"] > 0).sum()


def test_cycles_count_up_to_max_cycles() -> None:
    """Never reached, always nurtured, always back: exactly cycles 0, 1, 2."""
    records = run({
        "channels": {"web": {"leads_per_month": 200}},
        "sdr": {"headcount": 3, "handle_time": "1 min", "attempts": {"max": 1},
                "contact_rate": 0.0},
        "recycle": {"not_ready_share": 0.0, "unreached_to_nurture": 1.0,
                    "reengage_rate": 1.0, "reengage_after": "5 days", "max_cycles": 2},
    })
    leads = records.leads
    assert leads["cycle"].max() == 2
    horizon = float((records.end - records.start).days)
    early = leads.loc[(leads["cycle"] == 0) & (days(leads["created_at"]) < horizon - 30),
                      "lead_id"]
    cycles = leads[leads["lead_id"].isin(early)].groupby("lead_id")["cycle"].apply(sorted)
    assert (cycles.apply(lambda c: c == [0, 1, 2])).all()
    last = leads[leads["cycle"] == 2]
    assert (last["status"].isin(["nurture", "open"])).all()  # nurtured, not back again
    settled = leads[(leads["cycle"] < 2) & (leads["status"] != "open")]
    assert (settled["status"] == "nurture").all()
    assert (settled["reason"] == "unreached").all()


def test_max_cycles_zero_never_recycles() -> None:
    records = run({
        "channels": {"web": {"leads_per_month": 300}},
        "recycle": {"not_ready_share": 0.5, "unreached_to_nurture": 1.0,
                    "reengage_rate": 1.0, "reengage_after": "1 day", "max_cycles": 0},
        "sdr": {"contact_rate": 0.0, "attempts": {"max": 1}, "handle_time": "1 min"},
    })
    assert (records.leads["cycle"] == 0).all()
    assert records.info["reengaged"] == 0


def test_unreached_and_disqualified_nurture_shares() -> None:
    """Unreached leads are nurtured with unreached_to_nurture, declined ones with
    disqualified_to_nurture; the rest are closed for good."""
    records = run({
        "channels": {"web": {"leads_per_month": 2000}},
        "sdr": {"headcount": 5, "handle_time": "1 min", "attempts": {"max": 1},
                "contact_rate": 0.5, "meeting_rate": 0.0},
        "recycle": {"not_ready_share": 0.0, "unreached_to_nurture": 0.7,
                    "disqualified_to_nurture": 0.2, "reengage_rate": 0.0},
    })
    leads = records.leads
    for reason, share in (("unreached", 0.7), ("declined", 0.2)):
        mine = leads[leads["reason"] == reason]
        assert set(mine["status"]) <= {"nurture", "closed"}
        assert_share(int((mine["status"] == "nurture").sum()), len(mine), share, 2)


def test_recycled_share_through_the_desk() -> None:
    """A row nurtured by the desk returns with reengage_rate: cycle-1 rows over the
    cycle-0 rows nurtured early enough to return inside the horizon."""
    records = run({
        "channels": {"web": {"leads_per_month": 1500}},
        "sdr": {"headcount": 5, "handle_time": "1 min", "attempts": {"max": 1},
                "contact_rate": 0.0},
        "recycle": {"not_ready_share": 0.0, "unreached_to_nurture": 1.0,
                    "reengage_rate": 0.4, "reengage_after": "7 days", "max_cycles": 3},
    })
    leads = records.leads
    horizon = float((records.end - records.start).days)
    for cycle in (0, 1):
        nurtured = leads[(leads["cycle"] == cycle) & (leads["status"] == "nurture")
                         & (days(leads["ended_at"]) + 7 < horizon)]
        back = leads[(leads["cycle"] == cycle + 1) & leads["lead_id"].isin(nurtured["lead_id"])]
        assert_share(len(back), len(nurtured), 0.4, 2)
