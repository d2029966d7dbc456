"""Record tables on disk: one compact Parquet file per table, read back exactly.

A replication's :class:`~salesim.records.Records` go into a folder as
``<table>.parquet`` (the layout ``salesim run --records`` writes per replication).
The files are ordinary Parquet that any tool reads, made small without losing a bit:

* whole numbers are stored in the narrowest integer type that holds every value
  (ids and counts mostly fit 32 bits or fewer);
* a float column is stored as 32-bit floats only when every value survives the
  round trip exactly (prices such as ``150.0``); scores and money keep 64 bits;
* integers and timestamps are delta-encoded, floats byte-stream-split, texts
  dictionary-encoded (categories), and everything is compressed with zstd.

:func:`read_records` turns them back into the contract's dtypes
(:data:`salesim.records.COLUMNS`), so the tables read back equal the tables
written, values, dtypes and categories alike; what a replication was run with
(start, end, seed, scenario name, ``info``) travels in the files' metadata, all but
the wall-clock ``seconds`` a replication took, so the same seed writes the same bytes.

>>> import tempfile, salesim
>>> records = salesim.simulate(salesim.load_scenario("scenarios/minimal.yaml"), seed=3)
>>> with tempfile.TemporaryDirectory() as folder:
...     write_records(records, folder)
...     again = read_records(folder)
>>> again.leads.equals(records.leads), again.seed
(True, 3)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from salesim.io import atomic_path
from salesim.records import COLUMNS, OPTIONAL_TABLES, conform, empty_table

if TYPE_CHECKING:
    from salesim.records import Records

METADATA_KEY = b"salesim.records"
"""Schema metadata key of each table file: what the replication was run with (JSON)."""

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3
"""Higher levels save under 1% on record tables and take longer."""

_INTEGER_TYPES = (np.int8, np.int16, np.int32, np.int64)


def narrowest(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each int64 column in the narrowest integer type holding all its
    values and each float64 column as float32 where that loses nothing.

    >>> narrow = narrowest(pd.DataFrame({"id": [1, 70_000], "price": [150.0, 0.5],
    ...                                  "score": [0.1, 2.0]}))
    >>> [str(t) for t in narrow.dtypes]
    ['int32', 'float32', 'float64']
    """
    changes: dict[str, Any] = {}
    for column in table.columns:
        dtype = table[column].dtype
        if dtype == np.int64:
            values = table[column].to_numpy()
            low, high = (int(values.min()), int(values.max())) if len(values) else (0, 0)
            changes[column] = next(kind for kind in _INTEGER_TYPES
                                   if np.iinfo(kind).min <= low and high <= np.iinfo(kind).max)
        elif dtype == np.float64:
            values = table[column].to_numpy()
            with np.errstate(over="ignore"):  # too large for 32 bits: inf, so not equal
                single = values.astype(np.float32)
            if np.array_equal(single.astype(np.float64), values, equal_nan=True):
                changes[column] = np.float32
    return table.astype(changes) if changes else table


def write_table(table: pd.DataFrame, target: Path,
                metadata: dict[str, Any] | None = None) -> None:
    """Write one record table compactly (see the module docs), atomically.

    ``metadata``: plain JSON data kept in the file under :data:`METADATA_KEY`.
    """
    import pyarrow.parquet as pq  # on use: importing salesim, as every worker does, need not

    arrow = pa.Table.from_pandas(narrowest(table), preserve_index=False)
    if metadata is not None:
        arrow = arrow.replace_schema_metadata({
            **(arrow.schema.metadata or {}),
            METADATA_KEY: json.dumps(metadata, sort_keys=True).encode(),
        })
    delta = [f.name for f in arrow.schema
             if pa.types.is_integer(f.type) or pa.types.is_timestamp(f.type)]
    floats = [f.name for f in arrow.schema if pa.types.is_floating(f.type)]
    with atomic_path(target) as temporary:
        pq.write_table(
            arrow, temporary, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL,
            use_dictionary=[f.name for f in arrow.schema
                            if f.name not in delta and f.name not in floats],
            use_byte_stream_split=floats,
            column_encoding=dict.fromkeys(delta, "DELTA_BINARY_PACKED"),
        )


UNREPRODUCIBLE_INFO = frozenset({"seconds"})
"""``Records.info`` entries that are not written: they differ from run to run."""


def write_records(records: Records, folder: str | Path) -> None:
    """Write each table of ``records`` as ``<table>.parquet`` in ``folder`` (created
    if needed), each file atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    about = {"start": records.start.isoformat(), "end": records.end.isoformat(),
             "seed": int(records.seed), "scenario_name": records.scenario_name,
             "info": {key: float(value) for key, value in records.info.items()
                      if key not in UNREPRODUCIBLE_INFO}}
    for name, table in records.tables().items():
        write_table(table, folder / f"{name}.parquet", about)


def read_records(folder: str | Path) -> Records:
    """The :class:`~salesim.records.Records` that :func:`write_records` wrote into
    ``folder`` (also reads files written before they were made compact, and plain
    Parquet exports with the contract's columns).

    A missing optional table (:data:`salesim.records.OPTIONAL_TABLES`) reads as
    empty; any other missing table raises :class:`FileNotFoundError`.
    """
    import pyarrow.parquet as pq

    from salesim.records import Records

    folder = Path(folder)
    tables: dict[str, Any] = {}
    about: dict[str, Any] = {}
    for name in COLUMNS:
        path = folder / f"{name}.parquet"
        if not path.is_file():
            if name in OPTIONAL_TABLES:
                tables[name] = empty_table(name)
                continue
            raise FileNotFoundError(f"{folder} holds no {name}.parquet: not a folder of "
                                    "record tables (hint: salesim run --records writes "
                                    "records/replication-NNNN/)")
        arrow = pq.read_table(path)
        stored = (arrow.schema.metadata or {}).get(METADATA_KEY)
        if stored is not None and not about:
            about = json.loads(stored)
        tables[name] = conform(name, arrow.to_pandas())
    records = Records(**tables)
    if not about:
        return records
    return dataclasses.replace(
        records, start=dt.date.fromisoformat(about["start"]),
        end=dt.date.fromisoformat(about["end"]), seed=int(about["seed"]),
        scenario_name=str(about["scenario_name"]),
        info={key: float(value) for key, value in about["info"].items()})
