"""Targets on headline metrics, written as on the command line: ``bookings=30M``.

``=`` means "at least"; ``>=``, ``>``, ``<=`` and ``<`` say it explicitly.
Amounts are read like money and numbers in scenarios (``30M``, ``1,200``,
``$12k``, ``120万円``), shares as ``35%`` or ``0.35``.

>>> Target.parse("bookings=30M")
Target(metric='bookings', op='>=', value=30000000.0, written='bookings=30M')
>>> Target.parse("cac <= 12k").op, Target.parse("win_rate>25%").value
('<=', 0.25)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from salesim.experiments.ensemble import Ensemble
from salesim.experiments.stats import Probability
from salesim.scenario.units import UnitError, parse_money, parse_rate

_TARGET_RE = re.compile(r"^\s*([A-Za-z_][\w]*)\s*(>=|<=|>|<|=)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Target:
    """A condition on one headline metric: ``metric op value``."""

    metric: str
    op: str
    value: float
    written: str

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> Target:
        """Read ``metric=value`` (or with ``>=``, ``>``, ``<=``, ``<``); raise ValueError."""
        match = _TARGET_RE.match(text)
        if not match:
            raise ValueError(f"target {text!r}: expected metric=value, e.g. bookings=30M")
        metric, op, amount = match.groups()
        try:
            value = parse_rate(amount) if amount.endswith("%") else parse_money(amount, currency)
        except (UnitError, ValueError) as error:
            raise ValueError(f"target {text!r}: {error}") from None
        return cls(metric, ">=" if op == "=" else op, value, text.strip())

    @property
    def label(self) -> str:
        """``bookings >= 30M``: the condition as written, with its operator spelled out."""
        match = _TARGET_RE.match(self.written)
        amount = match.group(3) if match else f"{self.value:g}"
        return f"{self.metric} {self.op} {amount}"

    def probability(self, ensemble: Ensemble, confidence: float = 0.95) -> Probability:
        """Share of the ensemble's replications meeting the target, with its interval."""
        return ensemble.probability_interval(self.metric, self.value, self.op, confidence)

    def result(self, ensemble: Ensemble, confidence: float = 0.95) -> dict[str, Any]:
        """The target and its probability as plain data (for ``summary.json``)."""
        chance = self.probability(ensemble, confidence)
        return {"target": self.written, "metric": self.metric, "op": self.op,
                "value": self.value, "probability": chance.estimate,
                "ci_low": chance.low, "ci_high": chance.high, "hits": chance.hits,
                "n": chance.n, "confidence": confidence}
