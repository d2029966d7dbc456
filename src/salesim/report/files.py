"""Writing a run's reports: the HTML page and the Excel workbook, next to the
run's files or wherever asked.

>>> from salesim.report.files import write_reports          # doctest: +SKIP
>>> write_reports("out/reference")                          # doctest: +SKIP
[PosixPath('out/reference/report.html'), PosixPath('out/reference/report.xlsx')]
"""

from __future__ import annotations

from pathlib import Path

from salesim.experiments.ensemble import Ensemble
from salesim.scenario.units import UnitError, parse_money

HTML_NAME = "report.html"
XLSX_NAME = "report.xlsx"


def parse_target(text: str | None, currency: str) -> float | None:
    """A bookings target as written on the command line (``30M``, ``$30M``,
    ``30億円``), in the run's currency; ``None`` for none.

    >>> parse_target("30M", "USD"), parse_target("3億円", "JPY"), parse_target(None, "USD")
    (30000000.0, 300000000.0, None)
    """
    if text is None:
        return None
    try:
        return parse_money(text, currency or None)
    except UnitError as error:
        raise ValueError(f"--target: {error}") from None


def write_reports(run: str | Path | Ensemble, html: str | Path | None = None,
                  xlsx: str | Path | None = None, target: float | None = None,
                  folder: str | Path | None = None) -> list[Path]:
    """Write the HTML report and the Excel workbook of a run; returns the paths.

    ``run``: the run's folder (as ``salesim run`` wrote it) or its Ensemble.
    With neither ``html`` nor ``xlsx``, both go into the run's folder (or
    ``folder``) as ``report.html`` and ``report.xlsx``; with one of them, only
    that one is written. Each file is written atomically.
    """
    from salesim.report.excel import write_xlsx
    from salesim.report.html import write_html

    if isinstance(run, Ensemble):
        ensemble, source = run, str(folder or "")
        base = Path(folder) if folder is not None else Path.cwd()
    else:
        ensemble, source = Ensemble.read(run), str(run)
        base = Path(folder) if folder is not None else Path(run)
    if html is None and xlsx is None:
        html, xlsx = base / HTML_NAME, base / XLSX_NAME
    written = []
    if html is not None:
        written.append(write_html(ensemble, html, target, source))
    if xlsx is not None:
        written.append(write_xlsx(ensemble, xlsx))
    return written
