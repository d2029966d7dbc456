"""The result of a Monte Carlo run: every replication's headline metrics, the KPI
tables summarised across replications, and probabilities of hitting targets.

Files written by :meth:`Ensemble.write` (each atomically: a temporary name, then a
rename; ``summary.json`` last, so its presence means the other files are
complete and belong to it; a failure while writing changes nothing):

``replications.parquet``
    One row per replication: ``replication``, ``seed`` (re-run it alone with
    ``simulate(scenario, seed=...)``) and one column per headline metric.
``kpis.parquet``
    The tidy KPI table (month, quarter, year and total rows) with, in place of
    ``value``, ``mean``, ``p10``, ``p50``, ``p90``, ``ci95_low``, ``ci95_high``
    and ``n`` across replications (see :mod:`salesim.experiments.stats`).
``attainment.parquet``
    Each rep's attainment over the whole horizon, per replication
    (``replication``, ``role``, ``team``, ``rep_id``, ``attainment``): the
    distribution over reps and replications (see
    :mod:`salesim.experiments.tables`).
``funnel.parquet``
    The cohort funnel over the whole horizon (``channel``, ``stage``,
    ``stage_index``) with the same statistics as ``kpis.parquet`` of the
    number of leads reaching each stage.
``scenario.yaml``
    The resolved scenario that produced the run (``extends`` and ``--set``
    applied, every default written out); it loads back to the same scenario.
``assumptions.parquet``
    Only with uncertain assumptions: one row per replication, ``replication``,
    ``assumption_seed`` and the value drawn for each uncertain path (base units:
    durations in days, money in the scenario currency).
``records/replication-NNNN/<table>.parquet``
    With ``records=True``: each replication's record tables. The folder is
    replaced as a whole, so it never mixes two runs (a run without records
    leaves an existing ``records/`` alone).
``summary.json``
    Scenario name, root seed, replications, salesim version, what ``info``
    adds (scenario file, overrides, scenario hash, targets) and, for each
    headline metric, its mean, p10, p50 and p90 (``null`` when undefined); with
    uncertain assumptions also ``assumptions`` (their paths) and ``variance``: per
    headline metric the spread split into assumptions and chance
    (:mod:`salesim.experiments.variance`).
"""

from __future__ import annotations

import difflib
import json
import math
import operator
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesim.experiments.stats import (
    QUANTILES,
    Probability,
    describe_columns,
    wilson_interval,
)
from salesim.experiments.variance import variance_table
from salesim.io import atomic_write_json, atomic_write_parquet, atomic_write_text
from salesim.records import Records
from salesim.report.formatting import format_table

SUMMARY_STATS = ("mean", *QUANTILES)
VARIANCE_KEYS = ("method", "n", "variance", "assumptions", "chance", "share_assumptions",
                 "band_chance", "band_total", "band_widening")
"""Per headline metric in ``summary.json``'s ``variance``
(see :mod:`salesim.experiments.variance`)."""

OPTIONAL_TABLES = ("attainment", "funnel", "assumptions")
"""Tables an ensemble may hold besides ``replications`` and ``kpis`` (written as
``<name>.parquet``; runs made before they existed lack them)."""

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
}


