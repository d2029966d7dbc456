import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from salesim.experiments.stats import (
    STAT_COLUMNS,
    QuantileAccumulator,
    describe_matrix,
    quantile_table,
    wilson_interval,
)

KEYS = ["period_type", "period", "metric", "channel", "segment", "role", "rep_id", "unit"]


def _long_table(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    """(metric, channel) -> one value per replication, as stacked KPI tables."""
    rows = []
    for (metric, channel), per_rep in values.items():
        for replication, value in enumerate(per_rep):
            if value is None:
                continue  # this replication has no such row
            rows.append({"period_type": "total", "period": "all", "metric": metric,
                         "channel": channel, "segment": None, "role": None,
                         "rep_id": pd.NA, "unit": "count", "value": value,
                         "replication": replication})
    frame = pd.DataFrame(rows)
    frame["rep_id"] = frame["rep_id"].astype("Int64")
    return frame


def test_quantile_table_matches_numpy() -> None:
    rng = np.random.default_rng(5)
    a = rng.gamma(2.0, 3.0, size=41).tolist()
    b = rng.normal(100, 15, size=41).tolist()
    table = quantile_table(_long_table({("leads", "inbound"): a, ("leads", "events"): b}), KEYS)
    assert list(table.columns) == KEYS + list(STAT_COLUMNS)
    assert table["channel"].tolist() == ["inbound", "events"]  # first-appearance order
    for row, sample in zip(table.itertuples(), (a, b), strict=True):
        values = np.asarray(sample)
        assert row.n == 41
        assert row.mean == pytest.approx(values.mean())
        assert row.p10 == pytest.approx(np.quantile(values, 0.1))
        assert row.p50 == pytest.approx(np.median(values))
        assert row.p90 == pytest.approx(np.quantile(values, 0.9))
        low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(),
                                     scale=stats.sem(values))
        assert row.ci95_low == pytest.approx(low)
        assert row.ci95_high == pytest.approx(high)
    # keys with missing values survive the group-by
    assert table["segment"].isna().all()
    assert table["rep_id"].isna().all()


def test_missing_rows_and_nan_are_left_out() -> None:
    table = quantile_table(
        _long_table({("win_rate", "inbound"): [0.2, None, np.nan, 0.4],
                     ("deals", "inbound"): [1.0, 2.0, 3.0, 4.0]}), KEYS)
    win = table.iloc[0]
    assert win["n"] == 2
    assert win["mean"] == pytest.approx(0.3)
    assert win["p50"] == pytest.approx(0.3)
    assert table.iloc[1]["n"] == 4


def test_single_value_has_no_interval() -> None:
    table = quantile_table(_long_table({("leads", "inbound"): [7.0]}), KEYS)
    row = table.iloc[0]
    assert (row["mean"], row["p10"], row["p90"], row["n"]) == (7.0, 7.0, 7.0, 1)
    assert math.isnan(row["ci95_low"])
    assert math.isnan(row["ci95_high"])


def test_duplicate_key_in_one_replication_is_an_error() -> None:
    frame = _long_table({("leads", "inbound"): [1.0, 2.0]})
    with pytest.raises(ValueError, match="more than once"):
        quantile_table(pd.concat([frame, frame]), KEYS)


def test_empty_table_keeps_columns() -> None:
    empty = _long_table({("leads", "inbound"): [1.0]}).iloc[0:0]
    table = quantile_table(empty, KEYS)
    assert list(table.columns) == KEYS + list(STAT_COLUMNS)
    assert table.empty


def test_describe_matrix_all_nan_row() -> None:
    described = describe_matrix(np.array([[np.nan, np.nan], [1.0, 3.0]]))
    assert math.isnan(described["mean"][0])
    assert described["n"][0] == 0
    assert described["p50"][1] == 2.0


@pytest.mark.parametrize(("hits", "n"), [(0, 10), (3, 10), (10, 10), (57, 200), (1, 1)])
def test_wilson_interval_matches_reference(hits: int, n: int) -> None:
    # reference: the closed form from Wilson (1927), as in statsmodels' proportion_confint
    z = stats.norm.ppf(0.975)
    p = hits / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    low, high = wilson_interval(hits, n)
    assert low == pytest.approx(max(0.0, centre - half))
    assert high == pytest.approx(min(1.0, centre + half))
    assert 0.0 <= low <= p <= high <= 1.0


