"""Record files: compact on disk, read back equal to the tables written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import salesim
from salesim.record_files import UNREPRODUCIBLE_INFO, narrowest, read_records, write_records
from salesim.records import Records, conform

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


@functools.cache
def records() -> Records:
    """A replication of the minimal scenario plus hand-made accounts and territories
    (texts, missing timestamps, -1 ids) so that every kind of column is written."""
    simulated = salesim.simulate(salesim.load_scenario(MINIMAL), seed=5)
    accounts = conform("accounts", pd.DataFrame({
        "account_id": [0, 1, 2], "name": ["Acme KK", "株式会社テスト", ""],
        "segment": ["smb", "smb", "smb"], "industry": ["saas", "retail", "saas"],
        "region": ["east", "west", "east"], "employees": [12.0, 3_400.0, np.nan],
        "revenue": [1.5e6, 2.25e9, 0.1], "potential": [1_000.0, 12_345.678, 0.0],
        "team": ["ae", "", "ae"], "territory_id": [0, -1, 0],
        "customer_since": pd.to_datetime(["2027-03-04 05:06:07.000000123", None, None]),
    }))
    territories = conform("territories", pd.DataFrame({
        "territory_id": [0], "team": ["ae"], "rep_id": [-1],
        "from_at": pd.to_datetime(["2027-01-01"]), "to_at": pd.to_datetime([None]),
        "accounts": [2], "potential": [1_000.0], "status": ["held"],
    }))
    return dataclasses.replace(simulated, accounts=accounts, territories=territories,
                               info={**simulated.info, "assumption:x": 0.25})


def assert_same_records(left: Records, right: Records) -> None:
    for name, table in right.tables().items():
        pd.testing.assert_frame_equal(getattr(left, name), table, check_exact=True,
                                      check_categorical=True)
    reproducible = {key: value for key, value in right.info.items()
                    if key not in UNREPRODUCIBLE_INFO}
    assert (left.start, left.end, left.seed, left.scenario_name, left.info) == (
        right.start, right.end, right.seed, right.scenario_name, reproducible)


def test_the_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    scenario = salesim.load_scenario(MINIMAL)
    for run in ("first", "again"):
        write_records(salesim.simulate(scenario, seed=5), tmp_path / run)
    for file in sorted((tmp_path / "first").iterdir()):
        assert file.read_bytes() == (tmp_path / "again" / file.name).read_bytes(), file.name


def test_records_read_back_equal_to_what_was_written(tmp_path: Path) -> None:
    original = records()
    assert len(original.leads) > 1000
    assert original.leads["first_attempt_at"].isna().any()
    original.write_parquet(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{name}.parquet" for name in Records.table_names())
    again = Records.read_parquet(tmp_path)
    assert_same_records(again, original)
    assert again.accounts["name"].tolist() == ["Acme KK", "株式会社テスト", ""]
    assert again.accounts["customer_since"].iloc[0] == pd.Timestamp(
        "2027-03-04 05:06:07.000000123")


def test_record_files_are_narrow_compressed_and_smaller_than_plain_parquet(
        tmp_path: Path) -> None:
    leads = records().leads
    write_records(records(), tmp_path / "compact")
    (tmp_path / "plain").mkdir()
    leads.to_parquet(tmp_path / "plain" / "leads.parquet", index=False)
    compact = pq.ParquetFile(tmp_path / "compact" / "leads.parquet")
    schema = compact.schema_arrow
    assert str(schema.field("lead_id").type) in ("int16", "int32")  # small ids, fewer bits
    assert str(schema.field("cycle").type) == "int8"
    assert str(schema.field("cost").type) == "float"  # whole prices are exact in 32 bits
    assert str(schema.field("score").type) == "double"  # scores are not
    assert compact.metadata.row_group(0).column(0).compression == "ZSTD"
    assert ((tmp_path / "compact" / "leads.parquet").stat().st_size
            < 0.8 * (tmp_path / "plain" / "leads.parquet").stat().st_size)


def test_narrowing_keeps_every_value() -> None:
    big = np.iinfo(np.int32).max + 1
    table = pd.DataFrame({
        "small": np.array([-1, 0, 127], dtype=np.int64),
        "negative": np.array([-129, 0, 1], dtype=np.int64),
        "large": np.array([0, 1, big], dtype=np.int64),
        "exact": [0.5, 150.0, np.nan],
        "inexact": [0.1, 1.0, 2.0],
        "huge": [1e300, 0.0, 1.0],
        "empty_int": np.array([1, 2, 3], dtype=np.int64),
    })
    narrow = narrowest(table)
    assert [str(t) for t in narrow.dtypes] == [
        "int8", "int16", "int64", "float32", "float64", "float64", "int8"]
    pd.testing.assert_frame_equal(narrow.astype(table.dtypes.to_dict()), table,
                                  check_exact=True)
    assert narrowest(table.iloc[0:0]).dtypes["large"] == np.int8  # nothing to hold


def test_plain_parquet_exports_read_too(tmp_path: Path) -> None:
    """Folders written before the files were compact (plain pandas Parquet) still read,
    as the same tables (only what the run was made with is unknown then)."""
    original = records()
    for name, table in original.tables().items():
        table.to_parquet(tmp_path / f"{name}.parquet", index=False)
    for name in ("payouts", "payout_measures"):  # optional tables may be absent
        (tmp_path / f"{name}.parquet").unlink()
    again = read_records(tmp_path)
    for name, table in original.tables().items():
        pd.testing.assert_frame_equal(getattr(again, name), table, check_exact=True)
    assert again.seed == 0
    assert again.start == dt.date(2000, 1, 1)


def test_a_folder_without_record_tables_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no leads\.parquet"):
        read_records(tmp_path)
