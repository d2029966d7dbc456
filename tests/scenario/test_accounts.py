"""The ``accounts:`` and ``territories:`` sections: their forms, and the problems
reported at the path they concern."""

from __future__ import annotations

import doctest
from typing import Any

import pytest
from pydantic import ValidationError

import salesim.scenario.accounts as accounts_module
import salesim.scenario.rows as rows_module
from salesim.scenario.accounts import (
    TERRITORY_TEAM_KINDS,
    UNSPECIFIED,
    Accounts,
    SizeBand,
    TeamTerritories,
    accounts_problems,
    territory_problems,
)

SMB = {"employees": {"lognormal": {"median": 8, "p90": 40}},
       "revenue": {"lognormal": {"median": "80M", "p90": "600M"}}}
ENTERPRISE = {"employees": {"lognormal": {"median": 2000, "p90": 9000}}, "revenue": "50B"}


def generated(**changes: Any) -> Accounts:
    data: dict[str, Any] = {
        "count": 1000,
        "segments": {"smb": {"share": "80%", **SMB}, "enterprise": {"share": "20%", **ENTERPRISE}},
        "industries": {"it": "40%", "retail": "60%"},
        "regions": {"kanto": "70%", "kansai": "30%"},
    }
    data.update(changes)
    return Accounts.model_validate(data)


def team(**data: Any) -> TeamTerritories:
    return TeamTerritories.model_validate(data)


def paths(problems: list[Any]) -> list[tuple[str | int, ...]]:
    return [p.path for p in problems]


