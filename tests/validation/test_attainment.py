"""Quota attainment of identical, unconstrained reps against the binomial and Poisson laws.

Ten identical AEs (skill 1, fully ramped, nobody leaves, no open-opportunity
limit) share a stream of opportunities: every lead becomes one within the hour,
and each is won with the stage's conversion ``p`` after exactly one day, won or
lost. So, given how many of an AE's opportunities closed in a month (``n``),
its wins that month are Binomial(n, p), independently of every other AE and
month; the company's wins per month, a thinned Poisson stream, are
Poisson(leads per month x p). Attainment is wins x deal size / monthly quota,
so the whole distribution of attainment follows, not just its mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import salesim
from salesim.metrics import Plan, attainment, attainment_distribution

from .builders import EVERY_LEAD_A_VALID_MEETING, MONTH_LENGTH_2027, build
from .theory import bonferroni, poisson_binomial_z, poisson_interval, z_value

AES = 10
WIN_RATE = 0.3
DEAL = 10_000
LEADS_PER_MONTH = 400
QUOTA_DEALS_PER_MONTH = 12  # about an AE's expected wins: share at quota near a half
SEEDS = range(6)
CONFIDENCE = bonferroni(0.99, 5)

SCENARIO = build({
    "channels": {"web": {"leads_per_month": LEADS_PER_MONTH}},
    "segments": {"all": {"share": 1.0, "deal_size": DEAL}},
    "sdr": EVERY_LEAD_A_VALID_MEETING,
    "ae": {"headcount": AES, "routing": "round_robin",
           "quota": {"amount": QUOTA_DEALS_PER_MONTH * DEAL, "period": "month"},
           "stages": {"deal": {"conversion": WIN_RATE, "duration": "1 day"}}},
})


def _months(records: salesim.Records) -> pd.DataFrame:
    """Per AE and calendar month: closed opportunities and wins, from the records."""
    opps = records.opportunities
    closed = opps[opps["status"].isin(["won", "lost"])]
    frame = pd.DataFrame({
        "rep_id": closed["ae_id"].to_numpy(dtype=np.int64),
        "period": closed["closed_at"].dt.strftime("%Y-%m").to_numpy(dtype=object),
        "won": (closed["status"] == "won").to_numpy(dtype=int),
    })
    return frame.groupby(["rep_id", "period"]).agg(closed=("won", "size"), won=("won", "sum"))


@pytest.fixture(scope="module")
def runs() -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """For each seed: the monthly AE attainment table and the per-AE month counts."""
    plan = Plan.from_scenario(SCENARIO)
    out = []
    for seed in SEEDS:
        records = salesim.simulate(SCENARIO, seed=seed)
        table = attainment(records, plan, period_types=("month",))
        out.append((table[table["role"] == "ae"], _months(records)))
    return out


def test_attainment_is_wins_times_deal_over_quota(runs: list[tuple[pd.DataFrame, pd.DataFrame]]
                                                  ) -> None:
    for table, months in runs:
        joined = table.set_index(["rep_id", "period"]).join(months, how="left").fillna(0)
        assert len(joined) == AES * 12
        assert np.allclose(joined["expected"], QUOTA_DEALS_PER_MONTH * DEAL)
        assert np.allclose(joined["attainment"], joined["won"] / QUOTA_DEALS_PER_MONTH)


def test_attainment_follows_the_binomial_law(runs: list[tuple[pd.DataFrame, pd.DataFrame]]
                                             ) -> None:
    """Mean, share at quota and spread of rep-month attainment, each against
    Binomial(closed, p) given the rep-month's closed opportunities."""
    months = pd.concat([m for _, m in runs])
    closed = months["closed"].to_numpy(dtype=int)
    won = months["won"].to_numpy(dtype=int)
    z = z_value(CONFIDENCE)

    # mean attainment: total wins against sum(n p)
    expected_wins = closed * WIN_RATE
    gap = (won.sum() - expected_wins.sum()) / np.sqrt((expected_wins * (1 - WIN_RATE)).sum())
    assert abs(gap) < z, f"wins {won.sum()} against {expected_wins.sum():.0f} expected"

    # share of rep-months at quota: each is a Bernoulli trial with P(Bin(n, p) >= quota)
    at_quota = won >= QUOTA_DEALS_PER_MONTH
    chance = stats.binom.sf(QUOTA_DEALS_PER_MONTH - 1, closed, WIN_RATE)
    assert 0.3 < chance.mean() < 0.7  # the test is about a real spread, not a corner
    assert abs(poisson_binomial_z(at_quota, chance)) < z, (at_quota.mean(), chance.mean())

    # spread: the dispersion statistic of binomial counts is chi-square with one degree
    # of freedom per rep-month; too much or too little spread both fail
    dispersion = float((((won - expected_wins) ** 2) / (expected_wins * (1 - WIN_RATE))).sum())
    low, high = stats.chi2.ppf([(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2], len(won))
    assert low < dispersion < high, (dispersion, len(won))


def test_company_wins_per_month_are_poisson(runs: list[tuple[pd.DataFrame, pd.DataFrame]]
                                            ) -> None:
    """The reps' achieved deals summed per month: Poisson with mean (leads that month) x p.
    February to November only: January and December lose the deals straddling the
    horizon's edges."""
    counts, means = [], []
    for table, _ in runs:
        per_month = (table.groupby("period")["achieved"].sum() / DEAL).round().astype(int)
        for month in range(1, 11):
            counts.append(int(per_month.iloc[month]))
            means.append(LEADS_PER_MONTH * MONTH_LENGTH_2027[month] * WIN_RATE)
    observed, mean = np.asarray(counts), np.asarray(means)
    low, high = poisson_interval(int(observed.sum()), CONFIDENCE)
    assert low < mean.sum() < high, (observed.sum(), mean.sum())
    # Poisson dispersion: sum (count - mean)^2 / mean is about chi-square(months)
    statistic = float((((observed - mean) ** 2) / mean).sum())
    lo, hi = stats.chi2.ppf([(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2], len(observed))
    assert lo < statistic < hi, (statistic, len(observed))


def test_distribution_summary_matches_the_rep_table(
        runs: list[tuple[pd.DataFrame, pd.DataFrame]]) -> None:
    table, _ = runs[0]
    spread = attainment_distribution(table)
    # one row per period for the kind and one for its only team: the same reps
    by_team = spread[spread["team"] != ""].set_index("period")
    summary = spread[spread["team"] == ""].set_index("period")
    assert (by_team["reps"] == summary["reps"]).all()
    for period, rows in table.groupby("period"):
        values = rows["attainment"].to_numpy(dtype=float)
        assert summary.loc[period, "reps"] == AES
        assert summary.loc[period, "mean"] == pytest.approx(values.mean())
        assert summary.loc[period, "share_at_quota"] == pytest.approx((values >= 1).mean())
