"""Uncertain assumptions: scenario values drawn once per replication.

A scenario's ``uncertain:`` section maps the dotted path of a value (the same
paths ``--set`` takes) to the distribution of what it might be::

    uncertain:
      sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}            # a rate: beta by mean and sd
      channels.webinars.leads_per_month: {range: [200, 400]}   # uniform between the two
      ae.stages.discovery.duration.gamma.mean: {triangular: {low: 2 weeks, mode: 3 weeks,
                                                             high: 6 weeks}}

Every family of :mod:`salesim.scenario.distributions` is accepted too, its
parameters written in the unit of the value (durations, money, rates). Each
replication draws every uncertain value once, by inversion of one uniform number
from a random stream named after the path (``uncertain/<path>``): the same
replication seed gives the same draw for the same path in any plan (common
random numbers), and nothing else the simulation draws moves.

>>> from salesim.scenario import loads_scenario
>>> scenario = loads_scenario('''
... meta: {name: Unsure, start: 2027-01-01, horizon: 12 months}
... segments: {smb: {share: 100%, deal_size: 12k}}
... channels: {inbound: {leads_per_month: 200}}
... sdr: {headcount: 2}
... ae: {headcount: 2, stages: {discovery: {conversion: 50%, duration: 2 weeks}}}
... cs: {headcount: 1}
... uncertain:
...   sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}
... ''')
>>> concrete, drawn = realise_with_values(scenario, seed=7)
>>> drawn["sdr.meeting_rate"] == concrete.sdr.meeting_rate
True
>>> realise(scenario, seed=7).sdr.meeting_rate == concrete.sdr.meeting_rate
True
"""

from __future__ import annotations

import difflib
import functools
import math
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from scipy import special

from salesim.engine.random_streams import RandomStreams
from salesim.scenario.distributions import FAMILIES, Distribution, Sampler
from salesim.scenario.fields import DurationValue, GrowthRate, Rate
from salesim.scenario.problems import Problem
from salesim.scenario.section import Section
from salesim.scenario.units import Duration, parse_money, parse_number

if TYPE_CHECKING:
    from salesim.scenario.schema import Scenario

STREAM_PREFIX = "uncertain/"
"""Random streams of uncertain assumptions are named ``uncertain/<path>``."""

INFO_PREFIX = "assumption:"
"""A replication's drawn values are kept in ``Records.info`` as ``assumption:<path>``
(base units: durations in days, money in the scenario currency)."""

FIXED_SECTIONS = ("meta", "calendar", "uncertain")
"""Sections whose values stay fixed for a run."""

TAIL = 1e-9
"""Draws use probabilities from ``TAIL`` to ``1 - TAIL``: a distribution without an upper
limit (normal, gamma, lognormal) then stays below its ``1 - TAIL`` quantile, which is
what is checked against the field's limits."""

_FAMILIES = tuple(f for f in FAMILIES if f != "fixed")
Kind = Literal["rate", "growth", "duration", "number"]


class BetaParams(Section):
    """A beta distribution by its mean and standard deviation, both rates."""

    mean: Rate
    sd: Rate = Field(gt=0)

    @model_validator(mode="after")
    def _feasible(self) -> BetaParams:
        if not 0 < self.mean < 1:
            raise ValueError(f"a beta's mean must lie strictly between 0% and 100%, got "
                             f"{self.mean:.4g}")
        limit = math.sqrt(self.mean * (1 - self.mean))
        if self.sd >= limit:
            raise ValueError(f"a beta with mean {self.mean:.4g} needs sd below "
                             f"sqrt(mean x (1 - mean)) = {limit:.4g}, got {self.sd:.4g}")
        return self

    @property
    def shapes(self) -> tuple[float, float]:
        """The beta's ``(alpha, beta)``."""
        common = self.mean * (1 - self.mean) / self.sd**2 - 1
        return self.mean * common, (1 - self.mean) * common


