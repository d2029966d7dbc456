"""Erlang C hour by hour: with an arrival profile the SDR desk is an M/M/c queue at
each hour's rate, and more SDRs lower the median speed to lead as Erlang C says.

The desk is made exactly M/M/c within each stretch of constant rate: a 24x7
calendar, Poisson leads, exponential handle times, one attempt per lead, FIFO and
no nurture. The profile is piecewise constant over stretches long enough to reach
steady state, and only leads arriving after a settling time inside a stretch are
compared with Erlang C at that stretch's rate:

* by hour: hours 00-12 bring leads at a low rate, 12-24 at a high one; calls take
  3 minutes on average, so the queue forgets the other band within well under an
  hour (relaxation time 1 / (c mu (1 - sqrt(rho))^2), about 0.6 hours at the
  high band), and leads of hours 04-12 and 16-24 are compared;
* by headcount: weekdays bring a high rate, weekends a low one; leads of Tuesday
  to Friday (a day and more after the weekend, a dozen relaxation times at
  the busiest headcount) are compared at 4, 5 and 6 SDRs.

Replications are independent; each estimate gets a Student-t interval over them,
must contain theory at 95% family-wise confidence (Bonferroni), lie within 5% of it
and be measured to within 5% (95% half-width), as in :mod:`test_erlang_c`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd
import pytest

import salesim

from .builders import build, days
from .theory import bonferroni, erlang_c, mmc_mean_wait, t_interval

SERVICE_RATE = 20.0  # calls per SDR-hour: 3 minutes per call on average
HORIZON_DAYS = 31
TOLERANCE = 0.05
CONFIDENCE = 0.95

# by hour: 5 SDRs, 50 leads an hour from 00 to 12 and 75 from 12 to 24
SERVERS = 5
LOW_RATE, HIGH_RATE = 50.0, 75.0
BANDS = {"low": (4, 12, LOW_RATE), "high": (16, 24, HIGH_RATE)}  # compared hours, rate
HOUR_REPLICATIONS = 30

# by headcount: 68 leads an hour on weekdays, 20 at weekends
WEEKDAY_RATE, WEEKEND_RATE = 68.0, 20.0
HEADCOUNTS = (4, 5, 6)
HEADCOUNT_REPLICATIONS = 40


def desk(servers: int, leads_per_day: float, arrivals: dict[str, object]) -> salesim.Scenario:
    return build({
        "meta": {"horizon": f"{HORIZON_DAYS} days"},
        "channels": {"web": {"leads_per_month": leads_per_day * 365.25 / 12,
                             "not_ready_share": 0.0, "arrivals": arrivals}},
        "sdr": {"headcount": servers,
                "handle_time": {"exponential": {"mean": f"{60 / SERVICE_RATE} min"}},
                "attempts": {"max": 1}, "contact_rate": 0.0, "meeting_rate": 0.0},
    })


def waits(records: salesim.Records) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (calendar days) and waits for the first call (hours) of every lead
    arriving from day 1 to the day before the last, every one of which was called."""
    created = days(records.leads["created_at"])
    wait = (days(records.leads["first_attempt_at"]) - created) * 24
    window = (created >= 1) & (created < HORIZON_DAYS - 1)
    assert not np.isnan(wait[window]).any()
    return created[window], wait[window]


@functools.cache
def by_hour() -> dict[str, dict[str, np.ndarray]]:
    scenario = desk(SERVERS, 12 * (LOW_RATE + HIGH_RATE),
                    {"days": "flat", "hours": [LOW_RATE] * 12 + [HIGH_RATE] * 12})
    out: dict[str, dict[str, list[float]]] = {
        band: {"mean": [], "p0": [], "rate": []} for band in BANDS}
    for seed in range(HOUR_REPLICATIONS):
        created, wait = waits(salesim.simulate(scenario, seed=seed))
        hour = (created % 1) * 24
        for band, (first, last, _) in BANDS.items():
            mine = (hour >= first) & (hour < last)
            out[band]["mean"].append(float(wait[mine].mean()))
            out[band]["p0"].append(float((wait[mine] > 0).mean()))
            out[band]["rate"].append(mine.sum() / ((HORIZON_DAYS - 2) * (last - first)))
    return {band: {k: np.asarray(v) for k, v in values.items()}
            for band, values in out.items()}


