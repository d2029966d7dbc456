"""One replication of an organisation of named teams: shorthand and teams forms agree,
work goes where the routing rules say, and every team keeps to its own work."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

import salesim
from salesim.scenario.loader import loads_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@functools.cache
def simulated(name: str, seed: int) -> salesim.Records:
    return salesim.simulate(salesim.load_scenario(SCENARIOS / f"{name}.yaml"), seed=seed)


def test_the_teams_form_of_the_reference_gives_the_same_records() -> None:
    shorthand = simulated("reference", 3)
    teams = simulated("reference_teams", 3)
    for name, table in shorthand.tables().items():
        pd.testing.assert_frame_equal(table, getattr(teams, name), obj=name)


def test_meetings_reach_the_ae_team_of_their_segment() -> None:
    records = simulated("enterprise-and-commercial", 2)
    opps = records.opportunities
    enterprise = opps["segment"] == "enterprise"
    assert (opps.loc[enterprise, "team"] == "enterprise").all()
    assert (opps.loc[~enterprise, "team"] == "commercial").all()
    assert enterprise.any()
    assert (~enterprise).any()


def test_each_team_owns_only_its_own_work() -> None:
    records = simulated("enterprise-and-commercial", 2)
    team_of_rep = records.reps.set_index("rep_id")["team"].astype(str)
    for table, owner in (("leads", "sdr_id"), ("opportunities", "ae_id"),
                         ("subscriptions", "csm_id")):
        frame = getattr(records, table)
        owned = frame[frame[owner] >= 0]
        assert len(owned) > 0
        assert (team_of_rep.loc[owned[owner]].to_numpy() == owned["team"].astype(str)).all()


def test_customers_stay_with_the_cs_team_of_the_ae_team_that_won_them() -> None:
    records = simulated("enterprise-and-commercial", 2)
    subs = records.subscriptions.merge(
        records.opportunities[["opportunity_id", "team"]], on="opportunity_id",
        suffixes=("", "_ae"))
    expected = np.where(subs["team_ae"] == "enterprise", "cs_enterprise", "cs_commercial")
    assert (subs["team"].astype(str).to_numpy() == expected).all()
    assert set(expected) == {"cs_enterprise", "cs_commercial"}


def test_each_ae_team_works_its_own_stages() -> None:
    records = simulated("enterprise-and-commercial", 2)
    stages = records.opportunity_stages.merge(
        records.opportunities[["opportunity_id", "team"]], on="opportunity_id")
    review = stages["stage"] == "security_review"
    assert review.any()
    assert (stages.loc[review, "team"] == "enterprise").all()
    # the stage index counts within the team's own stages: negotiation is 4th for enterprise
    negotiation = stages[stages["stage"] == "negotiation"]
    by_team = negotiation.groupby("team", observed=True)["stage_index"].unique()
    assert list(by_team["enterprise"]) == [3]
    assert list(by_team["commercial"]) == [2]


JAPANESE = """\
meta: {name: 日本の営業組織, start: 2027-01-01, horizon: 6 months}
segments:
  中小企業: {share: 70%, deal_size: 12k}
  大企業: {share: 30%, deal_size: 150k}
channels:
  ウェビナー: {leads_per_month: 300}
  展示会: {leads_per_month: 100}
teams:
  インサイドセールス: {kind: sdr, headcount: 3}
  エンタープライズ営業: {kind: ae, headcount: 2, stages: {商談: {conversion: 60%, duration: 2週間}}}
  フィールドセールス: {kind: ae, headcount: 3, stages: {商談: {conversion: 50%, duration: 1週間}}}
  カスタマーサクセス: {kind: cs, headcount: 2}
routing:
  meetings:
    - {segment: 大企業, to: エンタープライズ営業}
    - {to: フィールドセールス}