class UncertainValue(Section):
    """The distribution of one uncertain value: ``beta`` (by mean and sd), ``range``
    (uniform between two values) or one family of :class:`Distribution` with its
    parameters in the value's unit. Exactly one key."""

    model_config = ConfigDict(extra="forbid", frozen=True,
                              json_schema_extra={"minProperties": 1, "maxProperties": 1})

    beta: BetaParams | None = None
    range: tuple[Any, Any] | None = Field(
        default=None, description="[low, high]: uniform between two values of the field.")
    exponential: dict[str, Any] | None = None
    gamma: dict[str, Any] | None = None
    lognormal: dict[str, Any] | None = None
    normal: dict[str, Any] | None = None
    triangular: dict[str, Any] | None = None
    uniform: dict[str, Any] | None = None
    empirical: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_family(self) -> UncertainValue:
        chosen = self.families
        if len(chosen) != 1:
            names = ", ".join(("beta", "range", *_FAMILIES))
            raise ValueError(f"name exactly one distribution ({names}); got "
                             f"{', '.join(chosen) if chosen else 'none'}")
        return self

    @property
    def families(self) -> list[str]:
        return [name for name in type(self).model_fields if getattr(self, name) is not None]

    @property
    def family(self) -> str:
        return self.families[0]


# ----------------------------------------------------------------------------- priors


@dataclass(frozen=True)
class Prior:
    """An uncertain value's distribution in base units: its quantile function, mean
    and variance."""

    family: str
    sampler: Sampler | None = None
    alpha: float = 0.0
    beta: float = 0.0

    def quantile(self, q: float) -> float:
        if self.sampler is not None:
            return float(self.sampler.quantile(q))
        return float(special.betaincinv(self.alpha, self.beta, q))

    @property
    def mean(self) -> float:
        if self.sampler is not None:
            return self.sampler.mean
        return self.alpha / (self.alpha + self.beta)

    @property
    def variance(self) -> float:
        if self.sampler is not None:
            return self.sampler.variance
        total = self.alpha + self.beta
        return self.alpha * self.beta / (total**2 * (total + 1))


@dataclass(frozen=True)
class Assumption:
    """One uncertain value: where it sits, what it may be, and how to set it."""

    path: str
    parts: tuple[str | int, ...]
    prior: Prior
    field: TypeAdapter[Any]
    as_distribution: type[BaseModel] | None  # set a ``fixed`` distribution, not a value
    currency: str

    def value(self, base: float) -> Any:
        """The scenario value for a draw in base units."""
        context = {"currency": self.currency}
        if self.as_distribution is not None:
            return self.as_distribution.model_validate({"fixed": base}, context=context)
        return self.field.validate_python(base, context=context)


class _PathError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def _metadata(annotation: Any) -> list[Any]:
    found: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *extra = typing.get_args(annotation)
        found.extend(extra)
    return found


def _validators(metadata: list[Any]) -> set[Any]:
    return {item.func for item in metadata if getattr(item, "func", None) is not None}


def _kind(metadata: list[Any], value: Any) -> Kind:
    if isinstance(value, Duration):
        return "duration"
    functions = _validators(metadata)
    if functions & _validators(_metadata(Rate)):
        return "rate"
    if functions & _validators(_metadata(GrowthRate)):
        return "growth"
    return "number"


