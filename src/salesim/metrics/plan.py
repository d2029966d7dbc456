"""What metrics need beyond the records: quotas, ramps, costs, capacities, the horizon.

A :class:`Plan` is plain data, so the metrics run on a real CRM export with a
hand-written plan as well as on simulated records with
:meth:`Plan.from_scenario`. It holds one :class:`TeamPlan` per team, keyed by the
team's name (the ``team`` column of the records); a team's ``kind`` says which
declaration of :data:`salesim.roles.KINDS` it follows. A plan written for records
with one team per kind (a CRM export without teams) simply names the teams after
their kinds, and a team without a ``kind`` takes its name as its kind:

>>> plan = Plan(teams={"ae": TeamPlan(quota_per_month=10_000, ramp=(0.5, 1.0),
...                                   annual_cost=120_000)},
...             hours_per_month=160)
>>> plan.teams["ae"].kind, plan.teams["ae"].quota_measure
('ae', 'bookings')
>>> enterprise = TeamPlan(kind="ae", quota_per_month=40_000)
>>> Plan(teams={"エンタープライズ": enterprise}).kinds()
['ae']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from salesim.roles import KINDS, QUOTA_MEASURES, QuotaMeasure

if TYPE_CHECKING:
    from salesim.scenario.compensation import CompensationPlan
    from salesim.scenario.schema import Scenario

WEEKS_PER_MONTH = 52 / 12


@dataclass(frozen=True)
class TeamPlan:
    """The plan for one team.

    ``kind`` is the team's kind (``sdr``, ``ae``, ``cs``...; ``None``: the team's
    name, for plans with one team per kind). ``quota_per_month`` is the fully
    ramped quota of one rep for one month (``None``: no quota), counted in
    ``quota_measure`` (``None``: what the kind's quota counts, see
    :data:`salesim.roles.KINDS`). ``ramp`` is the productivity in each month of
    tenure (after the last entry a rep is fully productive). ``annual_cost`` is the
    fully loaded cost per head per year, used when the ``reps`` table does not
    give one. ``capacity`` is the work one head can carry at once: open
    opportunities per AE, accounts per CSM (``None``: no limit known).
    """

    kind: str | None = None
    quota_per_month: float | None = None
    quota_measure: QuotaMeasure | None = None
    ramp: tuple[float, ...] = (1.0,)
    annual_cost: float = 0.0
    capacity: float | None = None
    compensation: CompensationPlan | None = None
    quota_period: Literal["month", "quarter", "year"] = "year"
    """The period a quota is set for (the scenario's ``quota.period``): whole periods of
    this length are what :mod:`salesim.metrics.quota_periods` measures reps over."""

    def __post_init__(self) -> None:
        if self.kind is not None and not self.kind:
            raise ValueError("a team's kind must not be empty (leave it out instead)")
        if self.quota_per_month is not None and self.quota_per_month < 0:
            raise ValueError("quota_per_month must not be negative")
        if self.quota_measure is not None and self.quota_measure not in QUOTA_MEASURES:
            raise ValueError(f"quota_measure must be one of {QUOTA_MEASURES}")
        if not self.ramp or any(not 0 <= f <= 1 for f in self.ramp):
            raise ValueError("ramp must be a non-empty list of fractions between 0 and 1")
        if self.capacity is not None and self.capacity <= 0:
            raise ValueError("capacity must be positive")
        if self.quota_period not in ("month", "quarter", "year"):
            raise ValueError("quota_period must be month, quarter or year")

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


def _resolved(name: str, team: TeamPlan) -> TeamPlan:
    """``team`` with its kind (its name when not given) and its kind's quota measure
    when it has a quota and names no measure."""
    kind = team.kind or name
    measure = team.quota_measure
    if measure is None and team.quota_per_month and kind in KINDS:
        measure = KINDS[kind].quota_measure
    if (kind, measure) == (team.kind, team.quota_measure):
        return team
    return dataclasses.replace(team, kind=kind, quota_measure=measure)


@dataclass(frozen=True)
class Plan:
    """Everything the metrics need that the record tables do not hold.

    ``teams`` maps each team's name to its :class:`TeamPlan` (each team's ``kind``
    and quota measure are filled in: see the module docstring).
    ``hours_per_month`` is the working time one rep has in a month (hours per
    week x 52 / 12). ``start`` and ``end`` bound the horizon (``end`` exclusive);
    when ``None`` the records' own ``start``/``end`` are used. ``gross_margin``
    converts ARR to gross profit for CAC payback.
    """

    teams: Mapping[str, TeamPlan] = field(default_factory=dict)
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
        teams = {str(name): _resolved(str(name), team) for name, team in self.teams.items()}
        for name, team in teams.items():
            if not name:
                raise ValueError("a team needs a name")
            if name in KINDS and team.kind != name:
                raise ValueError(f"team {name!r} is named like the kind {name!r} but is of "
                                 f"kind {team.kind!r}")
        object.__setattr__(self, "teams", teams)

    def team(self, name: str, kind: str = "") -> TeamPlan:
        """The plan for team ``name``; else the plan for a team named after ``kind`` (a
        plan written per kind); else a plan without quota, ramp or cost.

        >>> plan = Plan(teams={"ae": TeamPlan(annual_cost=100.0)})
        >>> plan.team("enterprise", "ae").annual_cost, plan.team("enterprise").annual_cost
        (100.0, 0.0)
        """
        found = self.teams.get(name)
        if found is None and kind:
            found = self.teams.get(kind)
        return found if found is not None else TeamPlan(kind=kind or name or None)

    def kind_of(self, name: str) -> str:
        """The kind of the plan's team ``name`` (``''`` for a team the plan does not know)."""
        team = self.teams.get(name)
        return team.kind or name if team is not None else ""

    def kinds(self) -> list[str]:
        """The kinds of the plan's teams, each once, in the order of the teams."""
        return list(dict.fromkeys(self.kind_of(name) for name in self.teams))

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Plan:
        """The plan a scenario implies: one :class:`TeamPlan` per team of its
        organisation, with the quota per month in what the team's kind counts
        (:data:`salesim.roles.KINDS`), ramps, costs, the capacity the kind's
        ``capacity_setting`` gives, working hours and the horizon."""
        teams: dict[str, TeamPlan] = {}
        for name, team in scenario.organisation.items():
            kind = KINDS[team.kind]
            setting = (getattr(team, kind.capacity_setting, None)
                       if kind.capacity_setting is not None else None)
            teams[name] = TeamPlan(
                kind=kind.name,
                quota_per_month=team.quota.per_month if team.quota is not None else None,
                quota_measure=kind.quota_measure,
                ramp=tuple(float(f) for f in team.ramp.monthly_fractions()),
                annual_cost=float(team.annual_cost),
                capacity=float(setting) if setting is not None else None,
                compensation=team.compensation,
                quota_period=team.quota.period if team.quota is not None else "year",
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
            teams=teams,
            channels=channels,
            hours_per_month=scenario.calendar.hours_per_week * WEEKS_PER_MONTH,
            currency=scenario.meta.currency,
            start=scenario.meta.start,
            end=scenario.meta.end,
        )
