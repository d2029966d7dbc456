"""The account universe: every company the organisation could sell to, as columns.

:func:`build_accounts` generates a universe from an ``accounts:`` spec or loads a
company list (CSV or Parquet), checking every row. The result is an
:class:`AccountBook`, one numpy column per attribute, so millions of accounts
take a few hundred megabytes and every operation on them is vectorised.

>>> import numpy as np
>>> from pathlib import Path
>>> from salesim.scenario.accounts import Accounts
>>> spec = Accounts.model_validate({"count": 1000, "segments": {
...     "smb": {"share": "80%", "employees": {"lognormal": {"median": 10, "p90": 50}},
...             "revenue": {"lognormal": {"median": "100M", "p90": "1B"}}},
...     "enterprise": {"share": "20%", "employees": {"lognormal": {"median": 2000, "p90": 9000}},
...                    "revenue": {"lognormal": {"median": "50B", "p90": "400B"}}}}})
>>> book = build_accounts(spec, ["smb", "enterprise"], np.random.default_rng(7), Path("."))
>>> len(book), int((book.segment == 1).sum())
(1000, 200)
>>> list(book.to_frame().columns)
['account_id', 'name', 'segment', 'industry', 'region', 'employees', 'revenue', 'potential']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from salesim.scenario.accounts import UNSPECIFIED, Accounts, SizeBand
from salesim.scenario.errors import ScenarioError, ScenarioIssue
from salesim.scenario.loader import shown_path
from salesim.scenario.rows import RowLocation, capped, row_issue

REQUIRED_COLUMNS = ("name", "industry", "employees", "region", "revenue")
OPTIONAL_COLUMNS = ("account_id", "segment", "potential")
TEXT_COLUMNS = ("name", "industry", "region", "segment")


@dataclass(frozen=True, eq=False)
class AccountBook:
    """Accounts as parallel numpy columns; row ``i`` is one account.

    ``segment``, ``industry`` and ``region`` are small integer codes into the
    matching ``*_names``. ``account_id`` is 1..n for a generated universe and the
    file's ids (or 1..n) for a company list. ``potential`` is annual ARR potential.
    """

    account_id: np.ndarray
    name: np.ndarray
    segment: np.ndarray
    segment_names: tuple[str, ...]
    industry: np.ndarray
    industry_names: tuple[str, ...]
    region: np.ndarray
    region_names: tuple[str, ...]
    employees: np.ndarray
    revenue: np.ndarray
    potential: np.ndarray

    def __len__(self) -> int:
        return len(self.account_id)

    def to_frame(self) -> pd.DataFrame:
        """The ``accounts`` record table: ``account_id, name, segment, industry,
        region, employees, revenue, potential`` (names as categories)."""
        def category(codes: np.ndarray, names: tuple[str, ...]) -> pd.Categorical[str]:
            return pd.Categorical.from_codes(codes.astype(np.int64),
                                             categories=pd.Index(list(names)))

        return pd.DataFrame({
            "account_id": self.account_id.astype(np.int64),
            "name": self.name,
            "segment": category(self.segment, self.segment_names),
            "industry": category(self.industry, self.industry_names),
            "region": category(self.region, self.region_names),
            "employees": self.employees.astype(np.int64),
            "revenue": self.revenue.astype(np.float64),
            "potential": self.potential.astype(np.float64),
        })


def build_accounts(spec: Accounts, segment_names: Sequence[str], rng: np.random.Generator,
                   base_dir: Path) -> AccountBook:
    """The universe ``spec`` describes: generated with ``rng``, or loaded from its
    file (a path relative to ``base_dir``, the scenario's folder).

    ``segment_names`` are the scenario's segments; an account's segment code
    indexes them. Loading raises :class:`~salesim.scenario.ScenarioError` with one
    ``file:row`` issue per bad row (the first 20, then a count of the rest).
    """
    if spec.generated:
        return generate_accounts(spec, segment_names, rng)
    assert spec.file is not None
    return load_company_list(Path(base_dir) / spec.file, spec, segment_names)


# ----------------------------------------------------------------------------- generating


def generate_accounts(spec: Accounts, segment_names: Sequence[str], rng: np.random.Generator
                      ) -> AccountBook:
    """A generated universe: exact segment counts (shares rounded by largest
    remainder), industries and regions drawn from their mixes, and employees and
    revenue drawn per segment with a Gaussian-copula correlation
    ``size_revenue_correlation``, so large companies tend to have large revenue
    while each keeps its own distribution. Rows come in random order (a company
    database is not sorted by size)."""
    assert spec.segments is not None
    counts = spec.segment_counts()
    code_of = {name: code for code, name in enumerate(segment_names)}
    missing = [name for name in counts if name not in code_of]
    if missing:
        raise ValueError(f"accounts.segments names unknown segments: {', '.join(missing)}")
    rho = spec.size_revenue_correlation
    segment_parts, employee_parts, revenue_parts, potential_parts = [], [], [], []
    for name, count in counts.items():
        seg = spec.segments[name]
        size_score = rng.standard_normal(count)
        revenue_score = rho * size_score + np.sqrt(1 - rho**2) * rng.standard_normal(count)
        employees = seg.employees.sampler().quantile(_probability(size_score))
        revenue = seg.revenue.sampler().quantile(_probability(revenue_score))
        share = seg.potential_share if seg.potential_share is not None else spec.potential_share
        cap = seg.potential_cap if seg.potential_cap is not None else spec.potential_cap
        segment_parts.append(np.full(count, code_of[name], dtype=np.int16))
        employee_parts.append(np.maximum(np.rint(employees), 1).astype(np.int64))
        revenue_parts.append(revenue)
        potential_parts.append(potential_rule(revenue, share, cap))
    order = rng.permutation(sum(counts.values()))
    n = len(order)
    industry_names, industry = _draw_mix(spec.industry_mix, n, rng)
    region_names, region = _draw_mix(spec.region_mix, n, rng)
    account_id = np.arange(1, n + 1, dtype=np.int64)
    return AccountBook(
        account_id=account_id,
        name=generated_names(account_id),
        segment=np.concatenate(segment_parts)[order],
        segment_names=tuple(segment_names),
        industry=industry, industry_names=industry_names,
        region=region, region_names=region_names,
        employees=np.concatenate(employee_parts)[order],
        revenue=np.concatenate(revenue_parts)[order],
        potential=np.concatenate(potential_parts)[order],
    )


def potential_rule(revenue: np.ndarray, share: float, cap: float | None) -> np.ndarray:
    """Annual ARR potential from revenue: ``share`` of it, at most ``cap``.

    >>> potential_rule(np.array([1e6, 1e9]), 0.002, 1e6).tolist()
    [2000.0, 1000000.0]
    """
    potential = np.asarray(revenue, dtype=np.float64) * share
    return potential if cap is None else np.minimum(potential, cap)


def generated_names(account_id: np.ndarray) -> np.ndarray:
    """Names ``A0000001``... for generated accounts, as a compact fixed-width array.

    >>> generated_names(np.array([1, 42])).tolist()
    ['A01', 'A42']
    """
    ids = np.asarray(account_id, dtype=np.int64)
    digits = len(str(int(ids.max()))) if len(ids) else 1
    # build the characters as code points and view them as strings: no Python loop
    chars = np.empty((len(ids), digits + 1), dtype=np.uint32)
    chars[:, 0] = ord("A")
    rest = ids.copy()
    for position in range(digits, 0, -1):
        rest, digit = np.divmod(rest, 10)
        chars[:, position] = digit + ord("0")
    return chars.view(f"<U{digits + 1}").ravel()


def _probability(score: np.ndarray) -> np.ndarray:
    # keep clear of 0 and 1, where some quantile functions are infinite
    result: np.ndarray = np.clip(special.ndtr(score), 1e-12, 1 - 1e-12)
    return result


def _draw_mix(mix: dict[str, float], n: int, rng: np.random.Generator
              ) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(mix)
    weights = np.asarray([mix[name] for name in names], dtype=np.float64)
    codes = rng.choice(len(names), size=n, p=weights / weights.sum()).astype(np.int32)
    return names, codes


# ----------------------------------------------------------------------------- loading


class _RowProblems:
    """Bad rows found column by column; messages are written only for the rows shown."""

    def __init__(self, source: str, row_offset: int) -> None:
        self.source = source
        self.row_offset = row_offset
        self.found: list[tuple[np.ndarray, str, Any, str]] = []
        self.total = 0

    def add(self, bad: np.ndarray, column: str, describe: Any, hint: str = "") -> None:
        rows = np.flatnonzero(bad)
        if len(rows):
            self.total += len(rows)
            self.found.append((rows, column, describe, hint))

    def issues(self) -> list[ScenarioIssue]:
        shown: list[ScenarioIssue] = []
        for rows, column, describe, hint in self.found:
            for row in rows[:20].tolist():
                shown.append(row_issue(self.source, row + self.row_offset, column,
                                       describe(row), hint))
        return capped(shown, self.total)


def load_company_list(path: Path, spec: Accounts, segment_names: Sequence[str]) -> AccountBook:
    """Read and check a company list; see :func:`build_accounts`.

    Column names are matched ignoring case and surrounding spaces. Blank
    industry or region cells become ``unspecified``; a blank potential cell
    follows the potential rule.
    """
    source = shown_path(path)
    table = _read_table(path, source)
    table.columns = [str(column).strip().lower() for column in table.columns]
    missing = [column for column in REQUIRED_COLUMNS if column not in table.columns]
    if missing:
        raise ScenarioError([ScenarioIssue(
            RowLocation(source), "", f"missing column{'s' if len(missing) > 1 else ''}: "
            f"{', '.join(missing)}",
            f"a company list has columns {', '.join(REQUIRED_COLUMNS)} "
            f"(optional: {', '.join(OPTIONAL_COLUMNS)}); found: "
            f"{', '.join(map(str, table.columns)) or 'none'}")])
    has_segment = "segment" in table.columns
    if not has_segment and not spec.size_bands:
        raise ScenarioError([ScenarioIssue(
            RowLocation(source), "", "the file has no segment column and the scenario no "
            "accounts.size_bands", "add size_bands, e.g. {smb: 1-99, enterprise: 100+}")])
    problems = _RowProblems(source, 2 if path.suffix.lower() == ".csv" else 1)

    names = table["name"]
    name_text = names.astype("string").str.strip()
    problems.add(name_text.isna().to_numpy() | (name_text == "").fillna(True).to_numpy(),
                 "name", lambda row: "the company name is empty")

    employees = np.rint(_numbers(table, "employees", problems, required=True))
    revenue = _numbers(table, "revenue", problems, required=True)
    potential_given = (_numbers(table, "potential", problems, required=False)
                       if "potential" in table.columns else None)
    account_id = _account_ids(table, problems)

    segment_code = np.full(len(table), -1, dtype=np.int16)
    if has_segment:
        segment_code = _segment_codes(table["segment"], segment_names, problems)
    if spec.size_bands:
        unset = segment_code < 0
        banded = _band_codes(employees, spec.size_bands, segment_names)
        segment_code = np.where(unset, banded, segment_code).astype(np.int16)
        bands = ", ".join(f"{name} {band}" for name, band in spec.size_bands.items())
        problems.add(unset & (banded < 0) & (employees >= 0), "employees",
                     lambda row: f"{employees[row]:g} employees is outside every size band",
                     f"size bands: {bands}")
    if problems.total:
        raise ScenarioError(problems.issues())

    industry_names, industry = _codes(table["industry"])
    region_names, region = _codes(table["region"])
    potential = potential_rule(revenue, spec.potential_share, spec.potential_cap)
    if potential_given is not None:
        potential = np.where(np.isnan(potential_given), potential, potential_given)
    return AccountBook(
        account_id=account_id,
        name=name_text.to_numpy(dtype=object),
        segment=segment_code,
        segment_names=tuple(segment_names),
        industry=industry, industry_names=industry_names,
        region=region, region_names=region_names,
        employees=employees.astype(np.int64),
        revenue=revenue,
        potential=potential,
    )


def _read_table(path: Path, source: str) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".csv":
            # text columns stay text (a name such as "007" keeps its zeros); numbers are
            # parsed by the reader, and a column with any cell that is not a number
            # comes back as text, to be checked cell by cell
            header = pd.read_csv(path, nrows=0).columns
            text = {column: str for column in header
                    if str(column).strip().lower() in TEXT_COLUMNS}
            return pd.read_csv(path, dtype=text, engine="pyarrow", dtype_backend="pyarrow")
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise ScenarioError([ScenarioIssue(RowLocation(source), "", "the company list "
                                           "does not exist", "paths are relative to the "
                                           "scenario file")]) from None
    except (OSError, ValueError) as error:  # pyarrow's errors derive from these
        raise ScenarioError([ScenarioIssue(RowLocation(source), "",
                                           f"cannot read the company list: {error}")]) from None


def _numbers(table: pd.DataFrame, column: str, problems: _RowProblems, *, required: bool
             ) -> np.ndarray:
    raw = table[column]
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
        blank = np.isnan(values)
        not_number = np.zeros(len(values), dtype=bool)
    else:
        text = raw.astype("string").str.strip().str.replace(",", "", regex=False)
        blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
        values = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan)
        not_number = np.isnan(values) & ~blank
    if required:
        problems.add(blank, column, lambda row: f"no {column} given")
    problems.add(not_number, column, lambda row: f"'{raw.iloc[row]}' is not a number")
    problems.add(~np.isnan(values) & ((values < 0) | ~np.isfinite(values)), column,
                 lambda row: f"{values[row]:g} cannot be negative"
                 if values[row] < 0 else f"{values[row]:g} is not a finite number")
    return values


def _account_ids(table: pd.DataFrame, problems: _RowProblems) -> np.ndarray:
    n = len(table)
    if "account_id" not in table.columns:
        return np.arange(1, n + 1, dtype=np.int64)
    values = _numbers(table, "account_id", problems, required=True)
    whole = np.isfinite(values) & (values == np.rint(values))
    problems.add(np.isfinite(values) & ~whole, "account_id",
                 lambda row: f"{values[row]:g} is not a whole number")
    ids = np.where(whole, values, -1).astype(np.int64)
    duplicated = pd.Series(ids).duplicated().to_numpy() & whole
    if duplicated.any():
        first_row = pd.Series(np.arange(n)).groupby(ids).transform("min").to_numpy()
        problems.add(duplicated, "account_id",
                     lambda row: f"account id {ids[row]} is also on row "
                     f"{first_row[row] + problems.row_offset}", "account ids must be unique")
    return ids


def _segment_codes(column: pd.Series, segment_names: Sequence[str], problems: _RowProblems
                   ) -> np.ndarray:
    text = column.astype("string").str.strip()
    known = pd.Index(list(segment_names))
    codes = known.get_indexer(pd.Index(text.fillna("")))
    blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
    problems.add((codes < 0) & ~blank, "segment",
                 lambda row: f"'{text.iloc[row]}' is not a segment",
                 f"segments: {', '.join(segment_names)}")
    return np.where(blank, -1, codes).astype(np.int16)


def _band_codes(employees: np.ndarray, bands: dict[str, SizeBand],
                segment_names: Sequence[str]) -> np.ndarray:
    codes = np.full(len(employees), -1, dtype=np.int16)
    for name, band in bands.items():
        if name not in segment_names:
            continue
        inside = employees >= band.min
        if band.max is not None:
            inside &= employees <= band.max
        codes[inside & (codes < 0)] = list(segment_names).index(name)
    return codes


def _codes(column: pd.Series) -> tuple[tuple[str, ...], np.ndarray]:
    # clean the distinct values only (few), then map every row through them
    raw_codes, uniques = pd.factorize(column)
    cleaned = [str(value).strip() or UNSPECIFIED for value in uniques]
    if (raw_codes < 0).any():
        cleaned.append(UNSPECIFIED)
        raw_codes = np.where(raw_codes < 0, len(cleaned) - 1, raw_codes)
    names = sorted(set(cleaned))
    remap = np.asarray([names.index(value) for value in cleaned], dtype=np.int32)
    return tuple(names), remap[raw_codes] if len(remap) else raw_codes.astype(np.int32)