def _amount(value: Any, info: ValidationInfo) -> float:
    """A plain quantity: a number, an amount of money (``12k``) or a percentage."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_number(value.strip()[:-1]) / 100
    return parse_money(value, (info.context or {}).get("currency"))


Amount = Annotated[float, BeforeValidator(_amount)]

_QUANTITY: dict[Kind, Any] = {"rate": Rate, "growth": GrowthRate, "duration": DurationValue,
                              "number": Amount}


def _close(name: str, known: list[str]) -> str:
    found = difflib.get_close_matches(name, known, n=1)
    return f"did you mean '{found[0]}'?" if found else f"known: {', '.join(known) or 'none'}"


def _resolve(scenario: Scenario, path: str
             ) -> tuple[tuple[str | int, ...], TypeAdapter[Any], type[BaseModel] | None, Kind]:
    """Walk ``path`` on the scenario to the value it names: the path as keys, an adapter
    that validates a value for it, the distribution model when it names a fixed
    distribution, and the value's kind."""
    parts = path.split(".")
    if parts[0] in FIXED_SECTIONS:
        raise _PathError(f"'{parts[0]}' cannot be uncertain: the horizon, calendar and "
                           "this section are the same in every replication")
    node: Any = scenario
    owner: tuple[type[BaseModel], str] | None = None
    keys: list[str | int] = []
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, Distribution) and node.family == "fixed" and depth:
            raise _PathError(f"{here} is a fixed value, not a section",
                               f"make {here} itself uncertain")
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                raise _PathError(f"no field '{part}' in {here}", _close(part, list(fields)))
            owner = (type(node), part)
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                raise _PathError(f"no entry '{part}' in {here}", _close(part, list(node)))
            node = node[part]
        else:
            raise _PathError(f"{here} is a value, not a section")
        keys.append(part)
    if node is None:
        raise _PathError("has no value in this scenario",
                           "write the value in the scenario first, then make it uncertain")
    if isinstance(node, Distribution):
        if node.family != "fixed":
            raise _PathError(
                f"is a {node.family} distribution already",
                f"make one of its parameters uncertain instead, e.g. "
                f"{path}.{node.family}.{_first_parameter(node)}")
        quantity = type(node).__pydantic_generic_metadata__["args"][0]
        return tuple(keys), _adapter(quantity), type(node), _kind(_metadata(quantity),
                                                                    node.fixed)
    if isinstance(node, bool | int):
        raise _PathError("is a whole number (a count or headcount), which cannot be "
                           "uncertain", "uncertain values are rates, volumes, amounts and "
                           "durations")
    if isinstance(node, BaseModel | dict | tuple | list):
        raise _PathError("is a section or a list, not a value",
                           "name one value inside it")
    if not isinstance(node, float | Duration):
        raise _PathError(f"is {type(node).__name__}, not a number or a duration")
    assert owner is not None
    info = owner[0].model_fields[owner[1]]
    metadata = list(info.metadata)
    adapter = _adapter(typing.Annotated[(info.annotation, *metadata)] if metadata
                       else info.annotation)
    return tuple(keys), adapter, None, _kind(metadata, node)


def _adapter(annotation: Any) -> TypeAdapter[Any]:
    """A validator for values of a field's type (built once per type: it is slow)."""
    return _cached_adapter(annotation)


@functools.lru_cache(maxsize=256)
def _cached_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _first_parameter(distribution: Distribution[Any]) -> str:
    params = getattr(distribution, distribution.family)
    return next((name for name, value in params if value is not None), "mean")


def _prior(spec: UncertainValue, kind: Kind, currency: str) -> Prior:
    """The prior of ``spec`` in base units, its parameters read as a ``kind`` value."""
    family = spec.family
    if family == "beta":
        if kind in ("duration",):
            raise _PathError("a beta distribution is for rates and shares, not durations",
                               "use range, triangular, gamma or lognormal")
        assert spec.beta is not None
        alpha, beta = spec.beta.shapes
        return Prior("beta", alpha=alpha, beta=beta)
    quantity = _QUANTITY[kind]
    model = Distribution[quantity]  # type: ignore[valid-type]
    if family == "range":
        assert spec.range is not None
        params: Any = {"low": spec.range[0], "high": spec.range[1]}
        family = "uniform"
    else:
        params = getattr(spec, family)
    try:
        distribution = model.model_validate({family: params}, context={"currency": currency})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:] if p != family)
        message = str(first["msg"]).removeprefix("Value error, ")
        if spec.family == "range":
            message = message.replace("needs low < high", "needs [low, high] with low < high")
            where = ""
        raise _PathError(f"{spec.family}{'.' + where if where else ''}: {message}"
                           ) from None
    return Prior(spec.family, sampler=distribution.sampler())


