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
``records/replication-NNNN/<table>.parquet``
    With ``records=True``: each replication's record tables. The folder is
    replaced as a whole, so it never mixes two runs (a run without records
    leaves an existing ``records/`` alone).
``summary.json``
    Scenario name, root seed, replications, salesim version, what ``info``
    adds (scenario file, overrides, scenario hash, targets) and, for each
    headline metric, its mean, p10, p50 and p90 (``null`` when undefined).
"""

from __future__ import annotations

import difflib
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

from salesim.engine.records import Records
from salesim.experiments.stats import (
    QUANTILES,
    Probability,
    describe_columns,
    wilson_interval,
)
from salesim.io import atomic_write_json, atomic_write_parquet

SUMMARY_STATS = ("mean", *QUANTILES)

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
        Each replication's :class:`~salesim.engine.records.Records` when the run
        kept them in memory, else ``None``.
    ``records_dir``
        The folder the run wrote each replication's record tables to
        (``replication-NNNN/``), if it did.
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
    info: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def has_records(self) -> bool:
        return self.records is not None or self.records_dir is not None

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

    def summary(self) -> pd.DataFrame:
        """Headline metrics (rows) by ``mean``, ``p10``, ``p50``, ``p90`` (columns)."""
        return describe_columns(self.replications, self.metrics)[list(SUMMARY_STATS)]

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
        return {
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
            for name, table in self.tables.items():
                atomic_write_parquet(table, staging / f"{name}.parquet")
            if records and self.records is not None:
                for index, replication in enumerate(self.records):
                    replication.write_parquet(
                        staging / "records" / records_folder_name(index, len(self.records)))
            elif records and self.records_dir is not None:
                shutil.copytree(self.records_dir, staging / "records",
                                copy_function=_link_or_copy)
            atomic_write_json(staging / "summary.json", self.to_dict())
            # From here on only renames: quick, and summary.json goes last.
            (folder / "summary.json").unlink(missing_ok=True)
            for name in ("replications.parquet", "kpis.parquet",
                         *(f"{table}.parquet" for table in self.tables)):
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
