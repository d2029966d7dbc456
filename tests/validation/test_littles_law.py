"""Little's law for open opportunities: L = lambda W over a steady-state window.

Leads arrive at a constant daily rate, every lead becomes a held meeting two days
later (ample SDR capacity, everyone reached and booked, nobody a no-show) and half
the held meetings are valid. Opportunities therefore arrive as a Poisson process at
``lambda = leads per day / 2`` and, with AEs to spare, are worked at once; each stays
open for the stage durations it goes through: ``W = E[d1] + p1 E[d2]``.

Over the window (day 120 to 300 of the year, after the pipeline has filled and
early enough that every opportunity created in it has closed before the horizon):

* L, the time-average number of opportunities open (``created_at`` to ``closed_at``),
  equals the arrival rate times the mean time open measured on the same records
  (the sample-path form of Little's law; their difference has mean zero);
* L equals the configured ``lambda W``.

Checked over independent replications with Student-t intervals at 99% confidence,
Bonferroni-split over the comparisons.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import salesim

from .builders import DAYS_PER_MONTH, build, days
from .theory import bonferroni, t_interval

LEADS_PER_MONTH = 600
VALID = 0.5
STAGE_1 = (5.0, 25.0, 0.6)  # uniform duration low, high (days), conversion
STAGE_2 = (10.0, 40.0, 0.5)
WINDOW = (120.0, 300.0)
REPLICATIONS = 20
CONFIDENCE = 0.99
COMPARISONS = 4  # L - lambda W, L, W, lambda


def pipeline_scenario() -> salesim.Scenario:
    return build({
        "channels": {"web": {"leads_per_month": LEADS_PER_MONTH}},
        "sdr": {
            "headcount": 4, "handle_time": "1 min", "attempts": {"max": 1},
            "contact_rate": 1.0, "meeting_rate": 1.0,
            "speed_to_lead": [{"within": "5 min", "multiplier": 1.0}],
            "meeting_lead_time": "2 days", "reschedule_rate": 0.0, "no_show_rate": 0.0,
            "valid_rate": {"at_score_0": VALID, "at_score_100": VALID},
        },
        "ae": {
            "headcount": 60,
            "stages": {
                "discovery": {"conversion": STAGE_1[2],
                              "duration": {"uniform": {"low": STAGE_1[0], "high": STAGE_1[1]}}},
                "proposal": {"conversion": STAGE_2[2],
                             "duration": {"uniform": {"low": STAGE_2[0], "high": STAGE_2[1]}}},
            },
        },
    })


def expected_rate() -> float:
    return LEADS_PER_MONTH / DAYS_PER_MONTH * VALID


def expected_time_open() -> float:
    first = (STAGE_1[0] + STAGE_1[1]) / 2
    second = (STAGE_2[0] + STAGE_2[1]) / 2
    return first + STAGE_1[2] * second


def time_average_open(created: np.ndarray, closed: np.ndarray, begin: float, end: float
                      ) -> float:
    """Exact time-average of the number of intervals [created, closed) open in [begin, end)."""
    overlap = np.clip(np.minimum(closed, end) - np.maximum(created, begin), 0.0, None)
    return float(overlap.sum() / (end - begin))


@functools.cache
def replications() -> dict[str, np.ndarray]:
    scenario = pipeline_scenario()
    begin, end = WINDOW
    out: dict[str, list[float]] = {"L": [], "rate": [], "W": [], "unclosed": [], "waited": []}
    for seed in range(REPLICATIONS):
        opportunities = salesim.simulate(scenario, seed=seed).opportunities
        created = days(opportunities["created_at"])
        closed = days(opportunities["closed_at"])
        assigned = days(opportunities["assigned_at"])
        arriving = (created >= begin) & (created < end)
        still_open = np.where(np.isnan(closed), np.inf, closed)
        out["unclosed"].append(float(np.isnan(closed[arriving]).sum()))
        out["waited"].append(float((assigned[arriving] > created[arriving]).sum()))
        out["L"].append(time_average_open(created, still_open, begin, end))
        out["rate"].append(float(arriving.sum()) / (end - begin))
        out["W"].append(float((closed - created)[arriving].mean()))
    return {k: np.asarray(v) for k, v in out.items()}


def test_window_is_steady_and_uncensored() -> None:
    runs = replications()
    assert runs["unclosed"].sum() == 0  # every opportunity created in the window closed
    assert runs["waited"].sum() == 0  # ample capacity: worked on arrival


def test_time_average_equals_rate_times_time_open() -> None:
    runs = replications()
    gap = runs["L"] - runs["rate"] * runs["W"]
    mean, low, high = t_interval(gap, bonferroni(CONFIDENCE, COMPARISONS))
    print(f"L - lambda W: {mean:.3f} [{low:.3f}, {high:.3f}] (L about {runs['L'].mean():.1f})")
    assert low <= 0 <= high
    assert abs(mean) <= 0.01 * runs["L"].mean()


def test_time_average_matches_configured_rate_and_durations() -> None:
    runs = replications()
    expected = expected_rate() * expected_time_open()
    mean, low, high = t_interval(runs["L"], bonferroni(CONFIDENCE, COMPARISONS))
    print(f"L: {mean:.2f} [{low:.2f}, {high:.2f}], configured lambda W = {expected:.2f}")
    assert low <= expected <= high
    assert mean == pytest.approx(expected, rel=0.03)


def test_rate_and_time_open_match_configured_numbers() -> None:
    runs = replications()
    for name, expected in (("W", expected_time_open()), ("rate", expected_rate())):
        mean, low, high = t_interval(runs[name], bonferroni(CONFIDENCE, COMPARISONS))
        print(f"{name}: {mean:.3f} [{low:.3f}, {high:.3f}], configured {expected:.3f}")
        assert low <= expected <= high
        assert mean == pytest.approx(expected, rel=0.03)