@dataclass(frozen=True, eq=False)
class Ensemble:
    """The replications of one scenario run from one root seed.

    ``replications``
        One row per replication: ``replication``, ``seed`` and a column per
        headline metric (see :func:`salesim.metrics.headline_metrics`).
    ``kpis``
        The KPI table's key columns followed by ``mean``, ``p10``, ``p50``,
        ``p90``, ``ci95_low``, ``ci95_high`` and ``n``.
    ``records``
        Each replication's :class:`~salesim.records.Records` when the run
        kept them in memory, else ``None``.
    ``records_dir``
        The folder the run wrote each replication's record tables to
        (``replication-NNNN/``), if it did.
    ``attainment``, ``funnel``
        Each rep's attainment per replication and the cohort funnel (see the
        module docs); ``None`` for runs made before they were kept.
    ``scenario_text``
        The resolved scenario as YAML, when known.
    ``assumptions``
        With uncertain assumptions, one row per replication: ``replication``,
        ``assumption_seed`` and the value drawn for each uncertain path.
    ``info``
        More about the run for ``summary.json`` (plain JSON data): where the
        scenario came from, its hash, targets met (see ``salesim run``).
    ``tables``
        More tables to write, as ``<name>.parquet`` (``salesim run`` adds the
        spreadsheet plan, :mod:`salesim.experiments.spreadsheet`).
    """

    scenario_name: str
    seed: int
    replications: pd.DataFrame
    kpis: pd.DataFrame
    version: str = ""
    records: tuple[Records, ...] | None = None
    records_dir: Path | None = None
    attainment: pd.DataFrame | None = None
    funnel: pd.DataFrame | None = None
    scenario_text: str | None = None
    assumptions: pd.DataFrame | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: str | Path) -> Ensemble:
        """The ensemble a run wrote into ``folder`` (see the module docs).

        Record tables are not loaded; ``records_dir`` points to them when the
        run wrote them. Raises :class:`FileNotFoundError` when ``folder`` holds
        no complete run (no ``summary.json``).
        """
        folder = Path(folder)
        summary_path = folder / "summary.json"
        if not summary_path.is_file():
            raise FileNotFoundError(f"{folder} holds no salesim run: no summary.json "
                                    "(hint: salesim run writes one into its --out folder)")
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        optional = {name: pd.read_parquet(folder / f"{name}.parquet")
                    if (folder / f"{name}.parquet").is_file() else None
                    for name in OPTIONAL_TABLES}
        scenario_path = folder / "scenario.yaml"
        return cls(
            scenario_name=str(summary.get("scenario", "")),
            seed=int(summary.get("seed", 0)),
            replications=pd.read_parquet(folder / "replications.parquet"),
            kpis=pd.read_parquet(folder / "kpis.parquet"),
            version=str(summary.get("salesim_version", "")),
            records_dir=folder / "records" if (folder / "records").is_dir() else None,
            scenario_text=(scenario_path.read_text(encoding="utf-8")
                           if scenario_path.is_file() else None),
            attainment=optional["attainment"],
            funnel=optional["funnel"],
            assumptions=optional["assumptions"],
        )

    @property
    def currency(self) -> str:
        """The currency money is in (the KPI table's unit of ``bookings``), or ``''``."""
        if "metric" not in self.kpis.columns:
            return ""
        units = self.kpis.loc[self.kpis["metric"] == "bookings", "unit"]
        return str(units.iloc[0]) if len(units) else ""

    @property
    def units(self) -> dict[str, str]:
        """Each KPI metric's unit (``USD``, ``share``, ``count``...)."""
        if "metric" not in self.kpis.columns:
            return {}
        first = self.kpis.drop_duplicates("metric")
        return dict(zip(first["metric"].astype(str), first["unit"].astype(str), strict=True))

    @property
    def has_records(self) -> bool:
        return self.records is not None or self.records_dir is not None

    def replication_records(self, index: int) -> Records:
        """Replication ``index``'s record tables: kept in memory, or read from
        ``records_dir`` (one replication at a time, whatever the run's size)."""
        if self.records is not None:
            return self.records[index]
        if self.records_dir is None:
            raise ValueError("this ensemble has no records: run it with keep_records=True "
                             "or records_dir=...")
        if not 0 <= index < self.reps:
            raise IndexError(f"replication {index} out of range: the run has {self.reps}")
        return Records.read_parquet(self.records_dir / records_folder_name(index, self.reps))

    @property
    def reps(self) -> int:
        return len(self.replications)

    @property
    def metrics(self) -> list[str]:
        """The headline metric names, in table order."""
        return [c for c in self.replications.columns if c not in ("replication", "seed")]

    def _metric(self, metric: str) -> pd.Series:
        if metric not in self.metrics:
            close = difflib.get_close_matches(metric, self.metrics, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise KeyError(f"no headline metric {metric!r}{hint} "
                           f"(known: {', '.join(self.metrics)})")
        return self.replications[metric].astype("float64")

    def summary(self) -> SummaryTable:
        """Headline metrics (rows) by ``mean``, ``p10``, ``p50``, ``p90`` (columns).

        A :class:`pandas.DataFrame` of numbers that shows them formatted for
        people (money, percentages, minutes) when displayed.
        """
        table = describe_columns(self.replications, self.metrics)[list(SUMMARY_STATS)]
        return SummaryTable(table, currency=self.currency, units=self.units)

    def variance(self) -> pd.DataFrame | None:
        """Per headline metric, the spread across replications split into the part due
        to the uncertain assumptions and chance (:mod:`salesim.experiments.variance`);
        ``None`` when nothing was uncertain."""
        if self.assumptions is None:
            return None
        return variance_table(self.replications, self.assumptions, self.metrics)

    def probability(self, metric: str, target: float, op: str = ">=") -> float:
        """Share of replications where ``metric op target`` (e.g. bookings >= 5e6).

        Replications where the metric is undefined (NaN) are left out.
        """
        return self.probability_interval(metric, target, op).estimate

    def probability_interval(self, metric: str, target: float, op: str = ">=",
                             confidence: float = 0.95) -> Probability:
        """:meth:`probability` with its Wilson score interval and counts."""
        if op not in _OPERATORS:
            raise ValueError(f"op must be one of {', '.join(_OPERATORS)}, not {op!r}")
        values = self._metric(metric).dropna().to_numpy()
        n = len(values)
        hits = int(np.count_nonzero(_OPERATORS[op](values, target)))
        low, high = wilson_interval(hits, n, confidence)
        return Probability(hits / n if n else math.nan, low, high, hits, n, confidence)

    def to_dict(self) -> dict[str, Any]:
        """The content of ``summary.json`` (plain JSON types; NaN becomes ``None``)."""
        summary = self.summary()
        content: dict[str, Any] = {
            "scenario": self.scenario_name,
            "seed": int(self.seed),
            "reps": self.reps,
            "salesim_version": self.version,
            **self.info,
            "metrics": {
                metric: {stat: _json_number(summary.at[metric, stat]) for stat in SUMMARY_STATS}
                for metric in summary.index
            },
        }
        variance = self.variance()
        if variance is not None:
            content["variance"] = {
                str(row["metric"]): {"method": str(row["method"]), "n": int(row["n"]),
                                     **{key: _json_number(row[key])
                                        for key in VARIANCE_KEYS[2:]}}
                for row in variance.to_dict("records")
            }
            content["assumptions"] = [c for c in self.assumptions.columns  # type: ignore[union-attr]
                                      if c not in ("replication", "assumption_seed")]
        return content

    def write(self, folder: str | Path, records: bool | None = None) -> Path:
        """Write the ensemble's files into ``folder`` (created if needed); see the module doc.

        ``records``: write each replication's record tables under ``records/``
        (``None``: when the ensemble has them, in memory or in ``records_dir``,
        which is copied, as hard links where possible). Returns the folder.

        Everything is first written (atomically) into a hidden staging folder
        inside ``folder``; if that fails, ``folder`` is left exactly as it was.
        Then the old ``summary.json`` is removed, the new files are renamed
        into place and the new ``summary.json`` comes last.
        """
        folder = Path(folder)
        if records is None:
            records = self.has_records
        if records and not self.has_records:
            raise ValueError("this ensemble has no records: run it with keep_records=True "
                             "or records_dir=...")
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".salesim-", suffix=".tmp", dir=folder))
        try:
            atomic_write_parquet(self.replications, staging / "replications.parquet")
            atomic_write_parquet(self.kpis, staging / "kpis.parquet")
            if records and self.records is not None:
                for index, replication in enumerate(self.records):
                    replication.write_parquet(
                        staging / "records" / records_folder_name(index, len(self.records)))
            elif records and self.records_dir is not None:
                shutil.copytree(self.records_dir, staging / "records",
                                copy_function=_link_or_copy)
            names = ["replications.parquet", "kpis.parquet"]
            for name, table in self.tables.items():
                atomic_write_parquet(table, staging / f"{name}.parquet")
                names.append(f"{name}.parquet")
            for name in OPTIONAL_TABLES:
                table = getattr(self, name)
                if table is not None:
                    atomic_write_parquet(table, staging / f"{name}.parquet")
                    names.append(f"{name}.parquet")
            if self.scenario_text is not None:
                atomic_write_text(staging / "scenario.yaml", self.scenario_text)
                names.append("scenario.yaml")
            atomic_write_json(staging / "summary.json", self.to_dict())
            # From here on only renames: quick, and summary.json goes last.
            (folder / "summary.json").unlink(missing_ok=True)
            for stale in {f"{n}.parquet" for n in OPTIONAL_TABLES} | {"scenario.yaml"}:
                if stale not in names:  # never pair this run with an older run's file
                    (folder / stale).unlink(missing_ok=True)
            for name in names:
                os.replace(staging / name, folder / name)
            if records:
                if (folder / "records").exists():
                    os.replace(folder / "records", staging / "records.old")
                os.replace(staging / "records", folder / "records")
            os.replace(staging / "summary.json", folder / "summary.json")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder

    def __repr__(self) -> str:
        return (f"Ensemble({self.scenario_name!r}, reps={self.reps}, seed={self.seed}, "
                f"metrics={len(self.metrics)}, kpi_rows={len(self.kpis)})")


