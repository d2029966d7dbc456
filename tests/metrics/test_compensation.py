"""Pay from records: payouts by hand arithmetic, credit across teams, and the pay KPIs."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from salesim.metrics import Plan, TeamPlan, headline_metrics, kpi_table
from salesim.metrics.compensation import payout_tables
from salesim.metrics.finance import costs
from salesim.model.behaviour import expected_ae_pay
from salesim.records import COLUMNS, Records
from salesim.scenario.compensation import CompensationPlan

from .builders import records

QUARTER_VARIABLE = 12_500.0  # OTE 100k, half of it variable: 50k a year, 12.5k a quarter


def comp(**settings: Any) -> CompensationPlan:
    return CompensationPlan.model_validate(
        {"on_target_earnings": 100_000, "base_share": 0.5, "pay_period": "quarter", **settings})


def ae_plan(curve: dict[str, Any] | None = None, **settings: Any) -> TeamPlan:
    return TeamPlan(kind="ae", quota_per_month=100_000 / 3, compensation=comp(
        measures={"bookings": {"weight": 1.0, "curve": curve or {}}}, **settings))


def reps(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    base = {"role": "ae", "team": "ae", "hired_at": "2027-01-01", "annual_cost": 120_000.0}
    return [{**base, **row} for row in rows]


def won(ae: int, amount: float, closed: str, **more: Any) -> dict[str, Any]:
    return {"ae_id": ae, "status": "won", "amount": amount, "closed_at": closed,
            "created_at": "2027-01-02", **more}


def pay(book: Records, **teams: TeamPlan) -> tuple[pd.DataFrame, pd.DataFrame]:
    return payout_tables(book, Plan(teams=teams))


def quarter(table: pd.DataFrame, rep: int, start: str) -> pd.Series:
    found = table.loc[(table["rep_id"] == rep) & (table["period_start"] == pd.Timestamp(start))]
    assert len(found) == 1
    return found.iloc[0]


def test_accelerator_and_threshold_by_hand() -> None:
    book = records(reps=reps({"rep_id": 1}),
                   opportunities=[won(1, 130_000, "2027-02-10"), won(1, 50_000, "2027-05-10")])
    payouts, measures = pay(book, ae=ae_plan({"threshold": "60%",
                                              "tiers": [{"above": "100%", "rate": 2}]}))
    assert len(payouts) == 4  # one row per quarter of the year employed
    first = quarter(payouts, 1, "2027-01-01")
    # 130% attainment: 1 + 0.3 x 2 = 1.6 of the quarter's 12.5k
    assert first["variable"] == pytest.approx(1.6 * QUARTER_VARIABLE)
    assert first["base"] == pytest.approx(12_500)
    assert first["total"] == pytest.approx(12_500 + 20_000)
    assert first["attainment"] == pytest.approx(1.3)
    second = quarter(payouts, 1, "2027-04-01")
    assert second["variable"] == 0.0  # 50% is under the 60% threshold
    assert bool(second["under_threshold"])
    assert quarter(measures, 1, "2027-04-01")["target"] == pytest.approx(100_000)


def test_a_cap_stops_pay_and_marks_the_rep_at_the_cap() -> None:
    book = records(reps=reps({"rep_id": 1}), opportunities=[won(1, 400_000, "2027-02-10")])
    payouts, _ = pay(book, ae=ae_plan({"tiers": [{"above": "100%", "rate": 0.5}],
                                       "cap": "200%"}))
    first = quarter(payouts, 1, "2027-01-01")
    # decelerated above target and capped at 200%: 1 + 1 x 0.5
    assert first["variable"] == pytest.approx(1.5 * QUARTER_VARIABLE)
    assert bool(first["at_cap"])


def test_two_accelerator_tiers_then_a_decelerator_by_hand() -> None:
    book = records(reps=reps({"rep_id": 1}),
                   opportunities=[won(1, 170_000, "2027-02-10"), won(1, 260_000, "2027-05-10")])
    tiers = [{"above": "100%", "rate": 2}, {"above": "150%", "rate": 3},
             {"above": "200%", "rate": 0.5}]
    payouts, _ = pay(book, ae=ae_plan({"tiers": tiers}))
    # 170%: 1 + 0.5 x 2 + 0.2 x 3 = 2.6 quarters' variable
    assert quarter(payouts, 1, "2027-01-01")["variable"] == pytest.approx(2.6 * QUARTER_VARIABLE)
    # 260%: 1 + 0.5 x 2 + 0.5 x 3 + 0.6 x 0.5 = 3.8, decelerated past 200%
    assert quarter(payouts, 1, "2027-04-01")["variable"] == pytest.approx(3.8 * QUARTER_VARIABLE)
    assert not bool(quarter(payouts, 1, "2027-04-01")["at_cap"])


def test_convexity_cost_at_mean_attainment_is_not_the_mean_cost() -> None:
    # two reps at 50% and 150%: the mean attainment is 100%
    book = records(reps=reps({"rep_id": 1}, {"rep_id": 2}),
                   opportunities=[won(1, 50_000, "2027-02-10"), won(2, 150_000, "2027-02-10")])
    plan = Plan(teams={"ae": ae_plan({"tiers": [{"above": "100%", "rate": 3}]})})
    payouts, measures = payout_tables(book, plan)
    book = Records(**{**book.tables(), "payouts": payouts, "payout_measures": measures},
                   start=book.start, end=book.end)
    table = kpi_table(book, plan, ("quarter",))
    q1 = table.loc[(table["period"] == "2027Q1") & (table["team"] == "ae")]
    value = dict(zip(q1["metric"], q1["value"], strict=False))
    # actual: 0.5 + (1 + 0.5 x 3) = 3.0 quarters' variable; at the mean: 2 x 1.0
    assert value["variable_pay_from_curves"] == pytest.approx(3.0 * QUARTER_VARIABLE)
    assert value["variable_pay_at_mean_attainment"] == pytest.approx(2.0 * QUARTER_VARIABLE)
    assert value["share_at_target"] == pytest.approx(0.5)
    assert value["share_under_threshold"] == pytest.approx(0.0)
    assert value["pay_per_rep_p50"] == pytest.approx(12_500 + 1.5 * QUARTER_VARIABLE)
    # pay as a share of the quarter's 200k of bookings
    total = 2 * 12_500 + 3.0 * QUARTER_VARIABLE
    assert value["comp_total"] == pytest.approx(total)
    assert value["comp_share_of_bookings"] == pytest.approx(total / 200_000)
    assert value["effective_commission_rate"] == pytest.approx(3.0 * QUARTER_VARIABLE
                                                               / 200_000)
    overall = table.loc[(table["period"] == "2027Q1") & (table["team"] == "")
                        & (table["role"] == "") & (table["metric"] == "comp_total"), "value"]
    assert list(overall) == [pytest.approx(total)]
    headlines = headline_metrics(book, plan)
    assert headlines["comp_cost_ae"] == pytest.approx(float(payouts["total"].sum()))


def test_pay_above_base_counts_in_the_team_cost() -> None:
    book = records(reps=reps({"rep_id": 1}), opportunities=[won(1, 100_000, "2027-02-10")])
    plan = Plan(teams={"ae": ae_plan()})
    payouts, measures = payout_tables(book, plan)
    with_pay = Records(**{**book.tables(), "payouts": payouts, "payout_measures": measures},
                       start=book.start, end=book.end)
    before = costs(book, plan, ("quarter",))
    after = costs(with_pay, plan, ("quarter",))
    picked = (after["kind"] == "team") & (after["period"] == "2027Q1")
    # the loaded cost (120k a year, base included) plus Q1's variable pay at 100%
    assert after.loc[picked, "cost"].iloc[0] == pytest.approx(
        before.loc[picked, "cost"].iloc[0] + QUARTER_VARIABLE)
    assert before.loc[picked, "cost"].iloc[0] == pytest.approx(30_000)


def sdr_book(valid: int, held: int, deal_closed: str) -> Records:
    leads = [{"lead_id": i, "sdr_id": 1, "meeting_held_at": "2027-02-03", "valid": i < valid,
              "status": "converted" if i == 0 else "closed", "created_at": "2027-01-20"}
             for i in range(held)]
    return records(
        reps=reps({"rep_id": 1, "role": "sdr", "team": "sdr"}, {"rep_id": 2}),
        leads=leads,
        opportunities=[won(2, 50_000, deal_closed, lead_id=0)])


def sdr_plan(**settings: Any) -> TeamPlan:
    return TeamPlan(kind="sdr", quota_per_month=15, compensation=comp(measures={
        "meetings_held": {"weight": "60%"},
        "valid_meeting_rate": {"weight": "30%", "target": "75%"},
        "sourced_revenue": {"weight": "10%", "target": 25_000}}, **settings))


def test_an_sdr_plan_weighted_6_3_1_and_credited_with_the_revenue_of_their_meetings() -> None:
    payouts, measures = pay(sdr_book(27, 36, "2027-03-20"), sdr=sdr_plan())
    q1 = measures.loc[measures["period_start"] == pd.Timestamp("2027-01-01")].set_index(
        "measure")
    # 36 of 45 meetings; 27/36 = 75% valid against 75%; 50k of ARR closed on their meeting
    assert q1.loc["meetings_held", "attainment"] == pytest.approx(0.8)
    assert q1.loc["valid_meeting_rate", "attainment"] == pytest.approx(1.0)
    assert q1.loc["sourced_revenue", "actual"] == pytest.approx(50_000)
    assert quarter(payouts, 1, "2027-01-01")["variable"] == pytest.approx(
        (0.6 * 0.8 + 0.3 * 1.0 + 0.1 * 2.0) * QUARTER_VARIABLE)
    # a deal the AE closes next quarter is credited to the SDR then
    _, later = pay(sdr_book(27, 36, "2027-05-20"), sdr=sdr_plan())
    revenue = later.loc[later["measure"] == "sourced_revenue"].set_index("period_start")
    assert revenue.loc[pd.Timestamp("2027-01-01"), "actual"] == 0.0
    assert revenue.loc[pd.Timestamp("2027-04-01"), "actual"] == pytest.approx(50_000)


def test_a_self_sourced_deal_credits_its_ae_and_no_sdr() -> None:
    """A deal an AE sourced by prospecting has no lead (``lead_id`` -1): the SDR's
    sourced revenue leaves it out, the AE's bookings count it."""
    book = sdr_book(27, 36, "2027-03-20")
    opportunities = pd.concat([book.opportunities, records(opportunities=[
        won(2, 80_000, "2027-03-25", lead_id=-1, channel="self_sourced",
            opportunity_id=2)]).opportunities], ignore_index=True)
    book = Records(**{**book.tables(), "opportunities": opportunities}, start=book.start,
                   end=book.end)
    _, measures = pay(book, sdr=sdr_plan(), ae=ae_plan())
    q1 = measures.loc[measures["period_start"] == pd.Timestamp("2027-01-01")]
    by_rep = q1.set_index(["rep_id", "measure"])["actual"]
    assert by_rep[(1, "sourced_revenue")] == pytest.approx(50_000)
    assert by_rep[(2, "bookings")] == pytest.approx(130_000)


