"""The Excel workbook of a run, for finance.

Sheets:

``Plan``
    The monthly plan as finance lays it out: months as columns, lines as rows
    (bookings, ARR at month end, headcount per team at month end and in total,
    cost per team, marketing and in total), then a ``Total`` column (flows
    summed, ARR and headcount at the end). Values are averages across
    replications, which add up across months and teams (medians would not).
``Summary``
    The headline metrics with mean, P10, P50 and P90.
``KPIs month``, ``KPIs quarter``, ``KPIs year``, ``KPIs total``
    The tidy KPI table (``Ensemble.kpis``), one sheet per period type, with its
    columns as they are: together they hold every row of the table.
``Attainment``, ``Funnel``
    Each rep's attainment per replication and the cohort funnel, when the run
    kept them.

>>> import salesim                                                    # doctest: +SKIP
>>> write_xlsx(salesim.Ensemble.read("out/reference"), "plan.xlsx")   # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from salesim.experiments.ensemble import Ensemble
from salesim.io import atomic_path
from salesim.report.charts import group_label, team_rows
from salesim.report.formatting import SYMBOLS, metric_kind

KPI_SHEETS = {"month": "KPIs month", "quarter": "KPIs quarter", "year": "KPIs year",
              "total": "KPIs total"}
"""Sheet of each period type of the KPI table."""

PLAN_SHEET = "Plan"
_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")


def money_format(currency: str) -> str:
    """The Excel number format of whole amounts in ``currency``.

    >>> money_format("USD"), money_format("JPY"), money_format("CHF")
    ('"$"#,##0', '#,##0"円"', '#,##0" CHF"')
    """
    if currency == "JPY":
        return '#,##0"円"'
    if currency in SYMBOLS:
        return f'"{SYMBOLS[currency]}"#,##0'
    return f'#,##0" {currency}"' if currency else "#,##0"


def _number(value: Any) -> Any:
    """A cell value Excel can hold: NaN and infinities become empty cells."""
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None = None,
          bold: bool = False) -> Cell:
    cell = WriteOnlyCell(sheet, value=_number(value))
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = _BOLD
    return cell


def _header(sheet: WriteOnlyWorksheet, names: Iterable[Any]) -> list[Cell]:
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
        cells.append(cell)
    return cells


def _widths(sheet: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    # write-only sheets have column dimensions too; the type stubs miss them
    dimensions = sheet.column_dimensions  # type: ignore[attr-defined]
    for index, width in enumerate(widths, start=1):
        dimensions[get_column_letter(index)].width = width


def plan_table(ensemble: Ensemble) -> pd.DataFrame:
    """The ``Plan`` sheet as a table: one row per line, one column per month, then
    ``Total``; the index names the lines. Averages across replications."""
    kpis = ensemble.kpis
    lines: dict[str, pd.Series] = {}
    kinds: dict[str, str] = {}

    def company(metric: str) -> pd.Series:
        rows = kpis.loc[(kpis["metric"] == metric) & (kpis["period_type"] == "month")
                        & (kpis["channel"] == "") & (kpis["segment"] == "")
                        & (kpis["role"] == "") & (kpis["rep_id"] < 0)]
        if "team" in rows.columns:
            rows = rows.loc[rows["team"].astype(str) == ""]
        return pd.Series(rows["mean"].to_numpy(dtype=float), index=rows["period"].astype(str))

    def add(label: str, values: pd.Series, kind: str, total: str) -> None:
        values = values.astype(float)
        last = values.iloc[-1] if len(values) else np.nan
        lines[label] = pd.concat([values, pd.Series({"Total": values.sum()
                                                     if total == "sum" else last})])
        kinds[label] = kind

    add("Bookings (new ARR)", company("bookings"), "money", "sum")
    add("ARR at month end", company("ending_arr"), "money", "last")
    column, heads = team_rows(kpis, "headcount_end", "month")
    for group in dict.fromkeys(heads["group"]):
        mine = heads.loc[heads["group"] == group]
        add(f"Headcount {group_label(group, column)}",
            pd.Series(mine["mean"].to_numpy(dtype=float), index=mine["period"].astype(str)),
            "people", "last")
    if not heads.empty:
        total = heads.groupby(heads["period"].astype(str), sort=False)["mean"].sum()
        add("Headcount total", total, "people", "last")
    column, cost = team_rows(kpis, "total_cost", "month")
    for group in dict.fromkeys(cost["group"]):
        mine = cost.loc[cost["group"] == group]
        add(f"Cost {group_label(group, column)}",
            pd.Series(mine["mean"].to_numpy(dtype=float), index=mine["period"].astype(str)),
            "money", "sum")
    add("Cost marketing", company("marketing_cost"), "money", "sum")
    add("Cost total", company("total_cost"), "money", "sum")
    table = pd.DataFrame(lines).T
    months = [c for c in table.columns if c != "Total"]
    table = table[[*months, "Total"]]
    table.attrs["kinds"] = kinds
    return table


def _month_label(period: str) -> str:
    return pd.Period(period, freq="M").strftime("%b %Y") if period != "Total" else period


def _write_plan(book: Workbook, ensemble: Ensemble, currency: str) -> None:
    sheet = book.create_sheet(PLAN_SHEET)
    table = plan_table(ensemble)
    kinds = table.attrs.get("kinds", {})
    _widths(sheet, [24, *([13] * len(table.columns))])
    sheet.freeze_panes = "B2"
    sheet.append(_header(sheet, ["", *(_month_label(str(c)) for c in table.columns)]))
    for label, row in table.iterrows():
        kind = kinds.get(label, "money")
        number_format = money_format(currency) if kind == "money" else "#,##0.0"
        bold = str(label).endswith("total") or str(label).startswith(("Bookings", "ARR"))
        sheet.append([_cell(sheet, str(label), bold=bold),
                      *(_cell(sheet, value, number_format, bold) for value in row)])
    sheet.append([])
    sheet.append([_cell(sheet, f"Averages over {ensemble.reps} replications of "
                               f"{ensemble.scenario_name} (seed {ensemble.seed}); headcount "
                               "at month end; Total: flows summed, ARR and headcount at "
                               "the end.")])


def _write_summary(book: Workbook, ensemble: Ensemble, currency: str) -> None:
    sheet = book.create_sheet("Summary")
    _widths(sheet, [32, 16, 16, 16, 16])
    sheet.append(_header(sheet, ["metric", "mean", "p10", "p50", "p90"]))
    summary = pd.DataFrame(ensemble.summary())
    for metric, row in summary.iterrows():
        kind = metric_kind(str(metric))
        number_format = {"money": money_format(currency), "share": "0.0%"}.get(kind, "#,##0.0")
        sheet.append([_cell(sheet, str(metric)),
                      *(_cell(sheet, row[c], number_format) for c in ("mean", "p10", "p50",
                                                                       "p90"))])


def _write_table(book: Workbook, title: str, table: pd.DataFrame) -> None:
    sheet = book.create_sheet(title)
    _widths(sheet, [max(10, min(30, len(str(c)) + 4)) for c in table.columns])
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, table.columns))
    columns = [table[c].to_numpy(dtype=object) for c in table.columns]
    for row in zip(*columns, strict=True):
        sheet.append([_number(v) for v in row])


def workbook(ensemble: Ensemble) -> Workbook:
    """The workbook (see the module docs), not yet saved."""
    currency = ensemble.currency
    book = Workbook(write_only=True)
    _write_plan(book, ensemble, currency)
    _write_summary(book, ensemble, currency)
    kpis = ensemble.kpis
    for period_type, title in KPI_SHEETS.items():
        _write_table(book, title, kpis.loc[kpis["period_type"] == period_type])
    if ensemble.attainment is not None:
        _write_table(book, "Attainment", ensemble.attainment)
    if ensemble.funnel is not None:
        _write_table(book, "Funnel", ensemble.funnel)
    return book


def write_xlsx(ensemble: Ensemble, path: str | Path) -> Path:
    """Write the workbook to ``path`` atomically; returns the path."""
    path = Path(path)
    book = workbook(ensemble)
    with atomic_path(path) as temporary:
        book.save(temporary)
    return path
