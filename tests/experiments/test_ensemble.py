import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesim.experiments.ensemble import Ensemble
from salesim.experiments.montecarlo import ReplicationResult, assemble
from salesim.records import Records, empty_table

BOOKINGS = [100.0, 250.0, 175.0, 400.0, 90.0, 310.0, 220.0, 260.0, 150.0, 500.0]


def _kpis(rep: int) -> pd.DataFrame:
    return pd.DataFrame({
        "period_type": ["month", "month", "total"],
        "period": ["2027-01", "2027-02", "all"],
        "metric": ["bookings"] * 3,
        "channel": ["", "", ""],
        "segment": ["", "", ""],
        "role": ["", "", ""],
        "rep_id": pd.array([pd.NA, pd.NA, pd.NA], dtype="Int64"),
        "value": [BOOKINGS[rep] * 0.4, BOOKINGS[rep] * 0.6, BOOKINGS[rep]],
        "unit": ["USD"] * 3,
    })


def _results(keep_records: bool = False) -> list[ReplicationResult]:
    records = Records(**{name: empty_table(name) for name in Records.table_names()})
    return [
        ReplicationResult(
            index=rep, seed=2**52 + rep,
            headline={"bookings": value, "win_rate": math.nan if rep == 0 else 0.25,
                      "deals_won": float(rep)},
            kpis=_kpis(rep), records=records if keep_records else None,
        )
        for rep, value in enumerate(BOOKINGS)
    ]


@pytest.fixture
def ensemble() -> Ensemble:
    # shuffled on purpose: assemble orders by replication index
    results = _results()
    return assemble("Hand made", 11, results[5:] + results[:5], version="9.9")


def test_replications_table(ensemble: Ensemble) -> None:
    table = ensemble.replications
    assert list(table.columns) == ["replication", "seed", "bookings", "win_rate", "deals_won"]
    assert table["replication"].tolist() == list(range(10))
    assert table["seed"].dtype == np.int64
    assert int(table["seed"].iloc[3]) == 2**52 + 3
    assert int(table.iloc[3]["seed"]) == 2**52 + 3  # exact even through a float row
    assert table["bookings"].tolist() == BOOKINGS
    assert ensemble.reps == 10
    assert ensemble.metrics == ["bookings", "win_rate", "deals_won"]


def test_summary_matches_numpy(ensemble: Ensemble) -> None:
    summary = ensemble.summary()
    assert list(summary.columns) == ["mean", "p10", "p50", "p90"]
    row = summary.loc["bookings"]
    assert row["mean"] == pytest.approx(np.mean(BOOKINGS))
    for column, q in [("p10", 0.1), ("p50", 0.5), ("p90", 0.9)]:
        assert row[column] == pytest.approx(np.quantile(BOOKINGS, q))
    assert summary.loc["win_rate", "p50"] == pytest.approx(0.25)  # NaN replication left out


def test_kpi_quantiles(ensemble: Ensemble) -> None:
    kpis = ensemble.kpis
    assert list(kpis.columns) == [
        "period_type", "period", "metric", "channel", "segment", "role", "rep_id", "unit",
        "mean", "p10", "p50", "p90", "ci95_low", "ci95_high", "n"]
    assert len(kpis) == 3
    jan = kpis[kpis["period"] == "2027-01"].iloc[0]
    values = np.array(BOOKINGS) * 0.4
    assert jan["p50"] == pytest.approx(np.median(values))
    assert jan["p90"] == pytest.approx(np.quantile(values, 0.9))
    assert jan["n"] == 10
    assert jan["ci95_low"] < jan["mean"] < jan["ci95_high"]


def test_probability(ensemble: Ensemble) -> None:
    assert ensemble.probability("bookings", 250) == pytest.approx(0.5)  # 250,260,310,400,500
    assert ensemble.probability("bookings", 250, ">") == pytest.approx(0.4)
    assert ensemble.probability("bookings", 100, "<=") == pytest.approx(0.2)
    assert ensemble.probability("bookings", 90, "<") == 0.0
    interval = ensemble.probability_interval("bookings", 250)
    assert (interval.hits, interval.n) == (5, 10)
    assert interval.low == pytest.approx(0.2366, abs=1e-4)
    assert interval.high == pytest.approx(0.7634, abs=1e-4)
    assert float(interval) == 0.5
    assert "5 of 10" in str(interval)
    # undefined values are left out of the denominator
    assert ensemble.probability_interval("win_rate", 0.2).n == 9


