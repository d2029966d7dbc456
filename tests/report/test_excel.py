"""The Excel workbook: opens with openpyxl, its KPI sheets hold the KPI table and the
plan sheet has months as columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import salesim
from salesim.report.excel import KPI_SHEETS, PLAN_SHEET, write_xlsx


@pytest.fixture(scope="module")
def workbook_path(small_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_xlsx(salesim.Ensemble.read(small_run),
                      tmp_path_factory.mktemp("xlsx") / "plan.xlsx")


def _sheet(book: openpyxl.Workbook, name: str) -> pd.DataFrame:
    rows = list(book[name].iter_rows(values_only=True))
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_kpi_sheets_match_the_kpi_table(ensemble: salesim.Ensemble, workbook_path: Path
                                        ) -> None:
    book = openpyxl.load_workbook(workbook_path, read_only=True)
    assert book.sheetnames == [PLAN_SHEET, "Summary", *KPI_SHEETS.values(), "Attainment",
                               "Funnel"]
    kpis = ensemble.kpis
    for period_type, name in KPI_SHEETS.items():
        sheet = _sheet(book, name)
        expected = kpis.loc[kpis["period_type"] == period_type].reset_index(drop=True)
        assert list(sheet.columns) == list(kpis.columns)
        assert len(sheet) == len(expected) > 0
        for column in kpis.columns:
            if pd.api.types.is_numeric_dtype(expected[column]):
                np.testing.assert_allclose(sheet[column].astype(float), expected[column],
                                           equal_nan=True)  # NaN is an empty cell
            else:
                assert sheet[column].fillna("").astype(str).tolist() == \
                    expected[column].astype(str).tolist()
    attainment = _sheet(book, "Attainment")
    assert ensemble.attainment is not None
    assert len(attainment) == len(ensemble.attainment)


def test_plan_sheet_lays_months_out_as_columns(ensemble: salesim.Ensemble,
                                              workbook_path: Path) -> None:
    book = openpyxl.load_workbook(workbook_path, read_only=True)
    sheet = book[PLAN_SHEET]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[1:3] == ["Jan 2027", "Feb 2027"]
    assert header[-1] == "Total"
    assert len(header) == 1 + 24 + 1
    lines = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row and row[0].value}
    for label in ("Bookings (new ARR)", "ARR at month end", "Headcount AE", "Headcount total",
                  "Cost AE", "Cost total"):
        assert label in lines, label
    summary = ensemble.summary()
    bookings = lines["Bookings (new ARR)"]
    # the months add up to the run's mean bookings over the horizon
    assert sum(c.value for c in bookings[1:-1]) == pytest.approx(summary.loc["bookings",
                                                                             "mean"])
    assert bookings[-1].value == pytest.approx(summary.loc["bookings", "mean"])
    assert lines["Headcount AE"][-1].value == pytest.approx(2.0)
    assert bookings[1].number_format == '"$"#,##0'
