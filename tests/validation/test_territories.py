"""Territories against their configured rates: a rep's fit with an industry raises the
win chance by exactly the configured multiplier where the rep's territory is focused,
so an industry split (every territory one industry) books more than a region split
(every territory a mix) by the amount the fit predicts.

Two stages at 50% and 40% win 20% of opportunities; with ``fit: {industry: 2.0}`` the
win chance spread evenly over the stages doubles to 40% on accounts in the
territory's focus industry. Under the industry split every account is in its
territory's focus; under the region split only the accounts of the focus industry
are (about a quarter). Opportunities created in the first six months have all closed
by the ninth, so the share won is an unbiased binomial estimate.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import salesim
from salesim.scenario.loader import loads_scenario

BASE = """\
meta: {name: Fit, start: 2027-01-01, horizon: 9 months}
segments: {mid: {share: 100%, deal_size: 40k}}
channels: {inbound: {leads_per_month: 600, not_ready_share: 0%}}
recycle: {max_cycles: 0}
sdr:
  headcount: 6
  contact_rate: 60%
  meeting_rate: 60%
  speed_to_lead: [{within: 3 days, multiplier: 1.0}]
  valid_rate: {at_score_0: 90%, at_score_100: 90%}
ae:
  headcount: 4
  stages: {discovery: {conversion: 50%, duration: 2 weeks},
           proposal: {conversion: 40%, duration: 2 weeks}}
cs: {headcount: 2}
accounts:
  count: 4000
  segments:
    mid: {share: 100%, employees: {lognormal: {median: 200, p90: 600}},
          revenue: {lognormal: {median: 50M, p90: 200M}}}
  industries: {software: 25%, retail: 25%, finance: 25%, health: 25%}
  regions: {north: 25%, south: 25%, east: 25%, west: 25%}
territories:
  ae: {covers: [{}], split_by: SPLIT, fit: {industry: 2.0}}
routing:
  meetings: [{by: territory}, {to: ae}]
"""
SEEDS = range(8)
BASE_WIN = 0.5 * 0.4
FIT = 2.0
CONFIDENCE = 0.99


@functools.cache
def runs(split: str) -> tuple[salesim.Records, ...]:
    scenario = loads_scenario(BASE.replace("SPLIT", split))
    return tuple(salesim.simulate(scenario, seed=seed) for seed in SEEDS)


def settled(records: salesim.Records) -> pd.DataFrame:
    """Opportunities created early enough to have closed, with their account's industry
    and whether it is the focus industry of the territory of the rep who worked it."""
    opps = records.opportunities
    opps = opps[opps["created_at"] < pd.Timestamp("2027-07-01")]
    accounts = records.accounts.set_index("account_id")
    industry = accounts.loc[opps["account_id"], "industry"].astype(str).to_numpy()
    territory = accounts.loc[opps["account_id"], "territory_id"].to_numpy()
    focus = (accounts.groupby("territory_id")
             .apply(lambda a: a.groupby("industry", observed=True)["potential"].sum().idxmax(),
                    include_groups=False))
    return pd.DataFrame({"won": (opps["status"] == "won").to_numpy(),
                         "closed": opps["status"].isin(["won", "lost"]).to_numpy(),
                         "in_focus": industry == focus.loc[territory].astype(str).to_numpy(),
                         "amount": opps["amount"].to_numpy()})


def test_each_territory_stays_within_its_split() -> None:
    for split in ("industry", "region"):
        accounts = runs(split)[0].accounts
        kinds = accounts.groupby("territory_id")[split].nunique()
        assert (kinds == 1).all(), split
        assert len(kinds) == 4


def test_win_chance_follows_the_configured_fit() -> None:
    for split in ("industry", "region"):
        deals = pd.concat([settled(r) for r in runs(split)], ignore_index=True)
        assert deals["closed"].all()
        for in_focus, expected in ((True, BASE_WIN * FIT), (False, BASE_WIN)):
            group = deals[deals["in_focus"] == in_focus]
            if split == "industry" and not in_focus:
                assert len(group) == 0  # every account is in its territory's focus
                continue
            test = stats.binomtest(int(group["won"].sum()), len(group), expected)
            assert test.pvalue > (1 - CONFIDENCE) / 4, (split, in_focus, test)


def test_an_industry_split_books_more_than_a_region_split() -> None:
    by_industry = np.array([r.opportunities.loc[r.opportunities["status"] == "won", "amount"]
                            .sum() for r in runs("industry")])
    by_region = np.array([r.opportunities.loc[r.opportunities["status"] == "won", "amount"]
                          .sum() for r in runs("region")])
    difference = by_industry - by_region  # same seeds: same leads, paired
    low = difference.mean() - stats.t.ppf(CONFIDENCE, len(difference) - 1) * \
        difference.std(ddof=1) / np.sqrt(len(difference))
    assert low > 0
    # and by about what the fit predicts: focus share 1 against about a quarter
    share = pd.concat([settled(r) for r in runs("region")])["in_focus"].mean()
    predicted = FIT / (share * FIT + (1 - share))
    assert by_industry.mean() / by_region.mean() == pytest.approx(predicted, rel=0.1)
