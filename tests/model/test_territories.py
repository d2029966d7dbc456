"""Carving accounts among teams, balancing territories, splitting a leaver's
territory, the balance measures and rep fit."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.model.accounts import AccountBook, build_accounts
from salesim.model.territories import (
    UNCOVERED,
    TerritoryMap,
    balance_measures,
    blocked_lpt,
    carve,
    fit_multiplier,
    gini,
    improve,
    round_robin,
    rule_problems,
    split_territory,
    territory_focus,
)
from salesim.scenario.accounts import Accounts, TeamTerritories

SEGMENTS = ("smb", "mid", "enterprise")
INDUSTRIES = ("it", "retail", "services")
REGIONS = ("kanto", "kansai", "kyushu")


def book(segment: list[int], industry: list[int], region: list[int], employees: list[int],
         potential: list[float], names: list[str] | None = None) -> AccountBook:
    n = len(segment)
    return AccountBook(
        account_id=np.arange(1, n + 1, dtype=np.int64),
        name=np.asarray(names if names is not None else [f"Co{i + 1}" for i in range(n)],
                        dtype=object),
        segment=np.asarray(segment, dtype=np.int16), segment_names=SEGMENTS,
        industry=np.asarray(industry, dtype=np.int32), industry_names=INDUSTRIES,
        region=np.asarray(region, dtype=np.int32), region_names=REGIONS,
        employees=np.asarray(employees, dtype=np.int64),
        revenue=np.asarray(potential, dtype=np.float64) * 500,
        potential=np.asarray(potential, dtype=np.float64))


def heavy_tailed(n: int, seed: int = 2) -> AccountBook:
    """A universe whose potential has a heavy right tail (lognormal, p90 = 12 x median)."""
    spec = Accounts.model_validate({
        "count": n,
        "segments": {"smb": {"share": "90%",
                             "employees": {"lognormal": {"median": 10, "p90": 80}},
                             "revenue": {"lognormal": {"median": "100M", "p90": "1.2B"}}},
                     "enterprise": {"share": "10%",
                                    "employees": {"lognormal": {"median": 1500, "p90": 9000}},
                                    "revenue": {"lognormal": {"median": "20B", "p90": "240B"}},
                                    "potential_cap": "20M"}},
        "industries": {"it": "30%", "retail": "40%", "services": "30%"},
        "regions": {"kanto": "50%", "kansai": "30%", "kyushu": "20%"},
    })
    return build_accounts(spec, ["smb", "mid", "enterprise"], np.random.default_rng(seed),
                          Path("."))


def rules(**teams: dict[str, Any]) -> dict[str, TeamTerritories]:
    return {name.replace("_", " "): TeamTerritories.model_validate(data)
            for name, data in teams.items()}



# ----------------------------------------------------------------------------- carving rules


def small() -> AccountBook:
    #            0  1  2  3  4  5
    return book(segment=[0, 0, 2, 1, 2, 0], industry=[0, 1, 2, 0, 1, 2],
                region=[0, 1, 0, 2, 1, 2], employees=[5, 40, 5000, 300, 2000, 9],
                potential=[1, 2, 3, 4, 5, 6], names=["Acme", "Beta", "Gamma", "Delta",
                                                      "Eps", "Zeta"])


def test_named_accounts_come_before_every_rule_and_rules_go_in_order() -> None:
    carved = carve(small(), rules(
        Commercial={"covers": [{"regions": ["kanto"]}, {"segments": ["smb"]}]},
        Enterprise={"named_accounts": ["Acme", 5], "covers": [{"segments": ["enterprise"]}]},
    ), {"Commercial": 1, "Enterprise": 1})
    # Acme (kanto smb) and account 5 (Eps) are named; Gamma is enterprise but kanto,
    # which Commercial's first rule takes before Enterprise's rule is reached
    assert carved.team.tolist() == [1, 0, 0, UNCOVERED, 1, 0]
    assert carved.territory.tolist() == [0, 0, 0, UNCOVERED, 0, 0]


def test_conditions_in_one_rule_must_all_hold_and_an_empty_rule_takes_the_rest() -> None:
    carved = carve(small(), rules(
        Mid_band={"covers": [{"employees": "100-2000", "industries": ["it", "retail"]}]},
        Rest={"covers": [{}]},
    ), {"Mid band": 1, "Rest": 1})
    assert carved.team.tolist() == [1, 1, 1, 0, 0, 1]


def test_territory_counts_come_from_the_spec_or_the_seats() -> None:
    carved = carve(small(), rules(A={"covers": [{"regions": ["kanto"]}], "territories": 2},
                                  B={"covers": [{}]}), {"A": 9, "B": 3})
    assert carved.territory_counts == (2, 3)
    assert carved.offsets.tolist() == [0, 2, 5]
    assert carved.territory_team.tolist() == [0, 0, 1, 1, 1]
    with pytest.raises(ValueError, match="team 'B' has no territories set and no seats"):
        carve(small(), rules(B={"covers": [{}]}), {})


def test_a_team_without_seats_holds_its_accounts_as_house_accounts() -> None:
    carved = carve(small(), rules(A={"covers": [{}]}), {"A": 0})
    assert carved.team.tolist() == [0] * 6
    assert carved.territory.tolist() == [UNCOVERED] * 6
    assert balance_measures(carved.potential, carved.territory, 0)["covered_share"] == 0.0


def test_the_territories_record_table() -> None:
    carved = carve(small(), rules(A={"covers": [{"regions": ["kanto"]}]},
                                  B={"covers": [{}]}), {"A": 1, "B": 2})
    frame = carved.to_frame()
    assert frame["territory_id"].tolist() == [1, 2, 3]
    assert frame["team"].astype(str).tolist() == ["A", "B", "B"]
    assert frame["index"].tolist() == [0, 0, 1]
    assert frame["accounts"].tolist() == [2, 2, 2]
    assert frame["potential"].sum() == 21
    assert frame["potential"].tolist()[0] == 4  # Acme 1 + Gamma 3


def test_owner_columns_for_the_accounts_table() -> None:
    carved = carve(small(), rules(A={"covers": [{"regions": ["kanto"]}]},
                                  B={"covers": [{"regions": ["kansai"]}]}), {"A": 1, "B": 0})
    owners = carved.owner_frame()
    assert owners["team"].astype(object).where(owners["team"].notna(), None).tolist() == [
        "A", "B", "A", None, "B", None]
    assert owners["territory_id"].tolist() == [1, 0, 1, 0, 0, 0]


def test_rule_problems_against_a_loaded_universe() -> None:
    problems = rule_problems(small(), rules(
        A={"named_accounts": ["Acme", "Acne", 6, 60],
           "covers": [{"regions": ["kanto", "tohoku"], "industries": ["IT"]}]}))
    assert [p.path for p in problems] == [
        ("territories", "A", "covers", 0, "regions", "tohoku"),
        ("territories", "A", "covers", 0, "industries", "IT"),
        ("territories", "A", "named_accounts", 1),
        ("territories", "A", "named_accounts", 3)]
    assert problems[1].hint == "known industries: it, retail, services"
    assert problems[3].message == "account id 60 is not in the account universe"


# ----------------------------------------------------------------------------- every account once


def reference_owner(accounts: AccountBook, spec: dict[str, TeamTerritories], i: int) -> int:
    """The owning team of account ``i``, one account at a time, straight from the rules."""
    for code, team in enumerate(spec.values()):
        for key in team.named_accounts:
            if (isinstance(key, int) and key == accounts.account_id[i]) or key == accounts.name[i]:
                return code
    for code, team in enumerate(spec.values()):
        for rule in team.covers:
            band = rule.employees
            if ((not rule.regions or REGIONS[accounts.region[i]] in rule.regions)
                    and (not rule.industries or INDUSTRIES[accounts.industry[i]] in rule.industries)
                    and (not rule.segments or SEGMENTS[accounts.segment[i]] in rule.segments)
                    and (band is None or (band.min <= accounts.employees[i]
                                          and (band.max is None
                                               or accounts.employees[i] <= band.max)))):
                return code
    return UNCOVERED


@st.composite
def universes_and_rules(draw: st.DrawFn) -> tuple[AccountBook, dict[str, TeamTerritories],
                                                  dict[str, int]]:
    n = draw(st.integers(1, 60))
    codes = st.lists(st.integers(0, 2), min_size=n, max_size=n)
    potential = draw(st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1e7)), min_size=n,
                              max_size=n))
    accounts = book(draw(codes), draw(codes), draw(codes),
                    draw(st.lists(st.integers(1, 5000), min_size=n, max_size=n)), potential)
    rule = st.fixed_dictionaries({}, optional={
        "regions": st.lists(st.sampled_from(REGIONS), max_size=2, unique=True),
        "industries": st.lists(st.sampled_from(INDUSTRIES), max_size=2, unique=True),
        "segments": st.lists(st.sampled_from(SEGMENTS), max_size=2, unique=True),
        "employees": st.sampled_from(["1-99", "100-999", "50+"]),
    })
    teams = {}
    for index in range(draw(st.integers(1, 3))):
        named = draw(st.lists(st.one_of(st.integers(1, n + 2),
                                        st.sampled_from(["Co1", "Co2", "Co9", "nobody"])),
                              max_size=3, unique=True))
        covers = draw(st.lists(rule, min_size=0 if named else 1, max_size=3))
        teams[f"team {index}"] = TeamTerritories.model_validate({
            "named_accounts": named, "covers": covers,
            "balance": draw(st.sampled_from(["potential", "workload", "both"]))})
    seats = {name: draw(st.integers(1, 6)) for name in teams}
    return accounts, teams, seats


@settings(max_examples=150, deadline=None)
@given(universes_and_rules())
def test_every_account_is_in_exactly_one_territory_of_the_first_team_that_claims_it(
        case: tuple[AccountBook, dict[str, TeamTerritories], dict[str, int]]) -> None:
    accounts, spec, seats = case
    carved = carve(accounts, spec, seats)
    expected = [reference_owner(accounts, spec, i) for i in range(len(accounts))]
    assert carved.team.tolist() == expected
    covered = carved.team >= 0
    counts = np.asarray(carved.territory_counts)
    assert np.all((carved.territory[covered] >= 0)
                  & (carved.territory[covered] < counts[carved.team[covered]]))
    assert np.all(carved.territory[~covered] == UNCOVERED)
    # the territories' member lists partition the covered accounts
    members = np.concatenate([carved.members(t) for t in range(carved.total_territories)])
    assert sorted(members.tolist()) == np.flatnonzero(covered).tolist()
    assert carved.territory_workload().sum() == covered.sum()
    for code, team in enumerate(spec.values()):
        if team.balance != "potential":
            workload = np.bincount(carved.territory[carved.team == code],
                                   minlength=counts[code])
            assert workload.max() - workload.min() <= 1


# ----------------------------------------------------------------------------- balancing


@pytest.mark.parametrize("balance", ["both", "potential"])
def test_balancing_beats_round_robin_by_the_target_margin(balance: str) -> None:
    accounts = heavy_tailed(40_000)
    k = 25
    carved = carve(accounts, rules(Field={"covers": [{}], "balance": balance}), {"Field": k})
    ours = balance_measures(accounts.potential, carved.territory, k)
    baseline = balance_measures(accounts.potential, round_robin(len(accounts), k), k)
    assert baseline["max_min_ratio"] > 1.2  # the tail makes round robin uneven
    assert ours["max_min_ratio"] - 1 <= (baseline["max_min_ratio"] - 1) / 2
    assert ours["max_min_ratio"] < 1.01
    assert ours["gini"] < baseline["gini"] / 10
    assert ours["covered_share"] == 1.0


def test_balancing_both_keeps_account_counts_within_one() -> None:
    accounts = heavy_tailed(10_001)
    carved = carve(accounts, rules(Field={"covers": [{}]}), {"Field": 7})
    counts = np.bincount(carved.territory)
    assert counts.max() - counts.min() <= 1


def test_workload_balance_cuts_equal_runs_that_keep_regions_together() -> None:
    accounts = heavy_tailed(3_000)
    carved = carve(accounts, rules(Field={"covers": [{}], "balance": "workload"}), {"Field": 6})
    assert np.bincount(carved.territory).tolist() == [500] * 6
    key = (accounts.region.astype(np.int64) * 10 + accounts.industry) * 10 + accounts.segment
    ranges = [(key[carved.territory == t].min(), key[carved.territory == t].max())
              for t in range(6)]
    assert all(high <= next_low for (_, high), (next_low, _) in itertools.pairwise(ranges))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=80), st.integers(2, 6), st.booleans())
def test_improvement_never_widens_the_gap_and_swaps_keep_counts(
        weights: list[float], k: int, allow_moves: bool) -> None:
    values = np.asarray(weights)
    start, _ = blocked_lpt(values, k)
    better = improve(values, start, k, allow_moves=allow_moves)
    before = np.bincount(start, weights=values, minlength=k)
    after = np.bincount(better, weights=values, minlength=k)
    assert after.max() - after.min() <= before.max() - before.min() + 1e-6
    assert better.min() >= 0
    assert better.max() < k
    if not allow_moves:
        assert np.bincount(better, minlength=k).tolist() == np.bincount(start,
                                                                        minlength=k).tolist()


def test_improvement_finds_the_swap_that_evens_two_territories() -> None:
    values = np.array([10.0, 6.0, 1.0, 7.0, 2.0])  # 17 against 9: half the gap is 4
    better = improve(values, np.array([0, 0, 0, 1, 1]), 2, allow_moves=False)
    # the one swap moving exactly 4 exchanges the 6 for the 2
    assert better.tolist() == [0, 1, 0, 1, 0]
    assert np.bincount(better, weights=values).tolist() == [13.0, 13.0]


def test_improvement_may_move_one_account_when_counts_are_free() -> None:
    values = np.array([5.0, 3.0, 2.0, 4.0])  # 10 against 4: moving the 3 gives 7 and 7
    better = improve(values, np.array([0, 0, 0, 1]), 2, allow_moves=True)
    assert better.tolist() == [0, 1, 0, 1]


# ----------------------------------------------------------------------------- a rep leaves


def test_splitting_a_territory_keeps_every_account_owned_and_the_team_balanced() -> None:
    accounts = heavy_tailed(20_000)
    k = 10
    carved = carve(accounts, rules(Field={"covers": [{}]}), {"Field": k})
    moved = split_territory(carved, 3)
    assert sorted(moved.accounts.tolist()) == carved.members(3).tolist()
    assert not np.isin(moved.territory, [3]).any()
    after = carved.reassigned(moved.accounts, moved.territory)
    assert np.all(after.team == carved.team)
    assert np.all(after.territory >= 0)
    assert len(after.members(3)) == 0
    untouched = np.setdiff1d(np.arange(len(accounts)), moved.accounts)
    assert np.array_equal(after.territory[untouched], carved.territory[untouched])
    remaining = after.territory_potential()[np.arange(k) != 3]
    assert remaining.max() / remaining.min() < 1.01
    # and much better than handing the whole territory to one colleague
    lumped = carved.territory_potential()[np.arange(k) != 3].copy()
    lumped[0] += carved.territory_potential()[3]
    assert lumped.max() / lumped.min() > 1.5


def test_splitting_a_workload_territory_spreads_its_accounts_evenly() -> None:
    accounts = heavy_tailed(1_000)
    carved = carve(accounts, rules(Field={"covers": [{}], "balance": "workload"}), {"Field": 4})
    moved = split_territory(carved, 1)
    after = carved.reassigned(moved.accounts, moved.territory)
    counts = np.bincount(after.territory, minlength=4)
    assert counts[1] == 0
    assert sorted(counts.tolist()) == [0, 333, 333, 334]


def test_splitting_uses_the_right_team_and_refuses_a_lone_territory() -> None:
    carved = carve(small(), rules(A={"covers": [{"regions": ["kanto"]}]},
                                  B={"covers": [{}]}), {"A": 1, "B": 2})
    moved = split_territory(carved, 2)  # team B's second territory
    assert set(carved.team[moved.accounts].tolist()) == {1}
    assert set(moved.territory.tolist()) == {0}
    with pytest.raises(ValueError, match="team 'A' has no other territory"):
        split_territory(carved, 0)


# ----------------------------------------------------------------------------- measures


def test_balance_measures_by_hand() -> None:
    values = np.array([2.0, 2.0, 1.0, 5.0, 9.0])
    measures = balance_measures(values, np.array([0, 1, 1, 2, -1]), 3)
    # totals 2, 3, 5: Gini = 2 (1*2 + 2*3 + 3*5) / (3 * 10) - 4/3
    assert measures["max"] == 5.0
    assert measures["min"] == 2.0
    assert measures["max_min_ratio"] == 2.5
    assert measures["gini"] == pytest.approx(2 * 23 / 30 - 4 / 3)
    assert measures["covered_share"] == pytest.approx(10 / 19)
    assert balance_measures(values, np.array([0, 0, 0, 0, 0]), 2)["max_min_ratio"] == np.inf


def test_gini_and_round_robin() -> None:
    assert gini(np.array([3.0, 3.0])) == 0.0
    assert gini(np.array([0.0, 0.0, 0.0, 0.0, 10.0])) == pytest.approx(0.8)
    assert round_robin(7, 3).tolist() == [0, 1, 2, 0, 1, 2, 0]


def test_balance_by_team_measures_each_team_on_its_own() -> None:
    carved = carve(small(), rules(A={"covers": [{"regions": ["kanto"]}]},
                                  B={"covers": [{}]}), {"A": 1, "B": 2})
    measures = carved.balance_by_team()
    assert measures["A"]["max"] == 4.0
    assert measures["A"]["max_min_ratio"] == 1.0
    assert measures["B"]["max"] + measures["B"]["min"] == 17.0


# ----------------------------------------------------------------------------- fit


def test_fit_favours_the_industry_holding_most_potential_not_most_accounts() -> None:
    # one territory: ten small retail accounts, two large it accounts
    accounts = book(segment=[0] * 12, industry=[1] * 10 + [0] * 2, region=[0] * 12,
                    employees=[10] * 12, potential=[1.0] * 10 + [20.0, 20.0])
    spec = rules(Field={"covers": [{}], "fit": {"industry": 1.5, "segment": 1.2}})
    carved = carve(accounts, spec, {"Field": 1})
    industry_focus, segment_focus = territory_focus(accounts, carved)
    assert industry_focus.tolist() == [0]
    assert segment_focus.tolist() == [0]
    multiplier = fit_multiplier(accounts, carved, spec)
    assert multiplier.tolist() == pytest.approx([1.2] * 10 + [1.8, 1.8])


def test_fit_is_per_territory_and_one_outside_any_territory() -> None:
    accounts = book(segment=[0, 0, 1, 1, 2], industry=[0, 1, 2, 2, 0], region=[0, 0, 1, 1, 2],
                    employees=[1] * 5, potential=[5.0, 1.0, 2.0, 3.0, 9.0])
    spec = rules(East={"covers": [{"regions": ["kanto"]}], "fit": {"industry": 2}},
                 West={"covers": [{"regions": ["kansai"]}], "fit": {"industry": 3}})
    carved = carve(accounts, spec, {"East": 1, "West": 1})
    assert territory_focus(accounts, carved)[0].tolist() == [0, 2]
    assert fit_multiplier(accounts, carved, spec).tolist() == [2.0, 1.0, 3.0, 3.0, 1.0]


def test_an_empty_territory_has_no_focus() -> None:
    carved = TerritoryMap(("A",), (2,), ("both",), np.zeros(1, dtype=np.int16),
                          np.zeros(1, dtype=np.int32), np.array([4.0]))
    accounts = book([0], [1], [0], [1], [4.0])
    assert territory_focus(accounts, carved)[0].tolist() == [1, -1]