def test_probability_errors(ensemble: Ensemble) -> None:
    with pytest.raises(KeyError, match="did you mean 'bookings'"):
        ensemble.probability("booking", 1)
    with pytest.raises(ValueError, match="op must be"):
        ensemble.probability("bookings", 1, "=>")


def test_to_dict(ensemble: Ensemble) -> None:
    data = ensemble.to_dict()
    assert {k: data[k] for k in ("scenario", "seed", "reps", "salesim_version")} == {
        "scenario": "Hand made", "seed": 11, "reps": 10, "salesim_version": "9.9"}
    assert data["metrics"]["bookings"]["p50"] == pytest.approx(np.median(BOOKINGS))
    assert set(data["metrics"]["bookings"]) == {"mean", "p10", "p50", "p90"}
    json.dumps(data, allow_nan=False)


def test_undefined_metric_is_null_in_json() -> None:
    results = [ReplicationResult(i, i, {"win_rate": math.nan}, _kpis(i)) for i in range(3)]
    data = assemble("x", 0, results).to_dict()
    assert data["metrics"]["win_rate"] == {"mean": None, "p10": None, "p50": None, "p90": None}


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_write_files(tmp_path: Path, ensemble: Ensemble) -> None:
    out = ensemble.write(tmp_path / "out")
    assert sorted(_listing(out)) == ["kpis.parquet", "replications.parquet", "summary.json"]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "replications.parquet"),
                                  ensemble.replications)
    assert len(pd.read_parquet(out / "kpis.parquet")) == 3
    assert json.loads((out / "summary.json").read_text()) == ensemble.to_dict()


def test_write_records(tmp_path: Path) -> None:
    ensemble = assemble("with records", 1, _results(keep_records=True))
    assert ensemble.records is not None
    assert len(ensemble.records) == 10
    ensemble.write(tmp_path)
    folders = sorted(p.name for p in (tmp_path / "records").iterdir())
    assert folders == [f"replication-{i:04d}" for i in range(10)]
    assert sorted(p.name for p in (tmp_path / "records" / "replication-0003").iterdir()) == sorted(
        f"{name}.parquet" for name in Records.table_names())
    # a second, smaller run replaces the folder as a whole
    assemble("fewer", 1, _results(keep_records=True)[:2]).write(tmp_path)
    assert len(list((tmp_path / "records").iterdir())) == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_write_records_needs_records(tmp_path: Path, ensemble: Ensemble) -> None:
    with pytest.raises(ValueError, match="keep_records"):
        ensemble.write(tmp_path, records=True)


