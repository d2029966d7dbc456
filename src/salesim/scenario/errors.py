"""Scenario problems a person can act on: where, what, and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value was written: a file (or ``--set``) and a 1-based line and column."""

    source: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.source
        return f"{self.source}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ScenarioIssue:
    location: Location
    path: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: "
        what = f"{self.path}: " if self.path else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{where}{what}{self.message}{hint}"


class ScenarioError(Exception):
    """One or more problems in a scenario, all reported at once."""

    def __init__(self, issues: list[ScenarioIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(issue) for issue in issues))

    @classmethod
    def single(cls, location: Location, message: str, hint: str = "", path: str = ""
               ) -> ScenarioError:
        return cls([ScenarioIssue(location, path, message, hint)])