def check(samples: np.ndarray, expected: float, comparisons: int, what: str) -> None:
    mean, low, high = t_interval(samples, bonferroni(CONFIDENCE, comparisons))
    _, low95, high95 = t_interval(samples, CONFIDENCE)
    print(f"{what}: simulated {mean:.5f} [{low:.5f}, {high:.5f}], theory {expected:.5f}")
    assert low <= expected <= high, what
    assert abs(mean - expected) <= TOLERANCE * expected, what
    assert (high95 - low95) / 2 <= TOLERANCE * expected, what


@pytest.mark.parametrize("band", list(BANDS))
def test_each_hour_band_arrives_at_its_rate(band: str) -> None:
    _, _, rate = BANDS[band]
    check(by_hour()[band]["rate"], rate, 2, f"{band} band leads an hour")


@pytest.mark.parametrize(("band", "quantity"), [(b, q) for b in BANDS for q in ("mean", "p0")])
def test_speed_to_lead_in_each_hour_band_matches_erlang_c_at_its_rate(band: str,
                                                                      quantity: str) -> None:
    _, _, rate = BANDS[band]
    expected = (mmc_mean_wait(SERVERS, rate, SERVICE_RATE) if quantity == "mean"
                else erlang_c(SERVERS, rate / SERVICE_RATE))
    check(by_hour()[band][quantity], expected, 4, f"{band} band {quantity}")
    # the busy band waits far longer than the quiet one, as Erlang C says
    assert by_hour()["high"]["mean"].mean() > 4 * by_hour()["low"]["mean"].mean()


def mmc_median_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Median wait in FIFO M/M/c: 0 when at most half the arrivals wait, else the t
    with C(c, a) exp(-(c mu - lambda) t) = 1/2."""
    waiting = erlang_c(servers, arrival_rate / service_rate)
    if waiting <= 0.5:
        return 0.0
    return math.log(2 * waiting) / (servers * service_rate - arrival_rate)


@functools.cache
def by_headcount(servers: int) -> dict[str, np.ndarray]:
    per_week = 5 * 24 * WEEKDAY_RATE + 2 * 24 * WEEKEND_RATE
    scenario = desk(servers, per_week / 7,
                    {"days": [WEEKDAY_RATE] * 5 + [WEEKEND_RATE] * 2, "hours": "flat"})
    out: dict[str, list[float]] = {"median": [], "mean": [], "p0": []}
    for seed in range(HEADCOUNT_REPLICATIONS):
        created, wait = waits(salesim.simulate(scenario, seed=seed))
        weekday = pd.DatetimeIndex(pd.Timestamp("2027-01-01")
                                   + pd.to_timedelta(created, unit="D")).day_of_week
        mine = np.asarray((weekday >= 1) & (weekday <= 4))  # Tuesday to Friday
        out["median"].append(float(np.median(wait[mine])))
        out["mean"].append(float(wait[mine].mean()))
        out["p0"].append(float((wait[mine] > 0).mean()))
    return {k: np.asarray(v) for k, v in out.items()}


@pytest.mark.parametrize("servers", HEADCOUNTS)
def test_more_sdrs_lower_the_median_speed_to_lead_as_erlang_c_predicts(servers: int) -> None:
    comparisons = 3 * len(HEADCOUNTS)
    runs = by_headcount(servers)
    check(runs["mean"], mmc_mean_wait(servers, WEEKDAY_RATE, SERVICE_RATE), comparisons,
          f"{servers} SDRs mean wait")
    check(runs["p0"], erlang_c(servers, WEEKDAY_RATE / SERVICE_RATE), comparisons,
          f"{servers} SDRs P(wait)")
    median = mmc_median_wait(servers, WEEKDAY_RATE, SERVICE_RATE)
    if median > 0:
        check(runs["median"], median, comparisons, f"{servers} SDRs median wait")
    else:  # fewer than half wait: the median lead is called on arrival
        assert (runs["median"] == 0).all(), runs["median"]
    if servers > HEADCOUNTS[0]:
        fewer = by_headcount(servers - 1)
        assert runs["median"].mean() <= fewer["median"].mean()
        assert runs["mean"].mean() < fewer["mean"].mean()
