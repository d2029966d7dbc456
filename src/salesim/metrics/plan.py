"""What metrics need beyond the records: quotas, ramps, costs, capacities, the horizon.

A :class:`Plan` is plain data, so the metrics run on a real CRM export with a
hand-written plan as well as on simulated records with
:meth:`Plan.from_scenario`.

>>> plan = Plan(roles={"ae": RolePlan(quota_per_month=10_000, quota_measure="bookings",
...                                    ramp=(0.5, 1.0), annual_cost=120_000)},
...             hours_per_month=160)
>>> plan.roles["ae"].annual_cost
120000
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from salesim.scenario.schema import Scenario

QuotaMeasure = Literal["bookings", "meetings_held", "valid_meetings", "deals_won"]
QUOTA_MEASURES: tuple[QuotaMeasure, ...] = (
    "bookings", "meetings_held", "valid_meetings", "deals_won",
)
WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class RolePlan:
    """The plan for one role (``sdr``, ``ae``, ``cs``...).

    ``quota_per_month`` is the fully ramped quota of one rep for one month
    (``None``: no quota), counted in ``quota_measure`` (AE: ``bookings``, SDR:
    ``meetings_held``). ``ramp`` is the productivity in each month of tenure
    (after the last entry a rep is fully productive). ``annual_cost`` is the
    fully loaded cost per head per year, used when the ``reps`` table does not
    give one. ``capacity`` is the work one head can carry at once: open
    opportunities per AE, accounts per CSM (``None``: no limit known).
    """

    quota_per_month: float | None = None
    quota_measure: QuotaMeasure | None = None
    ramp: tuple[float, ...] = (1.0,)
    annual_cost: float = 0.0
    capacity: float | None = None

    def __post_init__(self) -> None:
        if self.quota_per_month is not None and self.quota_per_month < 0:
            raise ValueError("quota_per_month must not be negative")
        if self.quota_measure is not None and self.quota_measure not in QUOTA_MEASURES:
            raise ValueError(f"quota_measure must be one of {QUOTA_MEASURES}")
        if not self.ramp or any(not 0 <= f <= 1 for f in self.ramp):
            raise ValueError("ramp must be a non-empty list of fractions between 0 and 1")
        if self.capacity is not None and self.capacity <= 0:
            raise ValueError("capacity must be positive")

    @property
    def has_quota(self) -> bool:
        return bool(self.quota_per_month) and self.quota_measure is not None


@dataclass(frozen=True)
class ChannelPlan:
    """A marketing channel's fixed cost per month, charged in the months it runs.

    ``start`` and ``end`` are the first and last month (inclusive, any day in
    the month); ``None`` means open-ended.
    """

    fixed_cost_per_month: float = 0.0
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True)
class Plan:
    """Everything the metrics need that the record tables do not hold.

    ``hours_per_month`` is the working time one rep has in a month
    (hours per week x 52 / 12). ``start`` and ``end`` bound the horizon
    (``end`` exclusive); when ``None`` the records' own ``start``/``end`` are
    used. ``gross_margin`` converts ARR to gross profit for CAC payback.
    """

    roles: Mapping[str, RolePlan] = field(default_factory=dict)
    channels: Mapping[str, ChannelPlan] = field(default_factory=dict)
    hours_per_month: float = 40 * WEEKS_PER_MONTH
    currency: str = "USD"
    start: dt.date | None = None
    end: dt.date | None = None
    gross_margin: float = 1.0

    def __post_init__(self) -> None:
        if self.hours_per_month <= 0:
            raise ValueError("hours_per_month must be positive")
        if not 0 < self.gross_margin <= 1:
            raise ValueError("gross_margin must be in (0, 1]")
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError("the plan's end must be after its start")

    def role(self, name: str) -> RolePlan:
        """The plan for ``name``; a role the plan does not know has no quota, ramp or cost."""
        return self.roles.get(name, RolePlan())

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Plan:
        """The plan a scenario implies: quotas per month (AE on bookings, SDR on
        meetings held), ramps, costs, capacities, working hours and horizon."""
        measures: dict[str, QuotaMeasure | None] = {
            "sdr": "meetings_held", "ae": "bookings", "cs": None,
        }
        ae = getattr(scenario, "ae", None)
        cs = getattr(scenario, "cs", None)
        capacities: dict[str, float | None] = {
            "sdr": None,
            "ae": (float(ae.max_open_opportunities)
                   if ae is not None and ae.max_open_opportunities is not None else None),
            "cs": float(cs.accounts_per_csm) if cs is not None else None,
        }
        roles: dict[str, RolePlan] = {}
        for name, team in scenario.organisation.items():
            measure = measures.get(name)
            quota = team.quota.per_month if team.quota is not None and measure else None
            roles[name] = RolePlan(
                quota_per_month=quota,
                quota_measure=measure,
                ramp=tuple(float(f) for f in team.ramp.monthly_fractions()),
                annual_cost=float(team.annual_cost),
                capacity=capacities.get(name),
            )
        channels = {
            name: ChannelPlan(
                fixed_cost_per_month=float(channel.fixed_cost_per_month),
                start=channel.start,
                end=channel.end,
            )
            for name, channel in scenario.channels.items()
        }
        return cls(
            roles=roles,
            channels=channels,
            hours_per_month=scenario.calendar.hours_per_week * WEEKS_PER_MONTH,
            currency=scenario.meta.currency,
            start=scenario.meta.start,
            end=scenario.meta.end,
        )
