"""What the engine is held against: queueing formulas, interval estimates and ramp arithmetic.

Everything here is computed from first principles and the scenario's configured
numbers, never from the engine, so a test that compares the two can fail.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

# ----------------------------------------------------------------------------- M/M/c (Erlang C)


def erlang_b(servers: int, load: float) -> float:
    """Erlang B blocking probability for ``servers`` and offered load ``load`` = lambda/mu.

    Uses the stable recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)).
    """
    if servers < 1 or load < 0:
        raise ValueError("need at least one server and a non-negative load")
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return blocking


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (Erlang C), C(c, a).

    C = c B / (c - a (1 - B)) with B the Erlang B probability; requires a < c.
    """
    if load >= servers:
        raise ValueError("an M/M/c queue is stable only when lambda / mu < c")
    blocking = erlang_b(servers, load)
    return servers * blocking / (servers - load * (1 - blocking))


def erlang_c_direct(servers: int, load: float) -> float:
    """Erlang C from its textbook sum, P(wait) = (a^c/c! c/(c-a)) / (sum_k<c a^k/k! + that)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def mmc_wait_tail(t: float | np.ndarray, servers: int, arrival_rate: float, service_rate: float
                  ) -> float | np.ndarray:
    """P(W > t) for FIFO M/M/c: C(c, a) exp(-(c mu - lambda) t), t >= 0."""
    load = arrival_rate / service_rate
    waiting = erlang_c(servers, load)
    return waiting * np.exp(-(servers * service_rate - arrival_rate) * np.asarray(t))


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """E[W] for FIFO M/M/c: C(c, a) / (c mu - lambda)."""
    load = arrival_rate / service_rate
    return erlang_c(servers, load) / (servers * service_rate - arrival_rate)


# ----------------------------------------------------------------------------- interval estimates


def bonferroni(confidence: float, comparisons: int) -> float:
    """Per-comparison confidence giving ``confidence`` family-wise over ``comparisons``."""
    return 1 - (1 - confidence) / comparisons


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` (1.96 for 95%)."""
    return float(stats.norm.ppf(0.5 + confidence / 2))


def t_interval(samples: Sequence[float] | np.ndarray, confidence: float
               ) -> tuple[float, float, float]:
    """Mean and two-sided Student-t interval of independent replications."""
    values = np.asarray(samples, dtype=float)
    n = len(values)
    if n < 2:
        raise ValueError("need at least two replications")
    mean = float(values.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def binomial_interval(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion."""
    if trials <= 0:
        raise ValueError("no trials")
    result = stats.binomtest(int(successes), int(trials))
    interval = result.proportion_ci(confidence_level=confidence, method="exact")
    return float(interval.low), float(interval.high)


def poisson_binomial_z(outcomes: np.ndarray, probabilities: np.ndarray) -> float:
    """Standardised gap between successes and their expectation for independent trials
    with known, possibly different, success probabilities (normal approximation)."""
    successes = float(np.sum(outcomes))
    p = np.asarray(probabilities, dtype=float)
    variance = float(np.sum(p * (1 - p)))
    if variance <= 0:
        raise ValueError("the trials carry no randomness")
    return (successes - float(p.sum())) / math.sqrt(variance)


def poisson_interval(count: int, confidence: float) -> tuple[float, float]:
    """Exact (Garwood) interval for the mean of a Poisson count."""
    alpha = 1 - confidence
    low = 0.0 if count == 0 else float(stats.chi2.ppf(alpha / 2, 2 * count) / 2)
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2)
    return low, high


# ----------------------------------------------------------------------------- ramp arithmetic


def ramp_at(tenure_days: float | np.ndarray, fractions: Sequence[float], days_per_month: float
            ) -> np.ndarray:
    """Productivity at tenure ``tenure_days``: the configured fraction of the tenure month,
    1 after the curve ends and 0 before the hire."""
    curve = np.append(np.asarray(fractions, dtype=float), 1.0)
    months = np.floor(np.asarray(tenure_days, dtype=float) / days_per_month).astype(np.int64)
    return np.where(months < 0, 0.0, curve[np.clip(months, 0, len(fractions))])


def ramped_exposure(fractions: Sequence[float], days_per_month: float, horizon: float,
                    hired_at: float = 0.0, mean_close: float = 0.0) -> float:
    """Productivity-weighted time a rep hired at ``hired_at`` can book within ``[0, horizon)``.

    Integral over ``t`` in ``[hired_at, horizon)`` of ``productivity(t - hired_at)`` times
    the chance that work started at ``t`` finishes before the horizon, for work lasting an
    exponential time of mean ``mean_close`` (0: finishes at once). Exact: the productivity
    is piecewise constant, so each piece integrates in closed form.
    """
    edges = [hired_at + k * days_per_month for k in range(len(fractions) + 1)]
    levels = [*fractions, 1.0]
    pieces = [(max(edges[k], 0.0), edges[k + 1] if k < len(fractions) else horizon, levels[k])
              for k in range(len(levels))]
    total = 0.0
    for begin, end, level in pieces:
        end = min(end, horizon)
        if end <= begin:
            continue
        if mean_close > 0:
            # integral of 1 - exp(-(H - t)/m) over [begin, end)
            m = mean_close
            part = (end - begin) - m * (math.exp(-(horizon - end) / m)
                                        - math.exp(-(horizon - begin) / m))
        else:
            part = end - begin
        total += level * part
    return total
