"""Probability distributions, written in business terms or native ones.

A scenario writes a distribution as a one-key mapping naming its family::

    cycle: {lognormal: {median: 30 days, p90: 90 days}}
    deal_size: {gamma: {mean: 24k, cv: 0.6}}
    handle_time: 12 min                       # a bare value is ``fixed``

The same families serve durations, money and plain numbers: the field's type
says which (``Distribution[DurationValue]`` and so on). This module is the one
place where a written distribution becomes a numpy sampler; samplers work in
base units (calendar days for durations, the scenario currency for money) and
carry their analytic mean and variance so tests can hold samples against them.

>>> import numpy as np
>>> spec = Distribution[float].model_validate({"gamma": {"mean": 10, "cv": 0.5}})
>>> sampler = spec.sampler()
>>> sampler.mean
10.0
>>> bool(abs(sampler.sample(np.random.default_rng(1), 100_000).mean() - 10) < 0.1)
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar, overload

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema
from scipy import special

from salesim.scenario.units import Duration

Q = TypeVar("Q")

# z such that P(Z <= z) = 0.9 for a standard normal
_Z90 = float(special.ndtri(0.9))


def base_value(value: Any) -> float:
    """A parameter in base units: durations in calendar days, everything else as a float."""
    return value.days if isinstance(value, Duration) else float(value)


_NULL = {"type": "null"}


def _without_null(schema: JsonSchemaValue) -> JsonSchemaValue:
    """A property schema without the ``null`` option and ``default: null`` that an
    optional field gets: nobody writes ``null`` for a parameter they do not use."""
    options = schema.get("anyOf")
    if not isinstance(options, list) or _NULL not in options:
        return schema
    kept = [option for option in options if option != _NULL]
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
    return {**rest, **kept[0]} if len(kept) == 1 else {**rest, "anyOf": kept}


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="after")
    def _finite(self) -> Any:
        for name, value in self:
            for item in value if isinstance(value, list | tuple) else [value]:
                if item is not None and not math.isfinite(base_value(item)):
                    raise ValueError(f"{name} must be a finite number, got {item}")
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
                                     ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        schema["properties"] = {
            name: _without_null(prop) for name, prop in schema.get("properties", {}).items()
        }
        return schema


class Exponential(_Params, Generic[Q]):
    mean: Q

    @model_validator(mode="after")
    def _positive(self) -> Exponential[Q]:
        _require_positive(self, "mean")
        return self


class Gamma(_Params, Generic[Q]):
    """Either ``mean`` with ``cv`` (or ``sd``), or native ``shape`` with ``scale``."""

    mean: Q | None = None
    cv: float | None = Field(default=None, gt=0)
    sd: Q | None = None
    shape: float | None = Field(default=None, gt=0)
    scale: Q | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Gamma[Q]:
        _require_one_form(self, [("mean", "cv"), ("mean", "sd"), ("shape", "scale")])
        _require_positive(self, "mean", "sd", "scale")
        return self


class LogNormal(_Params, Generic[Q]):
    """``median`` with ``p90`` (or ``sigma``), ``mean`` with ``cv``, or native ``mu``/``sigma``.

    ``mu`` is the mean of the log of the value in base units (days, currency).
    """

    median: Q | None = None
    p90: Q | None = None
    mean: Q | None = None
    cv: float | None = Field(default=None, gt=0)
    mu: float | None = None
    sigma: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_form(self) -> LogNormal[Q]:
        form = _require_one_form(
            self, [("median", "p90"), ("median", "sigma"), ("mean", "cv"), ("mu", "sigma")]
        )
        _require_positive(self, "median", "mean")
        if form == ("median", "p90") and base_value(self.p90) <= base_value(self.median):
            raise ValueError("p90 must be greater than the median")
        return self


class Normal(_Params, Generic[Q]):
    """A normal distribution truncated at zero (no negative durations or deal sizes)."""

    mean: Q
    sd: Q

    @model_validator(mode="after")
    def _spread(self) -> Normal[Q]:
        if base_value(self.sd) < 0:
            raise ValueError("sd cannot be negative")
        return self


class Triangular(_Params, Generic[Q]):
    low: Q
    mode: Q
    high: Q

    @model_validator(mode="after")
    def _ordered(self) -> Triangular[Q]:
        low, mode, high = (base_value(v) for v in (self.low, self.mode, self.high))
        if not low <= mode <= high or low == high:
            raise ValueError("needs low <= mode <= high with low < high")
        return self


class Uniform(_Params, Generic[Q]):
    low: Q
    high: Q

    @model_validator(mode="after")
    def _ordered(self) -> Uniform[Q]:
        if base_value(self.low) >= base_value(self.high):
            raise ValueError("needs low < high")
        return self


class Empirical(_Params, Generic[Q]):
    """Observed values, with optional weights (equal weights when left out)."""

    values: list[Q] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights_fit(self) -> Empirical[Q]:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"has {len(self.values)} values but {len(self.weights)} weights"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative with a positive sum")
        return self


FAMILIES = ("fixed", "exponential", "gamma", "lognormal", "normal", "triangular", "uniform",
            "empirical")


def _require_positive(model: BaseModel, *names: str) -> None:
    for name in names:
        value = getattr(model, name)
        if value is not None and base_value(value) <= 0:
            raise ValueError(f"{name} must be greater than zero")


def _require_one_form(model: BaseModel, forms: list[tuple[str, ...]]) -> tuple[str, ...]:
    given = {name for name, value in model if value is not None}
    for form in forms:
        if given == set(form):
            return form
    written = " or ".join("{" + ", ".join(form) + "}" for form in forms)
    raise ValueError(f"give exactly one parameter set: {written}; got {sorted(given) or 'none'}")


class Distribution(BaseModel, Generic[Q]):
    """A distribution of a quantity ``Q``: exactly one family key is set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fixed: Q | None = None
    exponential: Exponential[Q] | None = None
    gamma: Gamma[Q] | None = None
    lognormal: LogNormal[Q] | None = None
    normal: Normal[Q] | None = None
    triangular: Triangular[Q] | None = None
    uniform: Uniform[Q] | None = None
    empirical: Empirical[Q] | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_value_is_fixed(cls, data: Any) -> Any:
        if isinstance(data, dict | BaseModel):
            return data
        return {"fixed": data}

    @model_validator(mode="after")
    def _exactly_one_family(self) -> Distribution[Q]:
        chosen = [name for name in FAMILIES if getattr(self, name) is not None]
        if len(chosen) != 1:
            raise ValueError(
                f"name exactly one distribution family ({', '.join(FAMILIES)}); "
                f"got {', '.join(chosen) if chosen else 'none'}"
            )
        if self.fixed is not None and not math.isfinite(base_value(self.fixed)):
            raise ValueError(f"must be a finite number, got {self.fixed}")
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
                                     ) -> JsonSchemaValue:
        """Either a bare value (``fixed``) or a mapping with exactly one family key, as
        the validator accepts; the generated default would only allow the mapping."""
        generated = handler.resolve_ref_schema(handler(core_schema))
        families = {
            name: _without_null(prop) for name, prop in generated["properties"].items()
        }
        fixed = families["fixed"]
        bare = list(fixed["anyOf"]) if "anyOf" in fixed else [
            {k: v for k, v in fixed.items() if k != "title"}
        ]
        mapping = {
            "type": "object",
            "properties": families,
            "additionalProperties": False,
            "minProperties": 1,
            "maxProperties": 1,
        }
        generated.clear()
        generated.update({
            "title": cls.__name__,
            "description": "A fixed value, or one distribution family with its parameters, "
                           "e.g. {lognormal: {median: 30 days, p90: 90 days}}.",
            "anyOf": [*bare, mapping],
        })
        return generated

    @property
    def family(self) -> str:
        return next(name for name in FAMILIES if getattr(self, name) is not None)

    def sampler(self) -> Sampler:
        """The numpy sampler for this distribution, in base units."""
        return _build_sampler(self.family, getattr(self, self.family))

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Written back as ``{family: params}``, or the bare value for ``fixed``."""
        dumped = handler(self)
        family = self.family
        if family == "fixed":
            return dumped["fixed"]
        params = dumped[family]
        if isinstance(params, dict):
            params = {k: v for k, v in params.items() if v is not None}
        return {family: params}


@dataclass(frozen=True, slots=True)
class Sampler:
    """Draws blocks of samples in base units; knows its analytic mean and variance.

    Distributions that cannot go negative by construction (gamma, lognormal,
    exponential) never do; ``normal`` is truncated at zero.
    """

    family: Literal["fixed", "exponential", "gamma", "lognormal", "normal", "triangular",
                    "uniform", "empirical"]
    a: float = 0.0
    b: float = 0.0
    c: float = 0.0
    values: tuple[float, ...] = ()
    probabilities: tuple[float, ...] = ()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        match self.family:
            case "fixed":
                return np.full(size, self.a)
            case "exponential":
                return rng.exponential(self.a, size)
            case "gamma":
                return rng.gamma(self.a, self.b, size)
            case "lognormal":
                return rng.lognormal(self.a, self.b, size)
            case "normal":
                if self.b == 0:
                    return np.full(size, max(self.a, 0.0))
                return _truncated_normal_ppf(self.a, self.b, rng.random(size))
            case "triangular":
                return rng.triangular(self.a, self.b, self.c, size)
            case "uniform":
                return rng.uniform(self.a, self.b, size)
            case "empirical":
                return rng.choice(np.asarray(self.values), size=size, p=self.probabilities)
        raise AssertionError(self.family)  # pragma: no cover

    @property
    def mean(self) -> float:
        return self._moments()[0]

    @property
    def variance(self) -> float:
        return self._moments()[1]

    @property
    def _point(self) -> float | None:
        """The value of a distribution without spread (fixed, or normal with sd 0)."""
        if self.family == "fixed":
            return self.a
        if self.family == "normal" and self.b == 0:
            return max(self.a, 0.0)
        return None

    @overload
    def quantile(self, q: float) -> float: ...

    @overload
    def quantile(self, q: np.ndarray) -> np.ndarray: ...

    def quantile(self, q: float | np.ndarray) -> float | np.ndarray:
        """Analytic quantile (inverse CDF) at probability ``q``, a number or an array.

        Vectorised over arrays of any shape, so ``quantile(u)`` of Uniform(0, 1)
        numbers ``u`` samples the distribution by inversion: the same ``u`` always
        gives the same value (common random numbers). Every family inverts its own
        CDF: closed forms, the inverse regularised gamma function, the truncated
        normal's inverse; ``empirical`` gives the smallest value whose cumulative
        probability reaches ``q`` (within 1e-12, for rounding in the cumulative sum),
        never a value of weight zero.
        """
        if isinstance(q, np.ndarray):
            return self._quantiles(q.astype(float, copy=False))
        return float(self._quantiles(np.asarray([q], dtype=float))[0])

    def _quantiles(self, q: np.ndarray) -> np.ndarray:
        point = self._point
        if point is not None:
            return np.full(q.shape, point)
        match self.family:
            case "exponential":
                values: np.ndarray = -self.a * np.log1p(-q)
            case "gamma":
                values = special.gammaincinv(self.a, q) * self.b
            case "lognormal":
                values = np.exp(self.a + self.b * special.ndtri(q))
            case "normal":
                values = _truncated_normal_ppf(self.a, self.b, q.ravel()).reshape(q.shape)
            case "triangular":
                low, mode, high = self.a, self.b, self.c
                width = high - low
                below = low + np.sqrt(q * width * (mode - low))
                above = high - np.sqrt((1 - q) * width * (high - mode))
                values = np.where(q < (mode - low) / width, below, above)
            case "uniform":
                values = self.a + (self.b - self.a) * q
            case "empirical":
                values = self._empirical_quantiles(q)
            case _:  # pragma: no cover
                raise AssertionError(self.family)
        return values

    def _empirical_quantiles(self, q: np.ndarray) -> np.ndarray:
        weights = np.asarray(self.probabilities)
        values = np.asarray(self.values)
        keep = weights > 0
        values, weights = values[keep], weights[keep]
        order = np.argsort(values, kind="stable")
        cumulative = np.cumsum(weights[order])
        # the tolerance absorbs rounding in the cumulative sum (0.7 + 0.1 < 0.8)
        index = np.minimum(np.searchsorted(cumulative, q - 1e-12), len(order) - 1)
        result: np.ndarray = values[order][index]
        return result

    def _frozen(self) -> Any:
        from scipy import stats  # imported on first use: it adds a second to start-up

        match self.family:
            case "exponential":
                return stats.expon(scale=self.a)
            case "gamma":
                return stats.gamma(self.a, scale=self.b)
            case "lognormal":
                return stats.lognorm(self.b, scale=math.exp(self.a))
            case "triangular":
                width = self.c - self.a
                return stats.triang((self.b - self.a) / width, loc=self.a, scale=width)
            case "uniform":
                return stats.uniform(loc=self.a, scale=self.b - self.a)
        raise AssertionError(self.family)  # pragma: no cover

    def _moments(self) -> tuple[float, float]:
        if self._point is not None:
            return self._point, 0.0
        if self.family == "empirical":
            values = np.asarray(self.values)
            weights = np.asarray(self.probabilities)
            mean = float(values @ weights)
            return mean, float(((values - mean) ** 2) @ weights)
        if self.family == "normal":
            return _truncated_normal_moments(self.a, self.b)
        mean, variance = self._frozen().stats(moments="mv")
        return float(mean), float(variance)


def _truncated_normal_ppf(mean: float, sd: float, q: np.ndarray) -> np.ndarray:
    """Inverse CDF of a normal(mean, sd > 0) cut at zero, at probabilities ``q``.

    Works on the upper tail in logs: with V = (1 - q) P(Z > -mean/sd), the value
    is mean - sd * ndtri(V). Logs keep it exact when the cut removes nearly all
    the mass (a mean many sds below zero), and V > 0 for q < 1, so no infinities.
    """
    log_tail = special.log_ndtr(mean / sd)
    if not np.isfinite(log_tail):  # a cut beyond float range: all the mass sits at zero
        return np.zeros(len(q))
    z = special.ndtri_exp(log_tail + np.log1p(-q))
    values: np.ndarray = np.maximum(mean - sd * z, 0.0)
    return values


def _truncated_normal_moments(mean: float, sd: float) -> tuple[float, float]:
    """Mean and variance of a normal(mean, sd > 0) cut at zero.

    With alpha = -mean/sd and the inverse Mills ratio lam = phi(alpha) / P(Z > alpha),
    the mean is mean + sd * lam and the variance sd^2 (1 + alpha lam - lam^2). Deep
    cuts (alpha >= 30) use the asymptotic series instead, which avoids cancelling
    large terms: mean sd (1/alpha - 2/alpha^3 + ...), variance sd^2 (1/alpha^2 - ...);
    at alpha = 30 the first term left out is below 1e-9 of the result.
    """
    alpha = -mean / sd
    if alpha < 30:
        # lam through the scaled complementary error function: accurate in the tail
        lam = math.sqrt(2 / math.pi) / float(special.erfcx(alpha / math.sqrt(2)))
        above = lam - alpha  # mean - cut, in sds
        return mean + sd * lam, sd * sd * (1 - lam * above)
    e = 1 / alpha
    t = e * e
    mean_series = 1 + t * (-2 + t * (10 + t * (-74 + t * (706 + t * -8162))))
    variance_series = t * (1 + t * (-6 + t * (50 + t * (-518 + t * (6354 + t * -89782)))))
    return sd * e * mean_series, sd * sd * variance_series


def _build_sampler(family: str, params: Any) -> Sampler:
    if family == "fixed":
        return Sampler("fixed", a=base_value(params))
    if family == "exponential":
        return Sampler("exponential", a=base_value(params.mean))
    if family == "gamma":
        if params.shape is not None:
            return Sampler("gamma", a=params.shape, b=base_value(params.scale))
        mean = base_value(params.mean)
        cv = params.cv if params.cv is not None else base_value(params.sd) / mean
        shape = 1 / cv**2
        return Sampler("gamma", a=shape, b=mean / shape)
    if family == "lognormal":
        if params.mu is not None:
            return Sampler("lognormal", a=params.mu, b=params.sigma)
        if params.median is not None:
            mu = math.log(base_value(params.median))
            sigma = (
                params.sigma
                if params.sigma is not None
                else (math.log(base_value(params.p90)) - mu) / _Z90
            )
            return Sampler("lognormal", a=mu, b=sigma)
        sigma2 = math.log1p(params.cv**2)
        return Sampler(
            "lognormal", a=math.log(base_value(params.mean)) - sigma2 / 2, b=math.sqrt(sigma2)
        )
    if family == "normal":
        return Sampler("normal", a=base_value(params.mean), b=base_value(params.sd))
    if family == "triangular":
        return Sampler(
            "triangular",
            a=base_value(params.low), b=base_value(params.mode), c=base_value(params.high),
        )
    if family == "uniform":
        return Sampler("uniform", a=base_value(params.low), b=base_value(params.high))
    if family == "empirical":
        values = tuple(base_value(v) for v in params.values)
        weights = np.asarray(params.weights if params.weights else [1.0] * len(values))
        probabilities = tuple(float(w) for w in weights / weights.sum())
        return Sampler("empirical", values=values, probabilities=probabilities)
    raise AssertionError(family)  # pragma: no cover
