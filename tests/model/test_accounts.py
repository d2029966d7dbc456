"""The account universe: generated to its spec, or loaded from a company list and
checked row by row."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesim.model.accounts import AccountBook, build_accounts, generated_names
from salesim.scenario import ScenarioError
from salesim.scenario.accounts import UNSPECIFIED, Accounts
from salesim.scenario.rows import SHOWN_ROW_ISSUES

SEGMENTS = ["smb", "mid", "enterprise"]
SMB_REVENUE = {"median": 80e6, "p90": 600e6}


def spec(**changes: Any) -> Accounts:
    data: dict[str, Any] = {
        "count": 20_000,
        "segments": {
            "smb": {"share": "80%", "employees": {"lognormal": {"median": 8, "p90": 40}},
                    "revenue": {"lognormal": SMB_REVENUE}},
            "enterprise": {"share": "20%",
                           "employees": {"lognormal": {"median": 2000, "p90": 9000}},
                           "revenue": {"lognormal": {"median": "50B", "p90": "400B"}},
                           "potential_share": "0.1%", "potential_cap": "30M"},
        },
        "industries": {"it": "40%", "retail": "35%", "services": "25%"},
        "regions": {"kanto": "70%", "kansai": "30%"},
    }
    data.update(changes)
    return Accounts.model_validate(data)


def generate(seed: int = 1, **changes: Any) -> AccountBook:
    return build_accounts(spec(**changes), SEGMENTS, np.random.default_rng(seed), Path("."))


def within_binomial(count: int, n: int, share: float, sigmas: float = 4.0) -> bool:
    return abs(count / n - share) <= sigmas * math.sqrt(share * (1 - share) / n)



# ----------------------------------------------------------------------------- generating


def test_segment_counts_are_exact_and_codes_index_the_scenarios_segments() -> None:
    book = generate()
    assert len(book) == 20_000
    assert book.segment_names == tuple(SEGMENTS)
    assert np.bincount(book.segment, minlength=3).tolist() == [16_000, 0, 4_000]


def test_industries_and_regions_follow_their_mixes() -> None:
    book = generate()
    n = len(book)
    for codes, names, mix in ((book.industry, book.industry_names,
                               {"it": 0.4, "retail": 0.35, "services": 0.25}),
                              (book.region, book.region_names, {"kanto": 0.7, "kansai": 0.3})):
        counts = np.bincount(codes, minlength=len(names))
        for code, name in enumerate(names):
            assert within_binomial(int(counts[code]), n, mix[name]), (name, counts[code])


def test_revenue_follows_its_distribution_in_each_segment() -> None:
    book = generate()
    revenue = book.revenue[book.segment == 0]
    n = len(revenue)
    mu = math.log(SMB_REVENUE["median"])
    sigma = (math.log(SMB_REVENUE["p90"]) - mu) / stats.norm.ppf(0.9)
    # the sample median of a normal has standard error 1.2533 sigma / sqrt(n)
    assert abs(np.median(np.log(revenue)) - mu) < 4 * 1.2533 * sigma / math.sqrt(n)
    assert within_binomial(int((revenue > SMB_REVENUE["p90"]).sum()), n, 0.1)


def test_employees_are_whole_and_at_least_one() -> None:
    book = generate()
    assert book.employees.dtype == np.int64
    assert book.employees.min() >= 1
    smb = book.employees[book.segment == 0]
    # rounding: at most 8 employees means fewer than 8.5 drawn
    sigma = math.log(40 / 8) / stats.norm.ppf(0.9)
    expected = stats.norm.cdf(math.log(8.5 / 8) / sigma)
    assert within_binomial(int((smb <= 8).sum()), len(smb), expected)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8])
def test_employees_and_revenue_have_the_gaussian_copulas_rank_correlation(rho: float) -> None:
    book = generate(size_revenue_correlation=rho)
    enterprise = book.segment == 2  # few ties in employee counts of this size
    observed = stats.spearmanr(book.employees[enterprise], book.revenue[enterprise]).statistic
    expected = 6 / math.pi * math.asin(rho / 2)
    assert abs(observed - expected) < 0.05


def test_potential_is_a_share_of_revenue_capped_per_segment() -> None:
    book = generate(potential_share="0.5%")
    smb, enterprise = book.segment == 0, book.segment == 2
    np.testing.assert_allclose(book.potential[smb], book.revenue[smb] * 0.005)
    np.testing.assert_allclose(book.potential[enterprise],
                               np.minimum(book.revenue[enterprise] * 0.001, 30e6))
    assert book.potential[enterprise].max() == 30e6


def test_generation_is_reproducible_and_rows_are_shuffled() -> None:
    first, again, other = generate(seed=5), generate(seed=5), generate(seed=6)
    pd.testing.assert_frame_equal(first.to_frame(), again.to_frame())
    assert not np.array_equal(first.revenue, other.revenue)
    # a company database is not sorted by size: enterprises are spread through the list
    positions = np.flatnonzero(first.segment == 2)
    assert positions.min() < 200
    assert positions.max() > 19_800


def test_ids_run_from_one_and_names_are_unique() -> None:
    book = generate()
    assert book.account_id.tolist() == list(range(1, 20_001))
    assert book.name[0] == "A00001"
    assert book.name[-1] == "A20000"
    assert len(set(book.name.tolist())) == len(book)
    assert generated_names(np.array([7])).tolist() == ["A7"]


def test_the_accounts_record_table() -> None:
    frame = generate().to_frame()
    assert list(frame.columns) == ["account_id", "name", "segment", "industry", "region",
                                   "employees", "revenue", "potential"]
    assert frame["segment"].dtype == "category"
    assert list(frame["segment"].cat.categories) == SEGMENTS
    assert set(frame["region"]) == {"kanto", "kansai"}
    assert frame["account_id"].dtype == np.int64


def test_unspecified_mixes_give_one_name() -> None:
    book = generate(industries=None, regions=None)
    assert book.industry_names == (UNSPECIFIED,)
    assert book.region_names == (UNSPECIFIED,)


# ----------------------------------------------------------------------------- loading


def listed(tmp_path: Path, name: str, bands: dict[str, str] | None = None, **extra: Any
           ) -> Accounts:
    return Accounts.model_validate({"file": name, "size_bands": bands or {
        "smb": "1-99", "mid": "100-999", "enterprise": "1000+"}, **extra})


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_company_list_round_trips(tmp_path: Path, suffix: str) -> None:
    original = generate()
    frame = original.to_frame()
    frame["name"] = "株式会社 " + frame["name"].astype(str)
    path = tmp_path / f"companies.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    loaded = build_accounts(listed(tmp_path, path.name), SEGMENTS, np.random.default_rng(0),
                            tmp_path)
    as_text = dict.fromkeys(("name", "segment", "industry", "region"), str)
    pd.testing.assert_frame_equal(loaded.to_frame().astype(as_text), frame.astype(as_text))


def test_without_a_segment_column_size_bands_decide_and_potential_follows_the_rule(
        tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        " Name ,INDUSTRY,Employees,region,revenue,potential\n"
        "Small Co,it,\"12\",kanto,\"1,000,000\",\n"
        "Mid Co,retail,150,,2000000000,5000000\n"
        "Big Co,,99999,kansai,9e11,\n", encoding="utf-8")
    book = build_accounts(listed(tmp_path, "c.csv", potential_share="1%", potential_cap="2B"),
                          SEGMENTS, np.random.default_rng(0), tmp_path)
    assert book.segment.tolist() == [0, 1, 2]
    assert book.potential.tolist() == [10_000.0, 5e6, 2e9]
    assert book.employees.tolist() == [12, 150, 99999]
    assert [book.region_names[c] for c in book.region] == ["kanto", UNSPECIFIED, "kansai"]
    assert [book.industry_names[c] for c in book.industry] == ["it", "retail", UNSPECIFIED]
    assert book.account_id.tolist() == [1, 2, 3]


def test_a_segment_column_wins_over_size_bands_where_it_is_filled(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(
        "name,industry,employees,region,revenue,segment,account_id\n"
        "A,it,5,kanto,1,enterprise,9001\nB,it,5,kanto,1,,42\n", encoding="utf-8")
    book = build_accounts(listed(tmp_path, "c.csv"), SEGMENTS, np.random.default_rng(0),
                          tmp_path)
    assert book.segment.tolist() == [2, 0]
    assert book.account_id.tolist() == [9001, 42]


HEADER = "name,industry,employees,region,revenue"


def problems_of(tmp_path: Path, text: str, name: str = "c.csv", **extra: Any) -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        build_accounts(listed(tmp_path, name, **extra), SEGMENTS, np.random.default_rng(0),
                       tmp_path)
    return [str(issue) for issue in caught.value.issues]


@pytest.mark.parametrize(("rows", "expected"), [
    ("Acme,it,many,kanto,5", ":2: employees: 'many' is not a number"),
    ("Acme,it,5,kanto,-3", ":2: revenue: -3 cannot be negative"),
    ("Acme,it,-5,kanto,3", ":2: employees: -5 cannot be negative"),
    ("Acme,it,,kanto,3", ":2: employees: no employees given"),
    ("  ,it,5,kanto,3", ":2: name: the company name is empty"),
    ("Acme,it,5,kanto,1e999", ":2: revenue: inf is not a finite number"),
])
def test_each_bad_cell_is_reported_at_its_row(tmp_path: Path, rows: str, expected: str
                                              ) -> None:
    found = problems_of(tmp_path, f"{HEADER}\n{rows}\n")
    assert found == [f"{tmp_path / 'c.csv'}{expected}"]


def test_rows_are_numbered_as_lines_of_the_csv(tmp_path: Path) -> None:
    found = problems_of(tmp_path, f"{HEADER}\nA,it,5,kanto,1\nB,it,5,kanto,1\nC,it,x,kanto,1\n")
    assert [issue.split(": ", 1)[0].rsplit(":", 1)[1] for issue in found] == ["4"]


def test_duplicated_account_ids_point_at_the_first_row(tmp_path: Path) -> None:
    found = problems_of(tmp_path, f"{HEADER},account_id\nA,it,5,kanto,1,7\nB,it,5,kanto,1,8\n"
                        "C,it,5,kanto,1,7\nD,it,5,kanto,1,2.5\n")
    assert [issue.split(str(tmp_path) + "/c.csv")[-1] for issue in found] == [
        ":4: account_id: account id 7 is also on row 2 (hint: account ids must be unique)",
        ":5: account_id: 2.5 is not a whole number"]


def test_employees_outside_every_size_band(tmp_path: Path) -> None:
    found = problems_of(tmp_path, f"{HEADER}\nA,it,0,kanto,1\nB,it,50,kanto,1\n",
                        bands={"smb": "1-99"})
    assert len(found) == 1
    assert ":2: employees: 0 employees is outside every size band (hint: size bands: smb 1-99)" \
        in found[0]


def test_an_unknown_segment_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    found = problems_of(tmp_path, f"{HEADER},segment\nA,it,5,kanto,1,SMB\n")
    assert found == [f"{tmp_path / 'c.csv'}:2: segment: 'SMB' is not a segment "
                     "(hint: segments: smb, mid, enterprise)"]


def test_missing_columns_are_listed_with_what_is_expected(tmp_path: Path) -> None:
    found = problems_of(tmp_path, "company,industry,employees\nA,it,5\n")
    assert len(found) == 1
    assert "missing columns: name, region, revenue" in found[0]
    assert "a company list has columns name, industry, employees, region, revenue" in found[0]
    assert "found: company, industry, employees" in found[0]


def test_no_segment_column_and_no_size_bands(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(f"{HEADER}\nA,it,5,kanto,1\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="no segment column"):
        build_accounts(Accounts(file="c.csv"), SEGMENTS, np.random.default_rng(0), tmp_path)


def test_every_problem_is_reported_at_once_and_many_are_summed_up(tmp_path: Path) -> None:
    rows = "".join(f"Co{i},it,x,kanto,-1\n" for i in range(40))
    found = problems_of(tmp_path, f"{HEADER}\n{rows}")
    assert len(found) == SHOWN_ROW_ISSUES + 1
    assert found[-1].endswith("... and 60 more problems in this file (hint: fix these and "
                              "check again)")
    rows_shown = [int(issue.split(": ", 1)[0].rsplit(":", 1)[1]) for issue in found[:-1]]
    assert rows_shown == sorted(rows_shown)
    assert rows_shown[0] == 2


def test_parquet_rows_count_records_from_one(tmp_path: Path) -> None:
    pd.DataFrame({"name": ["A", "B"], "industry": ["it", "it"], "employees": [5, -1],
                  "region": ["kanto", "kanto"], "revenue": [1.0, 2.0]}).to_parquet(
        tmp_path / "c.parquet")
    with pytest.raises(ScenarioError) as caught:
        build_accounts(listed(tmp_path, "c.parquet"), SEGMENTS, np.random.default_rng(0),
                       tmp_path)
    assert [str(i).split("c.parquet")[1] for i in caught.value.issues] == [
        ":2: employees: -1 cannot be negative"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("c.parquet", b"not parquet at all", "cannot read the company list"),
    ("c.csv", b'name,industry\n"unterminated,x\n', "cannot read the company list"),
])
def test_an_unreadable_file_is_one_clear_problem(tmp_path: Path, name: str, content: bytes,
                                                 message: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ScenarioError) as caught:
        build_accounts(listed(tmp_path, name), SEGMENTS, np.random.default_rng(0), tmp_path)
    assert len(caught.value.issues) == 1
    assert message in str(caught.value)
    assert caught.value.issues[0].location.line == 0


def test_a_missing_file_says_where_paths_start(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"does not exist.*relative to the scenario file"):
        build_accounts(listed(tmp_path, "nowhere.csv"), SEGMENTS, np.random.default_rng(0),
                       tmp_path)


def test_text_columns_keep_what_was_written(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text(f"{HEADER}\n007,0120,5,01,3\n", encoding="utf-8")
    book = build_accounts(listed(tmp_path, "c.csv"), SEGMENTS, np.random.default_rng(0),
                          tmp_path)
    assert book.name.tolist() == ["007"]
    assert book.industry_names == ("0120",)
    assert book.region_names == ("01",)
