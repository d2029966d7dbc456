"""How much of the spread across replications the uncertain assumptions cause.

Each replication draws the uncertain assumptions ``theta`` (outer) and then runs
on chance (inner). By the law of total variance, a headline metric ``Y`` has

    Var(Y) = Var(E[Y | theta]) + E[Var(Y | theta)]
             assumptions        chance

Two estimators, chosen by the run's design:

* **Nested** (``inner = k >= 2``: each assumption draw is run with ``k`` chance
  seeds): a one-way random-effects analysis of variance. With group means
  ``m_g`` of ``n_g`` replications each, the within-group mean square ``MSW``
  estimates the chance variance and ``(MSB - MSW) / n0`` the assumptions'
  (``n0`` the usual effective group size; ``n0 = k`` when groups are equal).
  It needs no model of how the metric depends on the assumptions.
* **Regression** (``inner = 1``, the ordinary run): regress ``Y`` on the drawn
  values and their squares (the squares only with at least ten replications per
  coefficient); the residual variance (with its degrees of freedom) estimates the
  chance variance and the rest of ``Var(Y)`` the assumptions'. Exact when the
  metric is (close to) quadratic in each assumption and they do not interact;
  otherwise use ``--inner 2``.

Shares are clipped to ``[0, 1]``. The P10-P90 band a normal spread of standard
deviation ``sd`` has is ``2 x 1.2816 x sd``; :func:`decompose` reports that band
for chance alone and for chance and assumptions together, and their difference,
the widening the assumptions cause.

>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> theta = rng.uniform(0, 1, (4000, 1))
>>> y = 10 * theta[:, 0] + rng.normal(0, 1, 4000)  # Var: 100/12 = 8.3 from theta, 1 chance
>>> split = decompose(y, theta)
>>> round(split.assumptions, 1), round(split.chance, 1)
(8.5, 1.0)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

Z90 = float(special.ndtri(0.9))
"""P90 of a standard normal: a normal spread's P10-P90 band is ``2 x Z90 x sd``."""

COLUMNS = ("metric", "method", "n", "variance", "assumptions", "chance",
           "share_assumptions", "band_chance", "band_total", "band_widening")


@dataclass(frozen=True)
class VarianceSplit:
    """One metric's spread split into assumptions and chance (variances)."""

    method: str
    n: int
    assumptions: float
    chance: float

    @property
    def variance(self) -> float:
        return self.assumptions + self.chance

    @property
    def share_assumptions(self) -> float:
        return self.assumptions / self.variance if self.variance > 0 else math.nan

    @property
    def band_chance(self) -> float:
        """P10-P90 width of a normal spread with the chance variance alone."""
        return 2 * Z90 * math.sqrt(self.chance)

    @property
    def band_total(self) -> float:
        """P10-P90 width of a normal spread with both variances."""
        return 2 * Z90 * math.sqrt(self.variance)

    @property
    def band_widening(self) -> float:
        """How much the assumptions widen the P10-P90 band."""
        return self.band_total - self.band_chance

    def row(self) -> dict[str, Any]:
        return {**asdict(self), "variance": self.variance,
                "share_assumptions": self.share_assumptions, "band_chance": self.band_chance,
                "band_total": self.band_total, "band_widening": self.band_widening}


def decompose(values: np.ndarray, theta: np.ndarray, groups: np.ndarray | None = None
              ) -> VarianceSplit:
    """Split the variance of ``values`` (one per replication) into the part due to the
    assumptions ``theta`` (replications x assumptions) and chance.

    ``groups`` (one label per replication) marks replications that share an assumption
    draw: with groups of two or more, the nested estimator; else the regression one.
    NaN values are left out.
    """
    y = np.asarray(values, dtype=float)
    x = np.asarray(theta, dtype=float).reshape(len(y), -1)
    keep = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    y, x = y[keep], x[keep]
    if groups is not None:
        labels = np.asarray(groups)[keep]
        sizes = np.unique(labels, return_counts=True)[1]
        if len(sizes) >= 2 and sizes.max() >= 2:
            return _nested(y, labels)
    return _regression(y, x)


def _nested(y: np.ndarray, labels: np.ndarray) -> VarianceSplit:
    _, code, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    n, groups = len(y), len(sizes)
    means = np.bincount(code, weights=y) / sizes
    within = float(((y - means[code]) ** 2).sum()) / (n - groups)
    between = float((sizes * (means - y.mean()) ** 2).sum()) / (groups - 1)
    n0 = (n - float((sizes**2).sum()) / n) / (groups - 1)
    return VarianceSplit("nested", n, max((between - within) / n0, 0.0), within)


def _regression(y: np.ndarray, x: np.ndarray) -> VarianceSplit:
    n = len(y)
    if n < 3:
        return VarianceSplit("regression", n, math.nan, math.nan)
    total = float(np.var(y, ddof=1))
    spread = x.std(axis=0)
    x = x[:, spread > 0]
    scaled = (x - x.mean(axis=0)) / x.std(axis=0) if x.shape[1] else x
    columns = [np.ones(n), *scaled.T]
    if n >= 10 * (2 * scaled.shape[1] + 1):
        columns += [s**2 - 1 for s in scaled.T]
    design = np.column_stack(columns)
    if n <= design.shape[1]:
        return VarianceSplit("regression", n, math.nan, math.nan)
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    chance = float(residual @ residual) / (n - design.shape[1])
    return VarianceSplit("regression", n, max(total - chance, 0.0), min(chance, total))


def variance_table(replications: pd.DataFrame, assumptions: pd.DataFrame,
                   metrics: list[str]) -> pd.DataFrame:
    """Per headline metric, its spread split into assumptions and chance.

    ``replications`` has a ``replication`` column and one per metric;
    ``assumptions`` has ``replication``, ``assumption_seed`` (replications with the
    same one share their draws) and one column per uncertain path. Columns
    :data:`COLUMNS`; variances in the metric's squared unit, bands in its unit.
    """
    merged = replications.merge(assumptions, on="replication", how="inner")
    paths = [c for c in assumptions.columns if c not in ("replication", "assumption_seed")]
    theta = merged[paths].to_numpy(dtype=float)
    groups = merged["assumption_seed"].to_numpy()
    rows = []
    for metric in metrics:
        split = decompose(merged[metric].to_numpy(dtype=float), theta, groups)
        rows.append({"metric": metric, **split.row()})
    return pd.DataFrame(rows, columns=list(COLUMNS))
