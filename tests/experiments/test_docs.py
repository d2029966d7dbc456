"""The documentation examples in the experiments modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = ["salesim.experiments.montecarlo", "salesim.experiments.seeds",
           "salesim.experiments.stats", "salesim.experiments.executors",
           "salesim.experiments.command", "salesim.experiments.provenance",
           "salesim.experiments.targets", "salesim.experiments.compare",
           "salesim.experiments.compare_command", "salesim.experiments.ranges",
           "salesim.experiments.sweep", "salesim.experiments.goal",
           "salesim.experiments.precision", "salesim.experiments.spreadsheet"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name scenarios relative to the repository
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