def test_a_spif_pays_per_event_inside_its_window() -> None:
    spif = [{"event": "valid_meeting", "amount": 40, "start": "2027-02-01",
             "end": "2027-02-03"}]
    payouts, _ = pay(sdr_book(10, 12, "2027-03-20"), sdr=sdr_plan(spifs=spif))
    assert quarter(payouts, 1, "2027-01-01")["spif"] == pytest.approx(400)
    late = [{**spif[0], "start": "2027-02-04", "end": "2027-02-28"}]
    payouts, _ = pay(sdr_book(10, 12, "2027-03-20"), sdr=sdr_plan(spifs=late))
    assert quarter(payouts, 1, "2027-01-01")["spif"] == 0.0


def test_a_clawback_takes_back_the_pay_on_a_deal_whose_customer_churns_early() -> None:
    book = records(
        reps=reps({"rep_id": 1}),
        opportunities=[won(1, 75_000, "2027-01-15", opportunity_id=10),
                       won(1, 25_000, "2027-01-15", opportunity_id=11)],
        subscriptions=[{"opportunity_id": 10, "start_at": "2027-01-15",
                        "churned_at": "2027-04-10", "status": "churned"},
                       {"opportunity_id": 11, "start_at": "2027-01-15",
                        "churned_at": "2027-09-10", "status": "churned"}])
    payouts, _ = pay(book, ae=ae_plan(clawback={"within": "120 days", "share": "80%"}))
    # Q1 paid 100% on 100k; the 75k deal churned after 85 days: 80% of its 75% part
    assert quarter(payouts, 1, "2027-01-01")["variable"] == pytest.approx(QUARTER_VARIABLE)
    assert quarter(payouts, 1, "2027-04-01")["clawback"] == pytest.approx(
        0.8 * 0.75 * QUARTER_VARIABLE)
    assert quarter(payouts, 1, "2027-07-01")["clawback"] == 0.0  # after 238 days


