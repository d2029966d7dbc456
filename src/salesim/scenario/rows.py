"""Problems in a data file a scenario refers to (a company list), located by row.

A data file is checked whole and every problem reported at once, like a
scenario; a file with thousands of bad rows is summed up after the first few.

>>> issues = [row_issue("companies.csv", 4, "employees", "'many' is not a number")]
>>> print(issues[0])
companies.csv:4: employees: 'many' is not a number
"""

from __future__ import annotations

from dataclasses import dataclass

from salesim.scenario.errors import Location, ScenarioIssue

SHOWN_ROW_ISSUES = 20


@dataclass(frozen=True, slots=True)
class RowLocation(Location):
    """A row of a data file, shown ``file:row``. For a CSV file the row is the line
    the record is on (the header is line 1); for a Parquet file it counts the
    records from 1. Row 0 means the file as a whole."""

    def __str__(self) -> str:
        return f"{self.source}:{self.line}" if self.line > 0 else self.source


def row_issue(source: str, row: int, column: str, message: str, hint: str = ""
              ) -> ScenarioIssue:
    """An issue at ``row`` of ``source`` about ``column`` (its path)."""
    return ScenarioIssue(RowLocation(source, row), column, message, hint)


def capped(issues: list[ScenarioIssue], total: int | None = None,
           shown: int = SHOWN_ROW_ISSUES) -> list[ScenarioIssue]:
    """The first ``shown`` issues in row order, then one saying how many more there are.

    ``total`` is the number of problems found when ``issues`` holds only some of
    them (the first rows of each kind); by default ``len(issues)``.
    """
    ordered = sorted(issues, key=lambda issue: (issue.location.source, issue.location.line))
    total = len(issues) if total is None else total
    if total <= shown:
        return ordered
    kept = ordered[:shown]
    source = kept[0].location.source
    return [*kept, ScenarioIssue(RowLocation(source), "",
                                 f"... and {total - shown:,} more problems in this file",
                                 "fix these and check again")]