class SummaryTable(pd.DataFrame):
    """A table of headline numbers that displays them formatted for people.

    It is an ordinary :class:`pandas.DataFrame` of floats for computing
    (``.loc``, arithmetic, ``to_dict``); only its text and notebook display
    write ``$30.2M`` and ``23.4%`` instead of ``3.019051e+07`` and ``0.234``.
    Tables derived from it (a slice, a ``pandas.concat`` of several) keep this.
    """

    def __init__(self, *args: Any, currency: str | None = None,
                 units: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # attrs, unlike subclass attributes, survive pandas.concat of equal tables
        if currency is not None:
            self.attrs["currency"] = currency
        if units is not None:
            self.attrs["units"] = dict(units)

    @property
    def _constructor(self) -> Callable[..., SummaryTable]:
        return SummaryTable

    def formatted(self) -> pd.DataFrame:
        """The table as text, each number written by the kind of its row's metric."""
        return format_table(pd.DataFrame(self), str(self.attrs.get("currency", "")),
                            self.attrs.get("units"))

    def __repr__(self) -> str:
        return repr(self.formatted())

    def _repr_html_(self) -> str:
        return str(self.formatted().to_html())


def _json_number(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def records_folder_name(index: int, reps: int) -> str:
    """``replication-0007``: zero-padded so folders sort in replication order."""
    return f"replication-{index:0{max(4, len(str(max(reps - 1, 0))))}d}"