def test_a_recoverable_draw_is_paid_up_to_its_amount_then_taken_back() -> None:
    book = records(reps=reps({"rep_id": 1, "origin": "plan"}),
                   opportunities=[won(1, 80_000, "2027-05-10"), won(1, 200_000, "2027-08-10")])
    draw = {"amount": 15_000, "months": 6}
    payouts, _ = pay(book, ae=ae_plan(draw={**draw, "recoverable": True}))
    rows = payouts.set_index("period_start")
    # Q1 earns nothing: 15k drawn; Q2 earns 80% = 10k: 5k drawn; Q3 earns 200% = 25k,
    # from which the 20k drawn comes back
    assert list(rows["draw"]) == pytest.approx([15_000, 5_000, 0, 0])
    assert list(rows["draw_recovered"]) == pytest.approx([0, 0, 20_000, 0])
    assert rows["total"].iloc[2] == pytest.approx(12_500 + 25_000 - 20_000)
    payouts, _ = pay(book, ae=ae_plan(draw={**draw, "recoverable": False}))
    assert list(payouts["draw_recovered"]) == [0, 0, 0, 0]
    initial = records(reps=reps({"rep_id": 1}))
    payouts, _ = pay(initial, ae=ae_plan(draw={**draw, "recoverable": True}))
    assert list(payouts["draw"]) == [0, 0, 0, 0]  # no draw for reps there from the start


