"""Every documentation example in the package runs as shown.

The modules are found by walking the package, not listed by hand, so a new module's
examples are tested as soon as it has any. Examples name scenarios relative to the
repository, so they run from its root.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import salesim

ROOT = Path(__file__).resolve().parents[1]


def modules_with_examples() -> list[str]:
    names = ["salesim"] + [info.name for info in pkgutil.walk_packages(
        salesim.__path__, prefix="salesim.")]
    finder = doctest.DocTestFinder()
    return [name for name in names
            if any(not example.options.get(doctest.SKIP)
                   for test in finder.find(importlib.import_module(name))
                   for example in test.examples)]


MODULES = modules_with_examples()


def test_the_walk_finds_the_documented_modules() -> None:
    for name in ("salesim", "salesim.world", "salesim.roles", "salesim.metrics",
                 "salesim.scenario.units", "salesim.model.territories"):
        assert name in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