@pytest.mark.parametrize("module", [accounts_module, rows_module])
def test_documentation_examples_run(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


# ----------------------------------------------------------------------------- accounts forms


def test_generated_form_reads_shares_money_and_distributions() -> None:
    spec = generated(potential_cap="20M")
    assert spec.generated
    assert spec.segments is not None
    assert spec.segments["smb"].share == pytest.approx(0.8)
    assert spec.potential_cap == 20e6
    assert spec.segments["enterprise"].revenue.sampler().mean == 50e9
    assert spec.segment_counts() == {"smb": 800, "enterprise": 200}


def test_segment_counts_round_by_largest_remainder_to_the_exact_total() -> None:
    spec = Accounts.model_validate({"count": 7, "segments": {
        name: {"share": 1 / 3, **SMB} for name in ("a", "b", "c")}})
    counts = spec.segment_counts()
    assert sum(counts.values()) == 7
    assert sorted(counts.values()) == [2, 2, 3]


def test_counts_per_segment_need_no_total() -> None:
    spec = Accounts.model_validate({"segments": {"smb": {"count": 30, **SMB},
                                                 "enterprise": {"count": 5, **ENTERPRISE}}})
    assert spec.segment_counts() == {"smb": 30, "enterprise": 5}
    assert spec.industry_mix == {UNSPECIFIED: 1.0}
    assert spec.region_mix == {UNSPECIFIED: 1.0}


@pytest.mark.parametrize(("data", "message"), [
    ({"segments": {"smb": SMB}, "count": 5}, "either share"),
    ({"segments": {"smb": {"share": 1, "count": 5, **SMB}}, "count": 5}, "either share"),
    ({"segments": {"smb": {"share": 1, **SMB}}}, "need accounts.count"),
    ({"segments": {"smb": {"share": 0.5, **SMB}, "ent": {"count": 3, **SMB}}, "count": 5},
     "every segment a share"),
    ({"segments": {"smb": {"count": 3, **SMB}}, "count": 3}, "leave it out"),
    ({}, "either file"),
    ({"file": "c.csv", "segments": {"smb": {"count": 3, **SMB}}}, "either file"),
    ({"file": "c.csv", "industries": {"it": 1}}, "only apply to a generated"),
    ({"file": "c.xlsx"}, "neither a .csv nor a .parquet"),
    ({"segments": {"smb": {"count": 3, **SMB}}, "size_bands": {"smb": "1+"}},
     "only apply to a company list"),
])
def test_inconsistent_accounts_forms_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Accounts.model_validate(data)


@pytest.mark.parametrize(("written", "low", "high"), [
    ("1-99", 1, 99), ("1,000+", 1000, None), ("100 〜 999", 100, 999), ([5, 10], 5, 10),
    ({"min": 3}, 3, None), ("0..9", 0, 9),
])
def test_size_bands_read_every_written_form(written: Any, low: int, high: int | None) -> None:
    band = SizeBand.model_validate(written)
    assert (band.min, band.max) == (low, high)
    assert SizeBand.model_validate(str(band)) == band


@pytest.mark.parametrize(("written", "message"), [
    ("lots", "not a size band"), ("99-1", "below where it starts"), ({"min": -1}, "greater"),
])
def test_bad_size_bands_are_explained(written: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SizeBand.model_validate(written)


def test_sections_round_trip_through_their_plain_form() -> None:
    spec = generated(potential_cap="20M")
    assert Accounts.model_validate(spec.model_dump(mode="json")) == spec
    loaded = Accounts.model_validate({"file": "c.parquet", "size_bands": {"smb": "1-99"}})
    assert Accounts.model_validate(loaded.model_dump(mode="json")) == loaded
    rules = team(named_accounts=["Acme", 12], covers=[{"regions": ["kanto"],
                                                      "employees": "100+"}],
                 fit={"industry": 1.5})
    assert TeamTerritories.model_validate(rules.model_dump(mode="json")) == rules


# ----------------------------------------------------------------------------- accounts problems


def test_a_valid_generated_universe_has_no_problems() -> None:
    assert accounts_problems(generated(), ["smb", "enterprise"]) == []


def test_mixes_that_do_not_add_to_100_percent_are_reported_at_their_path() -> None:
    spec = generated(industries={"it": "40%", "retail": "50%"},
                     regions={"kanto": "70%", "kansai": "40%"},
                     segments={"smb": {"share": "80%", **SMB},
                               "enterprise": {"share": "10%", **ENTERPRISE}})
    problems = accounts_problems(spec, ["smb", "enterprise"])
    assert paths(problems) == [("accounts", "segments"), ("accounts", "industries"),
                               ("accounts", "regions")]
    assert "10 points short of 100%" in problems[0].message
    assert "10 points over 100%" in problems[2].message


def test_segments_the_scenario_lacks_are_reported_with_the_closest_name() -> None:
    problems = accounts_problems(generated(), ["smb", "enterprises"])
    assert paths(problems) == [("accounts", "segments", "enterprise")]
    assert problems[0].hint == "did you mean 'enterprises'?"


def test_size_bands_must_name_segments_and_not_overlap() -> None:
    spec = Accounts.model_validate({"file": "c.csv", "size_bands": {
        "smb": "1-99", "mid": "90-999", "enterprize": "1000+"}})
    problems = accounts_problems(spec, ["smb", "mid", "enterprise"])
    assert paths(problems) == [("accounts", "size_bands", "enterprize"),
                               ("accounts", "size_bands", "mid")]
    assert problems[1].message == "90-999 overlaps smb (1-99)"


# ----------------------------------------------------------------------------- territories


KINDS = {"Enterprise AE": "ae", "Commercial AE": "ae", "インサイドセールス": "sdr", "CS": "cs"}


def test_valid_territories_have_no_problems() -> None:
    rules = {"Enterprise AE": team(named_accounts=["Acme"], covers=[{"segments": ["enterprise"]}]),
             "Commercial AE": team(covers=[{"regions": ["kanto"], "industries": ["it"]}, {}])}
    assert territory_problems(rules, generated(), KINDS) == []


def test_an_unknown_team_is_reported_with_the_closest_name() -> None:
    problems = territory_problems({"Enterprise  AE": team(covers=[{}])}, generated(), KINDS)
    assert paths(problems) == [("territories", "Enterprise  AE")]
    assert problems[0].message == "'Enterprise  AE' is not a team"
    assert problems[0].hint == "did you mean 'Enterprise AE'?"


def test_a_team_of_a_kind_without_territories_is_reported() -> None:
    assert "sdr" not in TERRITORY_TEAM_KINDS
    problems = territory_problems({"インサイドセールス": team(covers=[{}])}, generated(), KINDS)
    assert paths(problems) == [("territories", "インサイドセールス")]
    assert "kind sdr" in problems[0].message
    assert "Enterprise AE" in problems[0].hint


def test_a_named_account_on_two_teams_is_reported_where_it_is_named_again() -> None:
    rules = {"Enterprise AE": team(named_accounts=["Acme", 7]),
             "Commercial AE": team(named_accounts=["Beta", 7, "Acme"])}
    problems = territory_problems(rules, generated(), KINDS)
    assert paths(problems) == [("territories", "Commercial AE", "named_accounts", 1),
                               ("territories", "Commercial AE", "named_accounts", 2)]
    assert problems[0].message == "account id 7 is already named by team 'Enterprise AE'"
    assert problems[1].message == "'Acme' is already named by team 'Enterprise AE'"


def test_a_named_account_listed_twice_by_one_team_is_reported() -> None:
    problems = territory_problems({"Enterprise AE": team(named_accounts=["Acme", "Acme"])},
                                  generated(), KINDS)
    assert paths(problems) == [("territories", "Enterprise AE", "named_accounts", 1)]
    assert "this list (item 1)" in problems[0].message


def test_an_account_id_and_a_name_that_look_alike_are_different_accounts() -> None:
    rules = {"Enterprise AE": team(named_accounts=[12]),
             "Commercial AE": team(named_accounts=["12"])}
    assert territory_problems(rules, generated(), KINDS) == []


def test_names_a_generated_universe_lacks_are_reported_at_the_rule() -> None:
    rules = {"Commercial AE": team(covers=[{}, {"regions": ["kanto", "kansia"],
                                                "industries": ["IT"],
                                                "segments": ["mid"]}])}
    problems = territory_problems(rules, generated(), KINDS)
    base = ("territories", "Commercial AE", "covers", 1)
    assert paths(problems) == [(*base, "segments", "mid"), (*base, "industries", "IT"),
                               (*base, "regions", "kansia")]
    assert problems[2].hint == "did you mean 'kansai'?"


def test_names_are_not_checked_against_a_company_list_before_it_is_loaded() -> None:
    listed = Accounts.model_validate({"file": "c.csv", "size_bands": {"smb": "1+"}})
    rules = {"Commercial AE": team(covers=[{"regions": ["anywhere"]}])}
    assert territory_problems(rules, listed, KINDS) == []


def test_territories_without_an_account_universe_are_reported() -> None:
    problems = territory_problems({"Commercial AE": team(covers=[{}])}, None, KINDS)
    assert paths(problems) == [("territories",)]


@pytest.mark.parametrize(("data", "message"), [
    ({}, "claims no accounts"),
    ({"covers": [{}], "balance": "fair"}, "potential"),
    ({"covers": [{}], "on_rep_leaving": "fire"}, "hold"),
    ({"covers": [{}], "fit": {"industry": 0}}, "greater than 0"),
    ({"covers": [{}], "territories": 0}, "greater than or equal to 1"),
    ({"named_accounts": [-3]}, "greater than or equal to 0"),
])
def test_bad_team_territory_settings_are_explained(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TeamTerritories.model_validate(data)


def test_team_territory_defaults() -> None:
    rules = team(covers=[{}])
    assert (rules.balance, rules.on_rep_leaving, rules.territories) == ("both", "hold", None)
    assert (rules.fit.industry, rules.fit.segment) == (1.0, 1.0)


def test_the_editor_schema_accepts_the_written_forms_of_size_bands() -> None:
    import jsonschema

    schema = Accounts.model_json_schema()
    jsonschema.validate({"file": "c.csv", "size_bands": {
        "smb": "1-99", "mid": "100〜999", "big": "1,000+", "any": {"min": 3}}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"file": "c.csv", "size_bands": {"smb": "lots"}}, schema)
    dumped = Accounts.model_validate({"file": "c.csv", "size_bands": {"smb": {"min": 1, "max": 9}}}
                                     ).model_dump(mode="json")
    assert dumped["size_bands"] == {"smb": "1-9"}