@pytest.mark.parametrize("existing", [False, True])
def test_failed_write_changes_nothing(tmp_path: Path, ensemble: Ensemble,
                                      monkeypatch: pytest.MonkeyPatch, existing: bool) -> None:
    if existing:
        assemble("previous", 3, _results(keep_records=True)[:4]).write(tmp_path)
    before = _listing(tmp_path)
    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def flaky(self: pd.DataFrame, path: Path, *args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:  # the second file: half written, then the disk "fails"
            Path(path).write_bytes(b"PAR1 half a file")
            raise OSError("disk full")
        real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    with pytest.raises(OSError, match="disk full"):
        ensemble.write(tmp_path)
    assert _listing(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        {Path(name).parts[0] for name in before})


def test_team_names_in_japanese_round_trip_through_the_files(tmp_path: Path) -> None:
    # the hand-made book of the metrics tests (pytest imports tests/metrics as ``metrics``)
    from metrics.builders import CUSTOMER_SUCCESS, INSIDE_SALES, team_book, team_plan
    from salesim.experiments.montecarlo import KPI_PERIOD_TYPES
    from salesim.metrics import headline_metrics, kpi_table

    book, plan = team_book(), team_plan()
    results = []
    for index in range(2):
        kpis = kpi_table(book, plan, period_types=KPI_PERIOD_TYPES)
        headline = headline_metrics(book, plan, kpis=kpis)
        # as a replication sends them: text columns as categories
        text_columns = ("period_type", "period", "metric", "channel", "segment", "role",
                        "team", "unit")
        sent = kpis.astype(dict.fromkeys(text_columns, "category"))
        results.append(ReplicationResult(index, index, headline, sent))
    folder = assemble("チーム", 0, results, version="9.9").write(tmp_path / "out")

    text = (folder / "summary.json").read_text(encoding="utf-8")
    assert f'"headcount_end_{INSIDE_SALES}"' in text  # written as is, not escaped
    metrics = json.loads(text)["metrics"]
    assert metrics[f"headcount_end_{INSIDE_SALES}"]["p50"] == 2
    assert metrics["attainment_mean_enterprise"]["mean"] == pytest.approx(0.125)
    assert metrics[f"share_at_quota_{CUSTOMER_SUCCESS}"]["mean"] == 0
    assert metrics["headcount_end_ae"]["mean"] == 3

    replications = pd.read_parquet(folder / "replications.parquet")
    assert replications[f"attainment_mean_{INSIDE_SALES}"].tolist() == pytest.approx(
        [4 / 24 / 2] * 2)

    kpis = pd.read_parquet(folder / "kpis.parquet")
    assert {INSIDE_SALES, CUSTOMER_SUCCESS, "enterprise", "commercial", ""} == set(
        kpis["team"])
    row = kpis.loc[(kpis["metric"] == "headcount_end") & (kpis["period_type"] == "total")
                   & (kpis["team"] == INSIDE_SALES)]
    assert row[["role", "mean", "n"]].to_dict("records") == [
        {"role": "sdr", "mean": 2.0, "n": 2}]
def _with_tables(ensemble: Ensemble) -> Ensemble:
    attainment = pd.DataFrame({"replication": [0, 0, 1], "role": ["ae"] * 3,
                               "team": ["", "", ""], "rep_id": [1, 2, 1],
                               "attainment": [0.5, 1.2, 0.9]})
    funnel = pd.DataFrame({"channel": ["", ""], "stage": ["leads", "deals_won"],
                           "stage_index": [0, 7], "mean": [100.0, 4.0]})
    return Ensemble(ensemble.scenario_name, ensemble.seed, ensemble.replications,
                    ensemble.kpis, ensemble.version, attainment=attainment, funnel=funnel,
                    scenario_text="meta: {name: Hand made}\n")


def test_read_gives_back_what_write_wrote(tmp_path: Path, ensemble: Ensemble) -> None:
    full = _with_tables(ensemble)
    full.write(tmp_path)
    back = Ensemble.read(tmp_path)
    assert (back.scenario_name, back.seed, back.version, back.reps) == ("Hand made", 11,
                                                                        "9.9", 10)
    pd.testing.assert_frame_equal(back.replications, full.replications)
    pd.testing.assert_frame_equal(back.kpis, full.kpis)
    assert back.attainment is not None
    assert full.attainment is not None
    pd.testing.assert_frame_equal(back.attainment, full.attainment)
    assert back.funnel is not None
    assert back.funnel["mean"].tolist() == [100.0, 4.0]
    assert back.scenario_text == "meta: {name: Hand made}\n"
    assert back.currency == "USD"
    assert back.records_dir is None


def test_a_run_without_the_optional_tables_removes_an_older_runs(
        tmp_path: Path, ensemble: Ensemble) -> None:
    _with_tables(ensemble).write(tmp_path)
    ensemble.write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "kpis.parquet", "replications.parquet", "summary.json"]
    back = Ensemble.read(tmp_path)
    assert back.attainment is None
    assert back.funnel is None
    assert back.scenario_text is None


def test_read_needs_a_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no summary\.json"):
        Ensemble.read(tmp_path)


def test_summary_displays_numbers_for_people(ensemble: Ensemble) -> None:
    summary = ensemble.summary()
    summary.loc["bookings", "p50"] = 3.019051e7
    text, page = repr(summary), summary._repr_html_()
    assert "$30.2M" in text
    assert "$30.2M" in page
    assert "e+" not in text
    assert "e+" not in page
    assert "25.0%" in text  # win_rate is a share
    # still numbers underneath, and slices and concatenations keep the display
    assert summary.loc["bookings", "p50"] == pytest.approx(3.019051e7)
    both = pd.concat({"a": summary[["p50"]], "b": summary[["p50"]]}, axis=1)
    assert "$30.2M" in repr(both)