def _check_support(prior: Prior, field: TypeAdapter[Any], distribution: type[BaseModel] | None,
                   currency: str, kind: Kind) -> None:
    """Both ends of what the prior can draw must be values the field accepts."""
    for q, end in ((TAIL, "lowest"), (1 - TAIL, "highest")):
        value = prior.quantile(q)
        if kind == "rate" and not 0 <= value <= 1:
            raise _PathError(f"the {end} value the distribution can draw, {value:.4%}, is "
                               "not a rate: rates lie from 0% to 100%",
                               "use beta or range for a rate")
        try:
            if distribution is not None:
                distribution.model_validate({"fixed": value}, context={"currency": currency})
            else:
                field.validate_python(value, context={"currency": currency})
        except ValidationError as error:
            message = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
            raise _PathError(f"the {end} value the distribution can draw, {value:.6g}, "
                               f"does not fit here: {message}",
                               "narrow the distribution, or use beta or range") from None


def assumptions(scenario: Scenario) -> tuple[list[Assumption], list[Problem]]:
    """The scenario's uncertain values, checked; and the problems found."""
    found: list[Assumption] = []
    problems: list[Problem] = []
    currency = scenario.meta.currency
    for path, spec in scenario.uncertain.items():
        try:
            parts, adapter, distribution, kind = _resolve(scenario, path)
            prior = _prior(spec, kind, currency)
            _check_support(prior, adapter, distribution, currency, kind)
        except _PathError as problem:
            problems.append(Problem(("uncertain", path), problem.message, problem.hint))
            continue
        found.append(Assumption(path, parts, prior, adapter, distribution, currency))
    return found, problems


def uncertain_problems(scenario: Scenario) -> list[Problem]:
    """Problems of the ``uncertain:`` section, each at its path."""
    return assumptions(scenario)[1]


# ----------------------------------------------------------------------------- realise


def draw(scenario: Scenario, seed: int) -> dict[str, float]:
    """Each uncertain value's draw for replication ``seed`` (base units), by path.

    One uniform number per path from the stream ``uncertain/<path>`` (kept within
    ``TAIL`` of 0 and 1), turned into the value by the prior's inverse distribution
    function.
    """
    return _draw(_checked(scenario), seed)


def _checked(scenario: Scenario) -> list[Assumption]:
    found, problems = assumptions(scenario)
    if problems:
        raise ValueError("; ".join(f"uncertain.{p.path[1]}: {p.message}" for p in problems))
    return found


def _draw(found: list[Assumption], seed: int) -> dict[str, float]:
    streams = RandomStreams(seed)
    return {a.path: a.prior.quantile(min(max(float(streams.generator(
        STREAM_PREFIX + a.path).random()), TAIL), 1 - TAIL)) for a in found}


def realise_with_values(scenario: Scenario, seed: int) -> tuple[Scenario, dict[str, float]]:
    """The concrete scenario of replication ``seed`` and the values drawn for it.

    Without uncertain values this is ``scenario`` itself and no values.
    """
    if not scenario.uncertain:
        return scenario, {}
    found = _checked(scenario)
    values = _draw(found, seed)
    concrete: BaseModel = scenario
    for assumption in found:
        concrete = _replaced(concrete, assumption.parts,
                             assumption.value(values[assumption.path]))
    result = concrete.model_copy(update={"uncertain": {}})
    return typing.cast("Scenario", result), values


def realise(scenario: Scenario, seed: int) -> Scenario:
    """The concrete scenario of replication ``seed``: each uncertain value drawn once.

    See :func:`realise_with_values`.
    """
    return realise_with_values(scenario, seed)[0]


def _replaced(node: Any, parts: tuple[str | int, ...], value: Any) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(node, BaseModel):
        return node.model_copy(update={str(head): _replaced(getattr(node, str(head)), rest,
                                                            value)})
    assert isinstance(node, dict)
    return {**node, head: _replaced(node[head], rest, value)}


def info_values(info: dict[str, float]) -> dict[str, float]:
    """The drawn values kept in a replication's ``Records.info``, by path."""
    return {key.removeprefix(INFO_PREFIX): float(value) for key, value in info.items()
            if key.startswith(INFO_PREFIX)}