"""


def test_japanese_team_names_appear_unchanged_in_the_records() -> None:
    scenario = loads_scenario(JAPANESE, source="jp.yaml")
    records = salesim.simulate(scenario, seed=5)
    assert set(records.reps["team"].astype(str)) == {
        "インサイドセールス", "エンタープライズ営業", "フィールドセールス", "カスタマーサクセス"}
    assert set(records.leads["team"].astype(str)) == {"インサイドセールス"}
    assert set(records.opportunities["team"].astype(str)) == {
        "エンタープライズ営業", "フィールドセールス"}
    assert (records.opportunities.loc[records.opportunities["segment"] == "大企業", "team"]
            == "エンタープライズ営業").all()


def test_random_streams_follow_the_team_name() -> None:
    base = textwrap.dedent("""\
        meta: {name: Streams, start: 2027-01-01, horizon: 3 months}
        segments: {smb: {share: 100%, deal_size: 12k}}
        channels: {inbound: {leads_per_month: 300}}
        teams:
          NAME: {kind: sdr, headcount: 2}
          ae: {kind: ae, headcount: 2, stages: {discovery: {conversion: 50%, duration: 2 weeks}}}
          cs: {kind: cs, headcount: 1}
        """)
    sdr = salesim.simulate(loads_scenario(base.replace("NAME", "sdr")), seed=1)
    inbound = salesim.simulate(loads_scenario(base.replace("NAME", "inbound")), seed=1)
    # marketing does not depend on the SDR team's name; the desk's own draws do
    pd.testing.assert_series_equal(sdr.leads.loc[sdr.leads.cycle == 0, "created_at"]
                                   .reset_index(drop=True),
                                   inbound.leads.loc[inbound.leads.cycle == 0, "created_at"]
                                   .reset_index(drop=True))
    assert not sdr.activities["busy_hours"].equals(inbound.activities["busy_hours"])


@functools.cache
def short_run(name: str) -> salesim.Records:
    # nine months, with new hires in March so that ramps and draws come into play
    scenario = salesim.load_scenario(SCENARIOS / f"{name}.yaml", {
        "meta.horizon": "9 months", "sdr.hiring": [{"month": "2027-03", "count": 2}],
        "ae.hiring": [{"month": "2027-03", "count": 2}], "cs.hiring": []})
    return salesim.simulate(scenario, seed=4)


def test_compensation_plans_change_cost_only_and_add_the_payouts() -> None:
    plain = short_run("reference")
    paid = short_run("comp_plans")
    for name, table in plain.tables().items():
        if name not in ("payouts", "payout_measures"):
            pd.testing.assert_frame_equal(table, getattr(paid, name), obj=name)
    assert plain.payouts.empty
    payouts = paid.payouts
    # every rep of every team is paid in each quarter they were employed in
    assert set(payouts["team"]) == {"sdr", "ae", "cs"}
    employed = paid.reps.loc[paid.reps["hired_at"] < pd.Timestamp("2027-10-01"), "rep_id"]
    assert set(payouts["rep_id"]) == set(employed)
    parts = (payouts["base"] + payouts["variable"] + payouts["spif"] - payouts["clawback"]
             + payouts["draw"] - payouts["draw_recovered"])
    np.testing.assert_allclose(payouts["total"], parts)
    assert (payouts["variable"] > 0).any()
    assert (payouts["draw"] > 0).any()
    assert (payouts.loc[payouts["team"] == "sdr", "spif"] > 0).any()  # the March SPIF
    sdr = paid.payout_measures.loc[paid.payout_measures["team"] == "sdr"]
    assert set(sdr["measure"]) == {"meetings_held", "valid_meeting_rate", "sourced_revenue"}


def test_self_sourced_and_day_one_opportunities_have_no_lead_and_keep_their_channels() -> None:
    """Opportunities without a lead, those open on day one and those AEs source by
    prospecting, each get an id of their own after the ones from leads, lead id -1,
    and the channel the record contract gives them (empty; ``self_sourced``), down to
    their customers."""
    from model.builders import EVERY_LEAD_AN_OPPORTUNITY, build

    scenario = build(EVERY_LEAD_AN_OPPORTUNITY, {
        "channels": {"web": {"leads_per_month": 20}},
        "ae": {"headcount": 3, "stages": {"deal": {"conversion": 0.6, "duration": "2 weeks"}},
               "time": {"selling_hours_per_week": 20, "prospecting": {
                   "opportunities_per_hour": 0.05}}},
        "start_state": {"open_opportunities": {"count": 12}}})
    records = salesim.simulate(scenario, seed=3)
    opportunities = records.opportunities
    assert opportunities["opportunity_id"].is_unique
    no_lead = opportunities[opportunities["lead_id"] == -1]
    sourced = no_lead["channel"] == "self_sourced"
    assert (~sourced).sum() == 12
    assert no_lead.loc[~sourced.to_numpy(), "channel"].isna().all()
    assert sourced.sum() > 10
    from_leads = opportunities[opportunities["lead_id"] >= 0]
    assert from_leads["opportunity_id"].max() < no_lead["opportunity_id"].min()
    subscriptions = records.subscriptions.merge(
        opportunities[["opportunity_id", "channel"]], on="opportunity_id",
        suffixes=("", "_deal"))
    assert (subscriptions["channel"].astype(object).fillna("").to_numpy()
            == subscriptions["channel_deal"].astype(object).fillna("").to_numpy()).all()
    assert (subscriptions["channel"] == "self_sourced").any()


def test_an_account_universe_with_no_opportunity_at_all_gives_empty_typed_columns() -> None:
    """No meeting is ever booked: the account columns are still there, with their types."""
    accounts = {"count": 200, "segments": {"smb": {
        "share": 1.0, "employees": {"fixed": 50}, "revenue": {"fixed": 1_000_000}}}}
    scenario = salesim.load_scenario(SCENARIOS / "minimal.yaml", overrides={
        "accounts": accounts, "sdr.meeting_rate": 0.0})
    records = salesim.simulate(scenario, seed=1)
    assert records.opportunities.empty
    assert len(records.accounts) == 200
    assert records.accounts["customer_since"].isna().all()
    assert records.accounts["customer_since"].dtype == "datetime64[ns]"
    assert list(records.opportunities["type"].cat.categories) == ["new", "expansion"]