def test_a_new_hire_target_follows_the_ramp_and_the_months_employed() -> None:
    book = records(reps=reps({"rep_id": 1, "origin": "plan", "hired_at": "2027-02-01"}))
    plan = TeamPlan(kind="ae", quota_per_month=100_000 / 3, ramp=(0.5, 0.5),
                    compensation=comp(measures={"bookings": {"weight": 1.0}}))
    payouts, measures = pay(book, ae=plan)
    first = quarter(measures, 1, "2027-01-01")
    # employed February and March, at half productivity: 100k x (0.5 + 0.5) / 3
    assert first["target"] == pytest.approx(100_000 / 3)
    assert quarter(payouts, 1, "2027-01-01")["base"] == pytest.approx(50_000 * 2 / 12)
    unramped = TeamPlan(kind="ae", quota_per_month=100_000 / 3, ramp=(0.5, 0.5),
                        compensation=comp(measures={"bookings": {"weight": 1.0}},
                                          ramped_quota=False))
    _, measures = pay(book, ae=unramped)
    assert quarter(measures, 1, "2027-01-01")["target"] == pytest.approx(200_000 / 3)


@pytest.mark.parametrize(("mode", "ae_credit"), [("overlay", 20_000), ("split", 10_000)])
def test_a_csm_shares_credit_for_expansion_deals(mode: str, ae_credit: float) -> None:
    book = records(
        reps=reps({"rep_id": 1}, {"rep_id": 3, "role": "cs", "team": "cs"}),
        opportunities=[won(1, 20_000, "2027-02-10", account_id=7, type="expansion")],
        subscriptions=[{"subscription_id": 1, "csm_id": 3, "account_id": 7,
                        "start_at": "2026-06-01", "status": "active"}])
    cs = TeamPlan(kind="cs", compensation=comp(
        measures={"expanded_arr": {"weight": 1.0, "target": 20_000}},
        expansion_credit={"share": "50%", "mode": mode}))
    _, measures = pay(book, ae=ae_plan(), cs=cs)
    assert quarter(measures, 3, "2027-01-01")["actual"] == pytest.approx(10_000)
    assert quarter(measures, 1, "2027-01-01")["actual"] == pytest.approx(ae_credit)


def test_retained_arr_counts_customers_held_at_the_period_start() -> None:
    book = records(
        reps=reps({"rep_id": 3, "role": "cs", "team": "cs"}),
        subscriptions=[{"subscription_id": 1, "csm_id": 3}, {"subscription_id": 2, "csm_id": 3}],
        subscription_events=[
            {"subscription_id": 1, "at": "2026-12-01", "kind": "new", "arr_change": 100.0},
            {"subscription_id": 1, "at": "2027-02-01", "kind": "expansion", "arr_change": 20.0},
            {"subscription_id": 2, "at": "2027-02-01", "kind": "new", "arr_change": 50.0}])
    cs = TeamPlan(kind="cs", compensation=comp(
        measures={"retained_arr": {"weight": 1.0, "target": 100}}))
    _, measures = pay(book, cs=cs)
    # the customer held on 1 January, with its expansion; not the one won in February
    assert quarter(measures, 3, "2027-01-01")["actual"] == pytest.approx(120.0)


