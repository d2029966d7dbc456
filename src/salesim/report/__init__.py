"""Reports of a run: charts (:mod:`salesim.report.charts`), the HTML report and
the Excel workbook (:mod:`salesim.report.html`, :mod:`salesim.report.excel`),
and how numbers are written for people (:mod:`salesim.report.formatting`).

Charts and reports read the run's tables (an :class:`~salesim.experiments.Ensemble`
or the files ``salesim run`` writes, via ``Ensemble.read``); they never re-run
the simulation.
"""

from salesim.report.formatting import (
    format_count,
    format_metric,
    format_money,
    format_percent,
    format_table,
)

__all__ = ["format_count", "format_metric", "format_money", "format_percent", "format_table"]