def test_wilson_interval_edge_cases() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    with pytest.raises(ValueError, match="hits"):
        wilson_interval(5, 3)


def test_accumulator_matches_quantile_table_in_any_order() -> None:
    rng = np.random.default_rng(3)
    frames = []
    for replication in range(30):
        # each replication has a random subset of keys, in its own order
        keys = [(m, c) for m in ("leads", "deals", "win_rate") for c in ("a", "b", "c")]
        chosen = [keys[i] for i in rng.permutation(len(keys))[: rng.integers(3, len(keys) + 1)]]
        values = {key: [None] * replication + [float(rng.normal())] for key in chosen}
        frames.append(_long_table(values).query("replication == @replication"))
    stacked = pd.concat(frames, ignore_index=True)
    expected = quantile_table(stacked, KEYS)
    for order in (range(30), reversed(range(30)), rng.permutation(30).tolist()):
        accumulator = QuantileAccumulator()
        for replication in order:
            accumulator.add(replication, frames[replication].drop(columns="replication"))
        got = accumulator.table()
        assert _plain(got[KEYS]) == _plain(expected[KEYS])
        pd.testing.assert_frame_equal(got[list(STAT_COLUMNS)], expected[list(STAT_COLUMNS)])


def _plain(frame: pd.DataFrame) -> list[list[object]]:
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


def test_accumulator_rejects_duplicates_and_repeats() -> None:
    frame = _long_table({("leads", "a"): [1.0]}).drop(columns="replication")
    accumulator = QuantileAccumulator()
    accumulator.add(0, frame)
    with pytest.raises(ValueError, match="twice"):
        accumulator.add(0, frame)
    with pytest.raises(ValueError, match="more than once"):
        accumulator.add(1, pd.concat([frame, frame]))


def test_accumulator_categories_come_back_as_text() -> None:
    frame = pd.DataFrame({"metric": pd.Categorical(["a", "b"]), "rep_id": [-1, 3],
                          "value": [1.0, 2.0]})
    accumulator = QuantileAccumulator()
    accumulator.add(0, frame)
    table = accumulator.table()
    assert pd.api.types.is_string_dtype(table["metric"])
    assert table["rep_id"].dtype == np.int64
    assert QuantileAccumulator().table().empty


def test_describe_matrix_quantiles_are_numpys_nanquantile_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        rows, columns = int(rng.integers(1, 30)), int(rng.integers(1, 12))
        values = rng.choice([0.0, -0.0, 1.0, 2.5, -3.0, 7.25], size=(rows, columns))
        values[rng.random((rows, columns)) < 0.3] = np.nan
        described = describe_matrix(values)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.nanquantile(values, [0.1, 0.5, 0.9], axis=1)
        for name, row in zip(("p10", "p50", "p90"), expected, strict=True):
            got = described[name]
            assert np.array_equal(got, row, equal_nan=True)
            assert np.array_equal(np.signbit(got), np.signbit(row))  # even the sign of 0


def test_accumulator_with_keys_too_many_to_pack() -> None:
    """Key columns with many distinct values each (more bits than one integer holds)
    give the same table as with few."""
    rng = np.random.default_rng(4)
    frames = [pd.DataFrame({f"k{c}": rng.integers(0, 5000, size=40) for c in range(9)}
                           | {"value": rng.normal(size=40)}) for _ in range(5)]
    frames = [frame.drop_duplicates([f"k{c}" for c in range(9)]) for frame in frames]
    stacked = pd.concat([frame.assign(replication=r) for r, frame in enumerate(frames)],
                        ignore_index=True)
    expected = quantile_table(stacked, [f"k{c}" for c in range(9)])
    accumulator = QuantileAccumulator()
    for replication in (3, 0, 4, 1, 2):
        accumulator.add(replication, frames[replication])
    pd.testing.assert_frame_equal(accumulator.table(), expected)