def test_teams_without_a_plan_get_no_rows_and_no_plans_give_empty_tables() -> None:
    book = records(reps=reps({"rep_id": 1}, {"rep_id": 2, "role": "sdr", "team": "sdr"}))
    payouts, _ = pay(book, ae=ae_plan(), sdr=TeamPlan(kind="sdr"))
    assert set(payouts["rep_id"]) == {1}
    payouts, measures = pay(book, ae=TeamPlan(kind="ae"))
    assert payouts.empty
    assert measures.empty
    assert list(payouts.columns) == list(COLUMNS["payouts"])


# ----------------------------------------------------------------------------- margin

MARGIN_CURVE = [{"discount": 0, "win": 1.0, "cycle": 1.0},
                {"discount": 0.3, "win": 1.0, "cycle": 1.0}]  # discounting wins nothing


def margin_plan(**behaviour: Any) -> TeamPlan:
    """A margin plan: 50k of margin a quarter at 50% gross margin (100k of list)."""
    return TeamPlan(kind="ae", compensation=comp(
        measures={"margin": {"weight": 1.0, "target": 50_000, "gross_margin": 0.5}},
        **({"behaviour": behaviour} if behaviour else {})))


def test_margin_pay_takes_the_discount_off_the_margin_whole() -> None:
    # list 100k: at list, 50k of margin (100%); 20% off, 80k booked and 100k x (50% - 20%)
    # = 30k of margin (60%), not 80k x 50% = 40k
    book = records(reps=reps({"rep_id": 1}),
                   opportunities=[won(1, 100_000, "2027-02-10", discount=0.0),
                                  won(1, 80_000, "2027-05-10", discount=0.2)])
    _, measures = pay(book, ae=margin_plan())
    assert quarter(measures, 1, "2027-01-01")["actual"] == pytest.approx(50_000)
    assert quarter(measures, 1, "2027-04-01")["actual"] == pytest.approx(30_000)
    assert quarter(measures, 1, "2027-04-01")["payout"] == pytest.approx(0.6 * QUARTER_VARIABLE)


def test_a_crm_export_without_a_discount_column_counts_no_discount() -> None:
    book = records(reps=reps({"rep_id": 1}), opportunities=[won(1, 80_000, "2027-02-10")])
    export = book.opportunities.drop(columns=["discount"])
    book = Records(**{**book.tables(), "opportunities": export}, start=book.start,
                   end=book.end)
    _, measures = pay(book, ae=margin_plan())
    assert quarter(measures, 1, "2027-01-01")["actual"] == pytest.approx(40_000)  # 80k x 50%
    with_gaps = export.assign(discount=[float("nan")])
    book = Records(**{**book.tables(), "opportunities": with_gaps}, start=book.start,
                   end=book.end)
    assert quarter(pay(book, ae=margin_plan())[1], 1, "2027-01-01")["actual"] == \
        pytest.approx(40_000)


def test_a_discount_of_the_whole_list_value_is_a_clear_error() -> None:
    book = records(reps=reps({"rep_id": 1}),
                   opportunities=[won(1, 0.0, "2027-02-10", discount=1.0, opportunity_id=7)])
    with pytest.raises(ValueError, match="opportunity 7: a discount of 100%"):
        pay(book, ae=margin_plan())


@pytest.mark.parametrize("discount", [0.0, 0.1, 0.2, 0.3])
def test_margin_pay_is_what_the_discount_choice_expects(discount: float) -> None:
    # the choice's arithmetic: attainment = expected attainment (100%) x win (1) x the
    # deal's margin share at the discount; the payout tables on one list-100k deal
    # booked at that discount pay the same share of the quarter's variable
    plan = margin_plan(discounting={"curve": MARGIN_CURVE})
    assert plan.compensation is not None
    book = records(reps=reps({"rep_id": 1}),
                   opportunities=[won(1, 100_000 * (1 - discount), "2027-02-10",
                                      discount=discount)])
    payouts, _ = pay(book, ae=plan)
    assert quarter(payouts, 1, "2027-01-01")["variable"] == pytest.approx(
        expected_ae_pay(plan.compensation, discount) * QUARTER_VARIABLE)
