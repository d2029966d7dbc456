"""The SDR desk as an M/M/c queue: speed to lead and utilisation against Erlang C.

With Poisson leads, ``c`` SDRs, exponential handle times, a 24x7 calendar, one
attempt per lead, FIFO and nobody held back in nurture, the desk is exactly an
M/M/c queue, and speed to lead (``first_attempt_at - created_at``) is the
queueing delay W:

* P(W > 0) = C(c, a), the Erlang C probability, a = lambda / mu;
* P(W > t) = C(c, a) exp(-(c mu - lambda) t);
* E[W] = C(c, a) / (c mu - lambda), and E[W | W > 0] = 1 / (c mu - lambda);
* utilisation (busy time / available time) = lambda / (c mu).

Each replication runs January 2027 at a constant hourly rate (a monthly volume is a
rate per day of volume x 12 / 365.25, and the validation scenarios arrive round the
clock); the first day is discarded as warm-up and the last day is
left out so that every lead counted has had its first call. Replications are
independent, so each estimate gets a Student-t interval over replications. Every
quantity must (1) have its theoretical value inside the interval, at 95%
family-wise confidence over the quantities checked (Bonferroni), (2) be within
5% of theory, and (3) be measured precisely enough (95% interval half-width
under 5% of theory) for (2) to mean something.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

import salesim

from .builders import build, days
from .theory import (
    bonferroni,
    erlang_c,
    erlang_c_direct,
    mmc_mean_wait,
    mmc_wait_tail,
    t_interval,
)

SERVERS = 5
SERVICE_RATE = 5.0  # calls per SDR-hour: 12 minutes per call on average
UTILISATION = 0.75
ARRIVAL_RATE = UTILISATION * SERVERS * SERVICE_RATE  # leads per hour
HORIZON_DAYS = 31
WARM_UP_DAYS = 1.0
TAIL_DAYS = 1.0
REPLICATIONS = 60
TOLERANCE = 0.05
CONFIDENCE = 0.95

# quantities: mean wait, P(W>0), P(W>t1), P(W>t2), E[W | W>0], utilisation
QUANTITIES = 6


def desk_scenario(queue: str = "fifo") -> salesim.Scenario:
    return build({
        "meta": {"horizon": f"{HORIZON_DAYS} days"},
        "channels": {"web": {"leads_per_month": ARRIVAL_RATE * 24 * 365.25 / 12,
                             "not_ready_share": 0.0}},
        "sdr": {
            "headcount": SERVERS,
            "queue": queue,
            "handle_time": {"exponential": {"mean": f"{60 / SERVICE_RATE} min"}},
            "attempts": {"max": 1},
            "contact_rate": 0.0,
            "meeting_rate": 0.0,
        },
    })


@functools.cache
def replications(queue: str = "fifo") -> dict[str, np.ndarray]:
    """Per replication: waits (hours) of the leads in the window, and the utilisation."""
    scenario = desk_scenario(queue)
    t1 = math.log(2) / (SERVERS * SERVICE_RATE - ARRIVAL_RATE)
    t2 = math.log(4) / (SERVERS * SERVICE_RATE - ARRIVAL_RATE)
    out: dict[str, list[float]] = {k: [] for k in
                                   ("mean", "p0", "p1", "p2", "conditional", "utilisation",
                                    "counted", "missing", "top", "bottom")}
    for seed in range(REPLICATIONS):
        records = salesim.simulate(scenario, seed=seed)
        leads = records.leads
        created = days(leads["created_at"])
        window = (created >= WARM_UP_DAYS) & (created < HORIZON_DAYS - TAIL_DAYS)
        wait = (days(leads["first_attempt_at"]) - created)[window] * 24
        out["missing"].append(float(np.isnan(wait).sum()))
        out["counted"].append(float(window.sum()))
        out["mean"].append(float(wait.mean()))
        out["p0"].append(float((wait > 0).mean()))
        out["p1"].append(float((wait > t1).mean()))
        out["p2"].append(float((wait > t2).mean()))
        out["conditional"].append(float(wait[wait > 0].mean()))
        score = leads["score"].to_numpy()[window]
        out["top"].append(float(wait[score >= np.quantile(score, 0.75)].mean()))
        out["bottom"].append(float(wait[score < np.quantile(score, 0.25)].mean()))
        activity = records.activities
        day = days(activity["date"])
        inside = (day >= WARM_UP_DAYS) & (day < HORIZON_DAYS - TAIL_DAYS)
        available = SERVERS * 24 * (HORIZON_DAYS - TAIL_DAYS - WARM_UP_DAYS)
        out["utilisation"].append(float(activity["busy_hours"].to_numpy()[inside].sum())
                                  / available)
    return {k: np.asarray(v) for k, v in out.items()}


def theory() -> dict[str, float]:
    load = ARRIVAL_RATE / SERVICE_RATE
    waiting = erlang_c(SERVERS, load)
    t1 = math.log(2) / (SERVERS * SERVICE_RATE - ARRIVAL_RATE)
    t2 = math.log(4) / (SERVERS * SERVICE_RATE - ARRIVAL_RATE)
    return {
        "mean": mmc_mean_wait(SERVERS, ARRIVAL_RATE, SERVICE_RATE),
        "p0": waiting,
        "p1": float(mmc_wait_tail(t1, SERVERS, ARRIVAL_RATE, SERVICE_RATE)),
        "p2": float(mmc_wait_tail(t2, SERVERS, ARRIVAL_RATE, SERVICE_RATE)),
        "conditional": 1 / (SERVERS * SERVICE_RATE - ARRIVAL_RATE),
        "utilisation": ARRIVAL_RATE / (SERVERS * SERVICE_RATE),
    }


def test_erlang_formula_against_its_textbook_sum_and_known_values() -> None:
    # the recursion and the closed-form sum agree, and a classic value:
    # 2 servers at load 1 wait with probability 1/3
    for servers, load in [(1, 0.5), (2, 1.0), (5, 3.75), (12, 10.0), (40, 36.0)]:
        assert erlang_c(servers, load) == pytest.approx(erlang_c_direct(servers, load), rel=1e-12)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    with pytest.raises(ValueError, match="stable"):
        erlang_c(3, 3.0)


def test_every_counted_lead_was_called_and_the_sample_is_large() -> None:
    runs = replications()
    assert runs["missing"].sum() == 0
    expected = ARRIVAL_RATE * 24 * (HORIZON_DAYS - TAIL_DAYS - WARM_UP_DAYS)
    assert runs["counted"].mean() == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("quantity", ["mean", "p0", "p1", "p2", "conditional"])
def test_speed_to_lead_matches_erlang_c(quantity: str) -> None:
    expected = theory()[quantity]
    samples = replications()[quantity]
    mean, low, high = t_interval(samples, bonferroni(CONFIDENCE, QUANTITIES))
    _, low95, high95 = t_interval(samples, CONFIDENCE)
    print(f"{quantity}: simulated {mean:.5f} [{low:.5f}, {high:.5f}], Erlang C {expected:.5f}")
    assert low <= expected <= high
    assert abs(mean - expected) <= TOLERANCE * expected
    assert (high95 - low95) / 2 <= TOLERANCE * expected


def test_utilisation_matches_offered_load() -> None:
    expected = theory()["utilisation"]
    mean, low, high = t_interval(replications()["utilisation"],
                                 bonferroni(CONFIDENCE, QUANTITIES))
    print(f"utilisation: simulated {mean:.4f} [{low:.4f}, {high:.4f}], lambda/(c mu) {expected}")
    assert low <= expected <= high
    assert abs(mean - expected) <= TOLERANCE * expected


@pytest.mark.parametrize("quantity", ["mean", "p0"])
def test_score_priority_keeps_the_erlang_c_mean_and_wait_probability(quantity: str) -> None:
    """Calling the highest score first reorders the queue but neither idles a seat nor
    depends on the call lengths, so P(W > 0) (all seats busy on arrival) and the mean
    wait (the conservation law for non-preemptive disciplines) are still Erlang C's,
    while the best leads wait far less than the worst."""
    runs = replications("score_priority")
    assert runs["missing"].sum() == 0
    expected = theory()[quantity]
    mean, low, high = t_interval(runs[quantity], bonferroni(CONFIDENCE, 2))
    print(f"score priority {quantity}: {mean:.5f} [{low:.5f}, {high:.5f}], "
          f"Erlang C {expected:.5f}")
    assert low <= expected <= high
    assert abs(mean - expected) <= TOLERANCE * expected
    assert runs["top"].mean() < 0.5 * runs["mean"].mean() < runs["bottom"].mean()
