"""The documentation examples in the metrics modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["salesim.metrics", "salesim.metrics.plan", "salesim.metrics.periods",
           "salesim.metrics.intervals", "salesim.metrics.compensation"]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
