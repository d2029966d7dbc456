"""The scenario: a typed, immutable description of a sales organisation and its market.

Sections follow the domain: ``meta`` and ``calendar``; the market (``segments``,
``channels``, ``recycle``); the teams (``sdr``, ``ae``, ``cs``), each a
:class:`Team` with headcount, hiring plan, ramp, attrition and quota plus its
own work parameters; and what customers do after signing (``customers``).
Further teams (BDR) and sections (accounts, territories, partners) join the same
way: a new model and a new key. A team's ``compensation`` plan is a field of
:class:`Team` (:mod:`salesim.scenario.compensation`).

Cross-section rules (shares that must sum to 100%, names that must refer to
existing segments or stages) live in :func:`cross_section_problems`, which
reports every problem with the exact path it concerns.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_serializer,
    field_validator,
    model_validator,
)

from salesim.roles import KINDS
from salesim.scenario.accounts import (
    Accounts,
    Territories,
    accounts_problems,
    territory_problems,
)
from salesim.scenario.compensation import CompensationPlan, compensation_problems
from salesim.scenario.fields import (
    DURATION_JSON_SCHEMA,
    DurationDist,
    DurationValue,
    GrowthRate,
    Money,
    MoneyDist,
    Month,
    Name,
    NumberDist,
    PositiveDuration,
    Rate,
)
from salesim.scenario.problems import SHARE_TOLERANCE, Problem, share_problem, unknown_names
from salesim.scenario.routing import Routing, routing_problems
from salesim.scenario.section import Section
from salesim.scenario.start_state import StartState, start_state_problems
from salesim.scenario.uncertain import UncertainValue, uncertain_problems
from salesim.scenario.units import Duration, add_months, format_month, months_between

__all__ = ["SHARE_TOLERANCE", "Problem", "Section", "unknown_names"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# ----------------------------------------------------------------------------- meta, calendar


class Meta(Section):
    name: Name
    description: str = ""
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    start: dt.date = Field(description="First day simulated (ISO date).")
    horizon: PositiveDuration = Field(description="How long to simulate, e.g. '36 months'.")

    @field_validator("currency", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("horizon", mode="before")
    @classmethod
    def _horizon_unit_written(cls, value: Any) -> Any:
        # elsewhere a bare number is days; a plan of 12 days is never what was meant
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"{value:g} has no unit: a horizon needs one "
                             f"(did you mean '{value:g} months'?)")
        if isinstance(value, str) and re.fullmatch(r"\s*[0-9.,_]+\s*", value):
            raise ValueError(f"'{value.strip()}' has no unit: a horizon needs one "
                             f"(did you mean '{value.strip()} months'?)")
        return value

    @field_validator("horizon")
    @classmethod
    def _horizon_sensible(cls, value: Duration) -> Duration:
        if value.days < 1:
            raise ValueError(f"horizon of {value} is too short: simulate at least one day")
        if value.days > 20 * 365.25:
            raise ValueError(f"horizon of {value} is longer than 20 years")
        return value

    @property
    def end(self) -> dt.date:
        """The first day after the horizon.

        Horizons in whole months or years end on the same day of a later month
        (2027-01-01 plus 36 months ends on 2030-01-01), so every calendar month
        is simulated whole; other horizons are rounded to whole days.
        """
        horizon = self.horizon
        months = {"month": 1, "year": 12}.get(horizon.unit)
        if months is not None and float(horizon.amount * months).is_integer():
            index = self.start.year * 12 + self.start.month - 1 + int(horizon.amount * months)
            year, month = divmod(index, 12)
            day = min(self.start.day, monthrange(year, month + 1)[1])
            return dt.date(year, month + 1, day)
        return self.start + dt.timedelta(days=round(horizon.days))

    @property
    def horizon_days(self) -> float:
        """Length of the simulated period in calendar days (the engine's clock)."""
        return float((self.end - self.start).days)


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """Daily working hours, ``"09:00-18:00"``."""

    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, value: Any) -> WorkingHours:
        if isinstance(value, WorkingHours):
            return value
        match = (
            re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*[-–~〜]\s*(\d{1,2}):(\d{2})\s*", value)
            if isinstance(value, str)
            else None
        )
        if not match:
            raise ValueError(f"'{value}' is not working hours: write e.g. '09:00-18:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 > 0):
            raise ValueError(f"'{value}' has an impossible time of day")
        start = dt.time(h1, m1)
        end = dt.time(23, 59, 59, 999999) if h2 == 24 else dt.time(h2, m2)
        if end <= start:
            raise ValueError(f"'{value}' ends before it starts (night shifts are not supported)")
        return cls(start, end)

    @property
    def hours(self) -> float:
        return self.end_hour - self.start_hour

    @property
    def start_hour(self) -> float:
        return self.start.hour + self.start.minute / 60

    @property
    def end_hour(self) -> float:
        if self.end == dt.time(23, 59, 59, 999999):
            return 24.0
        return self.end.hour + self.end.minute / 60

    def __str__(self) -> str:
        end = "24:00" if self.end_hour == 24 else self.end.strftime("%H:%M")
        return f"{self.start.strftime('%H:%M')}-{end}"


HoursValue = Annotated[
    WorkingHours,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string",
                    "pattern": r"^\s*\d{1,2}:\d{2}\s*[-–~〜]\s*\d{1,2}:\d{2}\s*$",
                    "examples": ["09:00-18:00"]}),
]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Calendar(Section):
    """When people work. ``always_open: true`` makes every hour a working hour (24x7)."""

    always_open: bool = False
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    working_hours: HoursValue = WorkingHours(dt.time(9), dt.time(18))
    holidays: tuple[dt.date, ...] = ()

    @field_validator("working_hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> WorkingHours:
        return WorkingHours.parse(value)

    @field_validator("working_days", mode="before")
    @classmethod
    def _lower_days(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(v.lower()[:3] if isinstance(v, str) else v for v in value)
        return value

    @field_validator("working_days")
    @classmethod
    def _some_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one working day")
        if len(set(value)) != len(value):
            raise ValueError("lists a day twice")
        return tuple(sorted(value, key=WEEKDAYS.index))

    @property
    def hours_per_week(self) -> float:
        if self.always_open:
            return 168.0
        return len(self.working_days) * self.working_hours.hours


# ----------------------------------------------------------------------------- building blocks


class RampCurve(Section):
    """Productivity of a new hire by month of tenure.

    Written as a list of monthly fractions (``[0.25, 0.5, 0.75, 1.0]``: 25% in
    the first month...) or ``{linear: 5 months}`` (rising evenly to full
    productivity at 5 months). After the curve ends a rep is fully productive.
    """

    fractions: tuple[Annotated[float, Field(ge=0, le=1)], ...] | None = None
    linear: DurationValue | None = None

    @model_validator(mode="before")
    @classmethod
    def _list_form(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return {"fractions": value}
        return value

    @field_validator("linear", mode="before")
    @classmethod
    def _unit_written(cls, value: Any) -> Any:
        # elsewhere a bare number is days; a ramp is almost always meant in months
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f"write the unit: {{linear: {value} months}} or "
                             f"{{linear: {value} weeks}}")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> RampCurve:
        if (self.fractions is None) == (self.linear is None):
            raise ValueError("write a list of monthly fractions or {linear: N months}, not both")
        if self.fractions is not None and not self.fractions:
            raise ValueError("the list of monthly fractions is empty; use [1.0] for no ramp")
        return self

    def monthly_fractions(self) -> tuple[float, ...]:
        """Average productivity in each month of tenure until full productivity."""
        if self.fractions is not None:
            return self.fractions
        assert self.linear is not None
        months = self.linear.days / (365.25 / 12)
        if months <= 0:
            return (1.0,)
        whole = int(-(-months // 1))
        # mean of min(t / months, 1) over each tenure month [k, k+1)
        return tuple(
            min(1.0, (k + 0.5) / months) if k + 1 <= months
            else _partial_linear_month(k, months)
            for k in range(whole)
        )

    @property
    def months_to_full(self) -> int:
        return len(self.monthly_fractions())


def _partial_linear_month(k: int, months: float) -> float:
    rising = months - k
    return (rising * ((k + months) / 2) / months + (1 - rising)) if rising > 0 else 1.0


def _ramp_serializer(value: RampCurve) -> Any:
    if value.fractions is not None:
        return list(value.fractions)
    return {"linear": str(value.linear)}


Ramp = Annotated[
    RampCurve,
    PlainSerializer(_ramp_serializer),
    WithJsonSchema({"anyOf": [
        {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}},
        {"type": "object", "properties": {"linear": DURATION_JSON_SCHEMA["anyOf"][1]},
         "required": ["linear"], "additionalProperties": False},
    ]}),
]

NO_RAMP = RampCurve(fractions=(1.0,))


class Hire(Section):
    """One line of a hiring plan: ``count`` requisitions opened in ``month``, or
    enough to bring the team to ``target`` heads (counting open requisitions)."""

    month: Month
    count: int | None = Field(default=None, ge=1)
    target: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _count_or_target(self) -> Hire:
        if (self.count is None) == (self.target is None):
            raise ValueError("give either count (hires to make) or target (headcount to reach)")
        return self


class Backfill(Section):
    """Whether a leaver is replaced, and how long until the requisition opens."""

    enabled: bool = True
    delay: DurationDist = Field(default_factory=lambda: DurationDist(fixed=Duration(0)))

    @model_validator(mode="before")
    @classmethod
    def _bool_form(cls, value: Any) -> Any:
        return {"enabled": value} if isinstance(value, bool) else value


class Quota(Section):
    """A rep's target for one period; the role says what is counted (meetings, bookings)."""

    amount: Money = Field(gt=0)
    period: Literal["month", "quarter", "year"] = "month"

    @property
    def per_month(self) -> float:
        return self.amount / {"month": 1, "quarter": 3, "year": 12}[self.period]


class Team(Section):
    """What every team has: people over time and what each costs and carries."""

    headcount: int = Field(ge=0, le=100_000, description="Reps on the first day, fully ramped.")
    hiring: tuple[Hire, ...] = ()
    time_to_fill: DurationDist = Field(default_factory=lambda: DurationDist(fixed=Duration(0)))
    ramp: Ramp = NO_RAMP
    attrition: Rate = Field(default=0.0, description="Share of the team leaving per year.")
    backfill: Backfill = Backfill(enabled=False)
    annual_cost: Money = Field(default=0.0, description="Fully loaded cost per head per year.")
    quota: Quota | None = None
    compensation: CompensationPlan | None = Field(
        default=None, description="The team's compensation plan (pay changes cost only).")

    @field_validator("ramp", mode="before")
    @classmethod
    def _ramp(cls, value: Any) -> Any:
        return RampCurve.model_validate(value) if isinstance(value, list | tuple) else value


# ----------------------------------------------------------------------------- market


class Segment(Section):
    """A customer segment (e.g. SMB, mid-market, enterprise)."""

    share: Rate = Field(description="Share of leads in this segment (channels may override).")
    deal_size: MoneyDist = Field(description="First-year ARR of a won deal.")
    stages: dict[Name, SegmentStage] = Field(
        default_factory=dict, description="Per-stage overrides of ae.stages for this segment."
    )
    valid_rate_multiplier: float = Field(default=1.0, ge=0, le=10)


class SegmentStage(Section):
    conversion: Rate | None = None
    duration: DurationDist | None = None


class LeadScore(Section):
    """Lead score = attribute part (fit: size, industry, title) + behaviour part
    (engagement: visits, clicks, downloads), each clipped to 0..50."""

    attribute: NumberDist = Field(
        default_factory=lambda: NumberDist.model_validate({"uniform": {"low": 0, "high": 50}})
    )
    behaviour: NumberDist = Field(
        default_factory=lambda: NumberDist.model_validate({"uniform": {"low": 0, "high": 50}})
    )

DEFAULT_DAY_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0, 1.0, 0.15, 0.1)
"""Default day-of-week weights, Monday first: B2B inbound comes on working days, with a
small weekend tail (assumed: a weekend day brings a tenth to a seventh of a weekday)."""

DEFAULT_HOUR_WEIGHTS: tuple[float, ...] = (
    0.05, 0.05, 0.05, 0.05, 0.05, 0.05, 0.05,  # 00-07: night
    0.3, 0.7,                                  # 07-09: the working day starts
    1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0,  # 09-18: business hours
    0.6, 0.4, 0.3, 0.2, 0.1, 0.05,             # 18-24: the evening tail
)
"""Default hour-of-day weights, 00-01 first: three quarters of a day's leads arrive
09:00-18:00 local time, the rest mostly in the hours either side (an assumption)."""


def _weights(value: Any, count: int, names: tuple[str, ...] | None, what: str) -> Any:
    """Profile weights written as ``flat``, a list of ``count`` numbers or (days) a
    mapping of day names to weights, days not named weighing 0."""
    if isinstance(value, str) and value.strip().lower() in ("flat", "even", "uniform"):
        return (1.0,) * count
    if names is not None and isinstance(value, dict):
        unknown = [key for key in value if str(key).lower()[:3] not in names]
        if unknown:
            raise ValueError(f"unknown day '{unknown[0]}': use {', '.join(names)}")
        given = {str(key).lower()[:3]: weight for key, weight in value.items()}
        return tuple(given.get(name, 0.0) for name in names)
    if isinstance(value, list | tuple):
        if len(value) != count:
            raise ValueError(f"needs {count} {what} weights, got {len(value)}")
        return tuple(value)
    return value


_FLAT_JSON: dict[str, Any] = {"enum": ["flat", "even", "uniform"]}
_WEIGHT_JSON: dict[str, Any] = {"type": "number", "minimum": 0}


def _flat_or_arrivals(schema: dict[str, Any]) -> None:
    """Editor schema of ``channel.arrivals``: the settings, or ``flat``."""
    reference = schema.pop("$ref")
    schema["anyOf"] = [{"$ref": reference}, _FLAT_JSON]


class Arrivals(Section):
    """When a channel's leads arrive, and explicit volumes for some months.

    ``days`` (Monday first) and ``hours`` (00-01 first) are relative weights; each
    month's leads are spread over its days by ``days`` and over each day's hours by
    ``hours``. ``monthly`` gives the expected leads of named calendar months
    (``{2027-01: 800, 2027-02: 750}``, or a list from the scenario's first month),
    replacing the volume with growth, seasonality and ramp for those months.
    """

    days: Annotated[tuple[Annotated[float, Field(ge=0)], ...], WithJsonSchema({"anyOf": [
        {"type": "array", "items": _WEIGHT_JSON, "minItems": 7, "maxItems": 7},
        {"type": "object", "additionalProperties": _WEIGHT_JSON,
         "propertyNames": {"pattern": "^([Mm]on|[Tt]ue|[Ww]ed|[Tt]hu|[Ff]ri|[Ss]at|[Ss]un)"}},
        _FLAT_JSON]})] = Field(
        default=DEFAULT_DAY_WEIGHTS,
        description="Day-of-week weights, Monday first: 7 numbers, {mon: 1, sat: 0.2, ...} "
                    "(days left out weigh 0) or 'flat'.")
    hours: Annotated[tuple[Annotated[float, Field(ge=0)], ...], WithJsonSchema({"anyOf": [
        {"type": "array", "items": _WEIGHT_JSON, "minItems": 24, "maxItems": 24},
        _FLAT_JSON]})] = Field(
        default=DEFAULT_HOUR_WEIGHTS,
        description="Hour-of-day weights, 00-01 first: 24 numbers or 'flat'.")
    monthly: dict[Month, Annotated[float, Field(ge=0, le=10_000_000)]] | tuple[
        Annotated[float, Field(ge=0, le=10_000_000)], ...] | None = Field(
        default=None,
        description="Expected leads of named months, {2027-01: 800}, or a list from the "
                    "first month; other months keep the channel's volume.")

    @model_validator(mode="before")
    @classmethod
    def _flat_form(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in ("flat", "even", "uniform"):
            return {"days": "flat", "hours": "flat"}
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        return _weights(value, 7, WEEKDAYS, "day-of-week")

    @field_validator("hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        return _weights(value, 24, None, "hour-of-day")

    @field_validator("days", "hours")
    @classmethod
    def _some_weight(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if sum(value) <= 0:
            raise ValueError("every weight is 0: leads could never arrive")
        return value

    @field_serializer("monthly")
    def _dump_monthly(self, value: dict[dt.date, float] | tuple[float, ...] | None) -> Any:
        if isinstance(value, dict):
            return {format_month(month): volume for month, volume in value.items()}
        return None if value is None else list(value)

    def monthly_volumes(self, first_month: dt.date) -> dict[dt.date, float]:
        """The explicit monthly volumes by month (first day); a list starts at
        ``first_month``.

        >>> Arrivals(monthly=[800, 750]).monthly_volumes(dt.date(2027, 1, 1))
        {datetime.date(2027, 1, 1): 800.0, datetime.date(2027, 2, 1): 750.0}
        """
        if self.monthly is None:
            return {}
        if isinstance(self.monthly, dict):
            return dict(self.monthly)
        return {add_months(first_month, k): v for k, v in enumerate(self.monthly)}


class Channel(Section):
    """A marketing lead source. Volume is ``leads_per_month`` or ``spend_per_month`` /
    ``cost_per_lead``; growth, seasonality and a ramp shape it over time."""

    leads_per_month: float | None = Field(default=None, ge=0, le=10_000_000)
    spend_per_month: Money | None = None
    cost_per_lead: Money | None = None
    fixed_cost_per_month: Money = 0.0
    annual_growth: GrowthRate = 0.0
    seasonality: tuple[Annotated[float, Field(ge=0)], ...] | None = Field(
        default=None, description="Twelve monthly multipliers, January first."
    )
    ramp: Ramp | None = Field(default=None, description="Slow start, e.g. owned media.")
    start: Month | None = None
    end: Month | None = None
    segment_mix: dict[Name, Rate] | None = None
    score: LeadScore = LeadScore()
    not_ready_share: Rate | None = Field(
        default=None, description="Share of new leads not ready now; defaults to recycle's."
    )
    arrivals: Arrivals = Field(
        default_factory=Arrivals, json_schema_extra=_flat_or_arrivals,
        description="Day-of-week and hour-of-day profile, and explicit monthly volumes.")

    @field_validator("ramp", mode="before")
    @classmethod
    def _ramp(cls, value: Any) -> Any:
        return RampCurve.model_validate(value) if isinstance(value, list | tuple) else value

    @field_validator("seasonality")
    @classmethod
    def _twelve(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and len(value) != 12:
            raise ValueError(f"needs 12 monthly multipliers (January first), got {len(value)}")
        return value

    @model_validator(mode="after")
    def _volume(self) -> Channel:
        if self.leads_per_month is None and (
            self.spend_per_month is None or self.cost_per_lead is None
        ):
            raise ValueError(
                "needs leads_per_month, or spend_per_month together with cost_per_lead"
            )
        if self.leads_per_month is not None and self.spend_per_month is not None:
            raise ValueError("give leads_per_month or spend_per_month, not both")
        if self.cost_per_lead == 0 and self.spend_per_month:
            raise ValueError("cost_per_lead of 0 with a spend would make infinite leads")
        return self

    @property
    def base_leads_per_month(self) -> float:
        if self.leads_per_month is not None:
            return self.leads_per_month
        assert self.spend_per_month is not None
        assert self.cost_per_lead
        return self.spend_per_month / self.cost_per_lead

    @property
    def variable_cost_per_lead(self) -> float:
        return self.cost_per_lead or 0.0


class Recycle(Section):
    """The nurture pool: leads not ready now, or not converted, come back later."""

    not_ready_share: Rate = Field(default=0.65, description="New leads not ready now.")
    unreached_to_nurture: Rate = Field(
        default=0.5, description="Of leads never reached after all attempts, share nurtured."
    )
    disqualified_to_nurture: Rate = Field(
        default=0.5, description="Of reached leads that set no valid meeting, share nurtured."
    )
    reengage_rate: Rate = Field(default=0.25, description="Chance a nurtured lead comes back.")
    reengage_after: DurationDist = Field(
        default_factory=lambda: DurationDist.model_validate(
            {"gamma": {"mean": "4 months", "cv": 0.6}}
        )
    )
    max_cycles: int = Field(default=2, ge=0, le=20)


# ----------------------------------------------------------------------------- teams


class SpeedPoint(Section):
    within: DurationValue
    multiplier: float = Field(ge=0, le=1)


DEFAULT_SPEED_TO_LEAD: tuple[SpeedPoint, ...] = tuple(
    SpeedPoint(within=Duration.parse(within), multiplier=multiplier)
    for within, multiplier in [
        # Lead-response figures: a first call within 5 minutes books 5x the meetings of
        # one at 10 minutes ("400% higher"), and a lead is about 20x likelier to qualify
        # when called within 5 minutes than after 30. Past half an hour the studies keep
        # falling; the default levels off gently instead of extrapolating them.
        ("5 min", 1.0), ("10 min", 0.2), ("30 min", 0.05), ("1 h", 0.04), ("1 day", 0.03),
        ("3 days", 0.02),
    ]
)


class Attempts(Section):
    """Call attempts per lead and the gaps between them (the last gap repeats)."""

    max: int = Field(default=6, ge=1, le=50)
    cadence: tuple[DurationValue, ...] = tuple(
        Duration.parse(g) for g in ("1 business day", "2 business days", "3 business days")
    )


class ValidRate(Section):
    """Chance a held meeting is judged valid, linear in lead score 0..100."""

    at_score_0: Rate = 0.4
    at_score_100: Rate = 0.9

    def at(self, score: float) -> float:
        return self.at_score_0 + (self.at_score_100 - self.at_score_0) * score / 100


class SDR(Team):
    """Inside sales, inbound: turns leads into held, valid meetings."""

    kind: Literal["sdr"] = "sdr"
    queue: Literal["fifo", "score_priority", "newest_first"] = Field(
        default="fifo",
        description="Which ready call comes next: oldest first (fifo), highest lead score "
                    "first (score_priority) or most recently due first (newest_first).")
    stale_after: PositiveDuration | None = Field(
        default=None,
        description="A lead not called within this time leaves the queue as stale, e.g. "
                    "'5 business days' (working time) or '7 days' (calendar time).")
    handle_time: DurationDist = Field(
        default_factory=lambda: DurationDist.model_validate(
            {"gamma": {"mean": "12 min", "cv": 0.5}}
        ),
        description="SDR time per call attempt, including notes.",
    )
    attempts: Attempts = Attempts()
    contact_rate: Rate = Field(default=0.3, description="Chance one attempt reaches the person.")
    meeting_rate: Rate = Field(
        default=0.4, description="Chance a reached lead books a meeting, at the best speed."
    )
    speed_to_lead: tuple[SpeedPoint, ...] = DEFAULT_SPEED_TO_LEAD
    meeting_lead_time: DurationDist = Field(
        default_factory=lambda: DurationDist.model_validate(
            {"gamma": {"mean": "5 days", "cv": 0.6}}
        ),
        description="From booking to the meeting date.",
    )
    reschedule_rate: Rate = 0.1
    no_show_rate: Rate = 0.12
    valid_rate: ValidRate = ValidRate()

    @field_validator("speed_to_lead")
    @classmethod
    def _increasing(cls, value: tuple[SpeedPoint, ...]) -> tuple[SpeedPoint, ...]:
        if not value:
            raise ValueError("needs at least one point, e.g. [{within: 5 min, multiplier: 1}]")
        times = [p.within.days for p in value]
        if times != sorted(times) or len(set(times)) != len(times):
            raise ValueError("points must be in increasing order of 'within'")
        return value

    def speed_multiplier(self, minutes: float) -> float:
        """Meeting-rate multiplier for a first attempt ``minutes`` after the lead arrived."""
        for point in self.speed_to_lead:
            if minutes <= point.within.minutes:
                return point.multiplier
        return self.speed_to_lead[-1].multiplier


class Stage(Section):
    conversion: Rate = Field(description="Share of opportunities moving on from this stage.")
    duration: DurationDist = Field(description="Time spent in this stage.")


SELF_SOURCED = "self_sourced"
"""The channel of an opportunity an AE sourced by prospecting (it has no lead)."""


class AeProspecting(Section):
    """What AEs do with selling hours no deal takes: prospect, and source their own
    opportunities.

    An AE spends ``share`` of the hours left over (ramp-scaled selling hours minus
    the hours committed to open deals) prospecting, and each prospecting hour
    brings ``opportunities_per_hour`` new opportunities (a Poisson process in
    time). Each is the sourcing AE's own, of a segment drawn from ``segment_mix``
    (default: the AE's segment under ``segment_split``, else the segments' shares),
    worth ``deal_size_factor`` times the segment's deal size, and runs the stages
    like any other opportunity. Its channel is ``self_sourced`` and it has no lead.
    """

    opportunities_per_hour: float = Field(
        gt=0, le=10, description="Self-sourced opportunities per prospecting hour (e.g. "
                                 "0.05: one per 20 hours).")
    share: Rate = Field(
        default=1.0, description="Share of the selling hours left over from deals that an "
                                 "AE spends prospecting.")
    segment_mix: dict[Name, Rate] | None = Field(
        default=None, description="Segment shares of self-sourced opportunities (default: "
                                  "the AE's segment, else the segments' shares).")
    deal_size_factor: float = Field(
        default=1.0, gt=0, le=100,
        description="Self-sourced deal size as a multiple of the segment's deal size.")


class AeTime(Section):
    """An AE's selling time and what each deal takes of it (the time budget).

    A deal takes ``first_meeting`` + ``per_stage`` hours of every stage it reaches +
    ``per_deal`` hours in all, spread evenly over the weeks it is open; a held meeting
    that proves invalid takes ``first_meeting`` hours over the week after it. A fully ramped
    AE has ``selling_hours_per_week`` (ramp scales it: ramp is productivity). Past
    ``overload_from`` of those hours, each further deal is won less often and moves
    more slowly, by the elasticities; under ``over_capacity: wait`` a deal that would
    take an AE past ``max_utilisation`` waits for time to free up.
    """

    selling_hours_per_week: float | None = Field(
        default=None, gt=0, le=168,
        description="Selling hours of a fully ramped AE per week; default selling_share "
                    "of the calendar's working hours.")
    selling_share: Rate = Field(
        default=0.6, description="Share of working hours spent selling (when "
                                 "selling_hours_per_week is not given).")
    first_meeting: DurationValue = Field(
        default=Duration(1.5, "hour"),
        description="AE time for the first (discovery) meeting; a held meeting that "
                    "proves invalid takes it too.")
    per_stage: dict[Name, DurationValue] | DurationValue = Field(
        default=Duration(4, "hour"),
        description="AE time a deal takes in each stage it reaches (one value or per stage).")
    per_deal: DurationValue = Field(
        default=Duration(1, "hour"), description="AE time every deal takes once (admin, "
                                                  "reviews, handover).")
    max_utilisation: Rate = Field(
        default=1.0, gt=0,
        description="Under over_capacity: wait, a deal waits rather than take an AE past "
                    "this share of selling hours.")
    overload_from: Rate = Field(
        default=0.85, description="Utilisation past which win rate and cycle respond to load.")
    win_rate_elasticity: float = Field(
        default=1.0, ge=0, le=100,
        description="Win chance is multiplied by 1 - elasticity x (utilisation - overload_from).")
    cycle_elasticity: float = Field(
        default=1.0, ge=0, le=100,
        description="Stage durations are multiplied by 1 + elasticity x (utilisation - "
                    "overload_from).")
    prospecting: AeProspecting | None = Field(
        default=None, description="Prospecting in the selling hours deals leave free, "
                                  "producing self-sourced opportunities (default: none).")

    def hours_per_week(self, calendar: Calendar) -> float:
        """Selling hours of a fully ramped AE per week.

        >>> AeTime(selling_share=0.5).hours_per_week(Calendar())
        22.5
        """
        if self.selling_hours_per_week is not None:
            return self.selling_hours_per_week
        return self.selling_share * calendar.hours_per_week

    def stage_hours(self, stages: tuple[str, ...]) -> list[float]:
        """Hours a deal takes in each of ``stages``."""
        if isinstance(self.per_stage, Duration):
            return [self.per_stage.days * 24] * len(stages)
        return [self.per_stage[s].days * 24 if s in self.per_stage else 0.0 for s in stages]

    def deal_hours(self, stages: tuple[str, ...], conversions: tuple[float, ...]) -> float:
        """Expected AE hours of one deal whose ``stages`` convert at ``conversions``: its
        first meeting and per-deal hours, and each stage's hours times the chance the deal
        reaches that stage.

        >>> AeTime(first_meeting="1 h", per_stage="4 h", per_deal="1 h").deal_hours(
        ...     ("discovery", "proposal"), (0.5, 0.5))
        8.0
        """
        total = (self.first_meeting.days + self.per_deal.days) * 24
        reach = 1.0
        for hours, conversion in zip(self.stage_hours(stages), conversions, strict=True):
            total += reach * hours
            reach *= conversion
        return total


class AE(Team):
    """Field sales (account executives): turns valid meetings into won deals."""

    kind: Literal["ae"] = "ae"
    stages: dict[Name, Stage] = Field(
        min_length=1, description="Ordered stages; passing the last one wins the deal."
    )
    routing: Literal["round_robin", "least_loaded", "by_segment"] = "least_loaded"
    segment_split: dict[Name, Rate] | None = Field(
        default=None, description="Share of AEs serving each segment (routing: by_segment)."
    )
    max_open_opportunities: int | None = Field(default=None, ge=1)
    over_capacity: Literal["wait", "degrade"] = "wait"
    degrade_per_extra: Rate = Field(
        default=0.02, description="Win-rate loss per opportunity above the limit (degrade)."
    )
    skill: NumberDist = Field(
        default_factory=lambda: NumberDist(fixed=1.0),
        description="Per-rep multiplier on win rate.",
    )
    time: AeTime | None = Field(
        default=None, description="The AE time model: selling hours a week and what each "
                                  "deal takes of them (without it, AEs have unlimited time).")


class CS(Team):
    """Customer success: onboards customers and looks after them."""

    kind: Literal["cs"] = "cs"
    accounts_per_csm: int = Field(default=40, ge=1)
    onboarding_duration: DurationDist = Field(
        default_factory=lambda: DurationDist.model_validate({"gamma": {"mean": "30 days",
                                                                       "cv": 0.4}})
    )
    onboarding_success: Rate = 0.9
    overload_sensitivity: float = Field(
        default=1.0, ge=0, le=10,
        description="How fast onboarding success falls when CSMs carry more than capacity.",
    )


class Renewal(Section):
    onboarded: Rate = 0.92
    not_onboarded: Rate = 0.7


class Change(Section):
    """An expansion or contraction at renewal: its chance and its size as a share of ARR."""

    probability: Rate
    size: NumberDist


class Customers(Section):
    contract_term: PositiveDuration = Duration(12, "month")
    renewal: Renewal = Renewal()
    expansion: Change = Change(probability=0.3, size=NumberDist(fixed=0.2))
    contraction: Change = Change(probability=0.1, size=NumberDist(fixed=0.15))
    health_noise: float = Field(
        default=0.05, ge=0, le=1,
        description="Spread of each customer's renewal chance around its expectation.",
    )


# ----------------------------------------------------------------------------- the scenario


TeamSettings = Annotated[SDR | AE | CS, Field(discriminator="kind")]
"""A team in ``teams:``: its ``kind`` says which settings it takes."""

SHORTHAND_TEAMS: tuple[str, ...] = ("sdr", "ae", "cs")
"""The sections that each declare one team named after its kind."""

PLANNED_SECTIONS = {
    "bdr": "outbound (BDR) teams",
    "partners": "partner channels",
}


class Scenario(Section):
    """A whole scenario. Build it with :func:`salesim.load_scenario`."""

    version: Literal[1] = 1
    meta: Meta
    calendar: Calendar = Calendar()
    segments: dict[Name, Segment] = Field(min_length=1)
    channels: dict[Name, Channel] = Field(min_length=1)
    recycle: Recycle = Recycle()
    sdr: SDR | None = Field(default=None, description="Shorthand for one SDR team named sdr.")
    ae: AE | None = Field(default=None, description="Shorthand for one AE team named ae.")
    cs: CS | None = Field(default=None, description="Shorthand for one CS team named cs.")
    teams: dict[Name, TeamSettings] = Field(
        default_factory=dict, description="Named teams, each with its kind (sdr, ae, cs).")
    routing: Routing = Routing()
    accounts: Accounts | None = None
    territories: Territories | None = None
    customers: Customers = Customers()
    start_state: StartState | None = Field(
        default=None, description="Where the organisation stands on the first day: "
        "existing customers, open opportunities, starting reps.")
    uncertain: dict[str, UncertainValue] = Field(
        default_factory=dict,
        description="Values drawn once per replication: a dotted path (as --set takes) "
                    "and its distribution, e.g. sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}.")

    @model_validator(mode="after")
    def _cross_sections(self, info: ValidationInfo) -> Scenario:
        if (info.context or {}).get("defer_cross_checks"):
            return self
        problems = cross_section_problems(self)
        if problems:
            raise ValueError("; ".join(f"{'.'.join(map(str, p.path))}: {p.message}"
                                       for p in problems))
        return self

    @property
    def organisation(self) -> dict[str, SDR | AE | CS]:
        """Every team by name: the shorthand sections (``sdr``, ``ae``, ``cs``) first,
        then ``teams`` in the order written."""
        shorthand = {name: getattr(self, name) for name in SHORTHAND_TEAMS
                     if getattr(self, name) is not None}
        return {**shorthand, **{n: t for n, t in self.teams.items() if n not in shorthand}}

    def teams_of(self, kind: str) -> dict[str, SDR | AE | CS]:
        """The teams of one kind, by name."""
        return {name: team for name, team in self.organisation.items() if team.kind == kind}

    def team_path(self, name: str) -> tuple[str, ...]:
        """Where team ``name`` is written: its shorthand section or ``teams.<name>``."""
        return (name,) if name in SHORTHAND_TEAMS and getattr(self, name) is not None \
            else ("teams", name)

    def month_index(self, month: dt.date) -> int:
        return months_between(self.meta.start, month)

    @property
    def months(self) -> list[dt.date]:
        """First day of each calendar month the horizon touches."""
        first = self.meta.start.replace(day=1)
        count = months_between(first, self.meta.end - dt.timedelta(days=1)) + 1
        return [add_months(first, k) for k in range(count)]


def cross_section_problems(scenario: Scenario) -> list[Problem]:
    """Rules that tie sections together, each reported at the path it concerns."""
    problems: list[Problem] = []
    segments = list(scenario.segments)
    teams = scenario.organisation

    for kind in KINDS.values():
        if not any(team.kind == kind.name for team in teams.values()):
            problems.append(Problem(
                (kind.name,), f"the scenario has no {kind.title} team",
                f"add a '{kind.name}:' section, or a team with 'kind: {kind.name}' under "
                "'teams'"))
    for name in SHORTHAND_TEAMS:
        if getattr(scenario, name) is not None and name in scenario.teams:
            problems.append(Problem(("teams", name),
                                    f"the team name '{name}' is taken by the '{name}:' section",
                                    "rename this team, or move that section here"))

    shares = {name: seg.share for name, seg in scenario.segments.items()}
    if (p := share_problem(("segments",), shares, "segment shares")) is not None:
        problems.append(p)

    stages = list(dict.fromkeys(stage for team in scenario.teams_of("ae").values()
                                for stage in team.stages))  # type: ignore[union-attr]
    for name, segment in scenario.segments.items():
        problems += unknown_names(("segments", name, "stages"), list(segment.stages), stages,
                                  "stages")

    for name, channel in scenario.channels.items():
        if channel.segment_mix is not None:
            path = ("channels", name, "segment_mix")
            problems += unknown_names(path, list(channel.segment_mix), segments, "segments")
            if (p := share_problem(path, channel.segment_mix, "segment_mix shares")):
                problems.append(p)
        for bound in ("start", "end"):
            month = getattr(channel, bound)
            if month is not None and not (
                scenario.meta.start.replace(day=1) <= month < scenario.meta.end
            ):
                problems.append(Problem(("channels", name, bound),
                                        f"{month:%Y-%m} is outside the horizon",
                                        f"the scenario runs {scenario.meta.start} to "
                                        f"{scenario.meta.end}"))
        if channel.start and channel.end and channel.end < channel.start:
            problems.append(Problem(("channels", name, "end"), "ends before it starts"))
        problems += _monthly_problems(scenario, name, channel)

    for name, ae in scenario.teams_of("ae").items():
        assert isinstance(ae, AE)
        team_path = scenario.team_path(name)
        if ae.routing == "by_segment" and ae.segment_split is None:
            problems.append(Problem((*team_path, "segment_split"),
                                    "routing by_segment needs segment_split",
                                    "e.g. segment_split: {smb: 50%, enterprise: 50%}"))
        if ae.segment_split is not None:
            problems += unknown_names((*team_path, "segment_split"), list(ae.segment_split),
                                      segments, "segments")
            if (p := share_problem((*team_path, "segment_split"), ae.segment_split,
                                    "segment_split shares")):
                problems.append(p)
        if ae.time is not None:
            problems += _time_problems((*team_path, "time"), ae.time, list(ae.stages))
            prospecting = ae.time.prospecting
            if prospecting is not None and prospecting.segment_mix is not None:
                mix_path = (*team_path, "time", "prospecting", "segment_mix")
                problems += unknown_names(mix_path, list(prospecting.segment_mix), segments,
                                          "segments")
                if (p := share_problem(mix_path, prospecting.segment_mix,
                                       "segment_mix shares")):
                    problems.append(p)
            if prospecting is not None and SELF_SOURCED in scenario.channels:
                problems.append(Problem(("channels", SELF_SOURCED),
                                        f"the channel name '{SELF_SOURCED}' is kept for the "
                                        "opportunities AEs source by prospecting",
                                        "rename this channel"))

    first_month = scenario.meta.start.replace(day=1)
    for name, team in teams.items():
        for index, hire in enumerate(team.hiring):
            if hire.month < first_month or hire.month >= scenario.meta.end:
                problems.append(Problem((*scenario.team_path(name), "hiring", index, "month"),
                                        f"{hire.month:%Y-%m} is outside the horizon",
                                        f"the scenario runs {scenario.meta.start} to "
                                        f"{scenario.meta.end}"))
    if scenario.accounts is not None:
        problems += accounts_problems(scenario.accounts, segments)
    if scenario.territories is not None:
        problems += territory_problems(scenario.territories, scenario.accounts,
                                       {name: team.kind for name, team in teams.items()})
    problems += compensation_problems(scenario)
    if not any(len(p.path) == 1 and p.path[0] in KINDS for p in problems):
        known: dict[str, tuple[str, ...]] = {}
        if scenario.accounts is not None and scenario.accounts.generated:
            known = {"region": tuple(scenario.accounts.regions or ()),
                     "industry": tuple(scenario.accounts.industries or ())}
        problems += routing_problems(scenario, known)
    if scenario.start_state is not None:
        problems += start_state_problems(
            scenario.start_state, segments, {n: t.kind for n, t in teams.items()},
            {n: list(t.stages) for n, t in scenario.teams_of("ae").items()  # type: ignore[union-attr]
             }, list(scenario.channels))
    if scenario.uncertain:
        problems += uncertain_problems(scenario)
    return problems


def _monthly_problems(scenario: Scenario, name: str, channel: Channel) -> list[Problem]:
    """An explicit monthly volume must fall within the horizon and the channel's window."""
    arrivals = channel.arrivals
    first = scenario.meta.start.replace(day=1)
    problems = []
    for index, month in enumerate(arrivals.monthly_volumes(first)):
        key: str | int = index if isinstance(arrivals.monthly, tuple) else format_month(month)
        path = ("channels", name, "arrivals", "monthly", key)
        if not first <= month < scenario.meta.end:
            problems.append(Problem(path, f"{month:%Y-%m} is outside the horizon",
                                    f"the scenario runs {scenario.meta.start} to "
                                    f"{scenario.meta.end}"))
        elif (channel.start is not None and month < channel.start) or (
                channel.end is not None and month > channel.end):
            problems.append(Problem(path, f"{month:%Y-%m} is outside the channel's "
                                          "start and end", "the channel brings no leads then"))
    return problems


def _time_problems(path: tuple[str | int, ...], time: AeTime, stages: list[str]
                   ) -> list[Problem]:
    """Stage names in ``per_stage`` of an AE time model, and its load thresholds."""
    problems: list[Problem] = []
    if isinstance(time.per_stage, dict):
        problems += unknown_names((*path, "per_stage"), list(time.per_stage), stages, "stages")
    if time.overload_from > time.max_utilisation:
        problems.append(Problem((*path, "overload_from"),
                                "is above max_utilisation, so load would never matter",
                                "set overload_from at or below max_utilisation"))
    return problems


# Segment refers to SegmentStage, defined after it.
Segment.model_rebuild()
