"""The quota finder on reps whose monthly wins follow a known law.

The setting of ``test_attainment.py``: ten identical AEs (fully ramped, nobody leaves,
no open-deal limit, round-robin routing), every lead an opportunity within the hour,
won with probability ``p`` one day later. Given how many of a rep's opportunities
closed in a month (``n``), its wins that month are Binomial(n, p), so the share of
rep-months at or above ``q`` wins has the expectation ``mean(binom.sf(q - 1, n, p))``
over the rep-months, and the quota that 75% of reps reach is the largest ``q`` where
that is at least 75%. With about 40 closed deals per rep-month and p = 0.3 the
theoretical share is about 80% at 10 wins and 69% at 11, so the answer is not a
close call for 1,440 rep-months (its standard error is about 1.2 points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

import salesim
from salesim.experiments.quota import find_quota
from salesim.experiments.seeds import replication_seeds

from .builders import EVERY_LEAD_A_VALID_MEETING, build
from .theory import bonferroni, z_value

AES = 10
WIN_RATE = 0.3
DEAL = 10_000
SHARE = 0.75
SEED = 11
REPS = 12
CONFIDENCE = bonferroni(0.99, 2)

SCENARIO = build({
    "channels": {"web": {"leads_per_month": 400}},
    "segments": {"all": {"share": 1.0, "deal_size": DEAL}},
    "sdr": EVERY_LEAD_A_VALID_MEETING,
    "ae": {"headcount": AES, "routing": "round_robin",
           "quota": {"amount": 12 * DEAL, "period": "month"},
           "stages": {"deal": {"conversion": WIN_RATE, "duration": "1 day"}}},
})


def _closed_per_rep_month(records: salesim.Records) -> np.ndarray:
    """Opportunities closed (won or lost) per AE and month of 2027, zeros included."""
    opps = records.opportunities
    closed = opps[opps["status"].isin(["won", "lost"])]
    counts = pd.crosstab(closed["ae_id"].to_numpy(), closed["closed_at"].dt.month.to_numpy())
    reps = records.reps.loc[records.reps["role"] == "ae", "rep_id"].to_numpy()
    return counts.reindex(index=reps, columns=range(1, 13), fill_value=0).to_numpy().ravel()


def test_quota_is_the_binomial_mixture_quantile() -> None:
    answer = find_quota(SCENARIO, "ae", SHARE, reps=REPS, seed=SEED, workers=1)
    closed = np.concatenate([_closed_per_rep_month(salesim.simulate(SCENARIO, seed=seed))
                             for seed in replication_seeds(SEED, REPS)])
    assert answer.period == "month"
    assert answer.rep_periods == len(closed) == AES * 12 * REPS

    def theory(wins: int) -> float:
        """Expected share of rep-months with at least ``wins`` wins."""
        return float(stats.binom.sf(wins - 1, closed, WIN_RATE).mean())

    expected = max(q for q in range(int(closed.max()) + 2) if theory(q) >= SHARE)
    assert theory(expected) > 0.77
    assert theory(expected + 1) < 0.72
    assert answer.quota == expected * DEAL

    # the share reaching it, against its Poisson-binomial law given the closed counts
    chance = stats.binom.sf(expected - 1, closed, WIN_RATE)
    z = (answer.share_reached * len(closed) - chance.sum()) / np.sqrt(
        (chance * (1 - chance)).sum())
    assert abs(z) < z_value(CONFIDENCE), (answer.share_reached, chance.mean())
    # the current quota (12 wins a month) against the same law
    now = stats.binom.sf(12 - 1, closed, WIN_RATE)
    assert answer.current_share is not None
    z_now = (answer.current_share * len(closed) - now.sum()) / np.sqrt(
        (now * (1 - now)).sum())
    assert abs(z_now) < z_value(CONFIDENCE), (answer.current_share, now.mean())
