"""The documentation examples of the package, engine, model and scenario modules run as shown."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

MODULES = [
    "salesim",
    "salesim.engine.calendar",
    "salesim.engine.random_streams",
    "salesim.world",
    "salesim.scenario.units",
    "salesim.scenario.distributions",
    "salesim.scenario.loader",
    "salesim.scenario.uncertain",
]
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name scenarios relative to the repository
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
