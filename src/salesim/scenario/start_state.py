"""``start_state:``: where the organisation stands on the first day of the horizon.

Without it a run starts cold: no customers, no open pipeline, every starting rep
fully ramped. With it the run continues from today. Each part is given one of
three ways:

- ``rows:`` inline, one mapping per record;
- ``file:`` a CSV or Parquet file with the same columns (relative to the scenario
  file), checked row by row;
- a compact generated form (``count:`` and a few spreads) for planners without
  exports, drawn from random streams named ``start_state/...``.

Parts: ``customers`` (existing subscriptions: ARR, term start, next renewal),
``open_opportunities`` (stage, age in the stage or created date, amount,
owner), ``reps`` (per team: hire dates, so ramp and tenure continue; the reps
listed are the team's starting team and replace its ``headcount``).

>>> state = StartState.model_validate({
...     "customers": {"count": 1000, "arr": {"lognormal": {"median": "8k", "p90": "30k"}}},
...     "open_opportunities": {"count": 300},
...     "reps": {"ae": {"count": 12, "tenure": {"uniform": {"low": "0 month",
...                                                          "high": "24 month"}}}}})
>>> state.customers.count, state.open_opportunities.count, state.reps["ae"].count
(1000, 300, 12)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from salesim.scenario.fields import DurationDist, DurationValue, Money, MoneyDist, Name, Rate
from salesim.scenario.problems import Problem, share_problem, unknown_names
from salesim.scenario.section import Section

# columns of each part's files (and keys of its inline rows)
CUSTOMER_COLUMNS = ("arr", "start", "renewal", "segment", "team", "csm", "account")
OPPORTUNITY_COLUMNS = ("stage", "age", "created", "amount", "owner", "segment", "team",
                       "account")
REP_COLUMNS = ("hired", "name")
LEAD_COLUMNS = ("created", "age", "channel", "segment", "score")


def _one_form(model: Any, generated: str) -> None:
    forms = [name for name in ("file", "rows", generated)
             if getattr(model, name) is not None]
    if len(forms) != 1:
        raise ValueError(f"give exactly one of file, rows or {generated} (got "
                         f"{', '.join(forms) or 'none'})")


class CustomerRow(Section):
    """An existing customer: its ARR, when its current term started and when it renews."""

    arr: Money
    start: dt.date | None = Field(
        default=None, description="When the customer signed (or its current term started).")
    renewal: dt.date | None = Field(
        default=None, description="Its next renewal (term end); by default start + term.")
    segment: Name | None = None
    team: Name | None = Field(default=None, description="CS team (default: the first).")
    csm: int | None = Field(default=None, ge=1,
                            description="The CSM: position in the CS team's starting reps.")
    account: int | None = None

    @model_validator(mode="after")
    def _dated(self) -> CustomerRow:
        if self.start is None and self.renewal is None:
            raise ValueError("give start or renewal (or both)")
        if self.start is not None and self.renewal is not None and self.renewal <= self.start:
            raise ValueError("renewal must come after start")
        return self


class ExistingCustomers(Section):
    """Existing customers: ``rows``, a ``file``, or generated (``count`` and ``arr``)."""

    file: str | None = None
    rows: list[CustomerRow] | None = None
    count: int | None = Field(default=None, ge=0, le=10_000_000)
    arr: MoneyDist | None = Field(
        default=None, description="ARR per generated customer (default: the segment's "
        "deal size).")
    segments: dict[Name, Rate] | None = Field(
        default=None, description="Segment mix of generated customers (default: the "
        "segments' lead shares).")
    team: Name | None = Field(default=None, description="CS team (default: the first).")

    @model_validator(mode="after")
    def _form(self) -> ExistingCustomers:
        _one_form(self, "count")
        return self

    @property
    def generated(self) -> bool:
        return self.count is not None


class OpportunityRow(Section):
    """An open opportunity: its stage, how long it has been there, amount and owner."""

    stage: Name
    age: DurationValue | None = Field(
        default=None, description="Time already spent in the stage on the first day.")
    created: dt.date | None = Field(
        default=None, description="When it was created (its stage age counts from then "
        "when age is not given).")
    amount: Money | None = Field(default=None, description="Default: a segment deal size.")
    owner: int | str | None = Field(
        default=None, description="The AE: a name from start_state.reps, or a position "
        "(1, 2...) in the team's starting reps; default: the least loaded.")
    segment: Name | None = None
    team: Name | None = Field(default=None, description="AE team (default: the first).")
    account: int | None = None


class OpenOpportunities(Section):
    """Open opportunities: ``rows``, a ``file``, or generated (``count``)."""

    file: str | None = None
    rows: list[OpportunityRow] | None = None
    count: int | None = Field(default=None, ge=0, le=10_000_000)
    segments: dict[Name, Rate] | None = Field(
        default=None, description="Segment mix (default: the segments' lead shares).")
    team: Name | None = Field(default=None, description="AE team (default: the first).")

    @model_validator(mode="after")
    def _form(self) -> OpenOpportunities:
        _one_form(self, "count")
        return self

    @property
    def generated(self) -> bool:
        return self.count is not None


class RepRow(Section):
    hired: dt.date
    name: str | None = None


class StartingReps(Section):
    """One team's starting reps: ``rows`` or a ``file`` of hire dates, or ``count``
    reps with a ``tenure`` spread (default: the team's headcount, fully ramped)."""

    file: str | None = None
    rows: list[RepRow] | None = None
    count: int | None = Field(default=None, ge=0, le=100_000)
    tenure: DurationDist | None = Field(
        default=None, description="Time on the team on the first day, per generated rep.")

    @model_validator(mode="after")
    def _form(self) -> StartingReps:
        if self.file is not None and self.rows is not None:
            raise ValueError("give file or rows, not both")
        if (self.file is not None or self.rows is not None) and (
                self.count is not None or self.tenure is not None):
            raise ValueError("count and tenure are for generated reps: not with file or rows")
        if self.file is None and self.rows is None and self.tenure is None:
            raise ValueError("give rows, a file, or a tenure spread")
        return self


class LeadRow(Section):
    """A lead already waiting for an SDR team on the first day."""

    created: dt.date | None = Field(default=None, description="When it came in.")
    age: DurationValue | None = Field(default=None, description="How long it has waited "
                                      "(instead of created).")
    channel: Name
    segment: Name | None = None
    score: float | None = Field(default=None, ge=0, le=100,
                                description="Lead score, 0-100 (default: 50).")

    @model_validator(mode="after")
    def _dated(self) -> LeadRow:
        if (self.created is None) == (self.age is None):
            raise ValueError("give created or age (one of them)")
        return self


class WaitingLeads(Section):
    """Leads waiting for an SDR on the first day: ``rows``, a ``file``, or ``count``
    generated (channel in proportion to its volume in the first month, segment and
    score as the channel's new leads, waiting time spread by ``age``)."""

    file: str | None = None
    rows: list[LeadRow] | None = None
    count: int | None = Field(default=None, ge=0, le=10_000_000)
    age: DurationDist | None = Field(
        default=None, description="How long each generated lead has waited (default: "
        "uniform over the last 2 days).")

    @model_validator(mode="after")
    def _form(self) -> WaitingLeads:
        _one_form(self, "count")
        return self

    @property
    def generated(self) -> bool:
        return self.count is not None


class StartState(Section):
    """Where the organisation stands on the first day of the horizon."""

    leads: WaitingLeads | None = None

    customers: ExistingCustomers | None = None
    open_opportunities: OpenOpportunities | None = None
    reps: dict[Name, StartingReps] = Field(
        default_factory=dict, description="Per team: its starting reps (they replace "
        "the team's headcount).")


def start_state_problems(state: StartState, segments: list[str],
                         teams: dict[str, str], stages: dict[str, list[str]],
                         channels: list[str] | None = None) -> list[Problem]:
    """Names in ``start_state`` that must refer to segments, teams (``teams``: name to
    kind) and the stages of AE teams (``stages``: AE team to its stage names)."""
    problems: list[Problem] = []
    channels = channels or []
    base: tuple[str | int, ...] = ("start_state",)
    problems += unknown_names((*base, "reps"), list(state.reps), list(teams), "teams")

    def of_kind(path: tuple[str | int, ...], name: str | None, kind: str) -> None:
        if name is None:
            return
        known = [n for n, k in teams.items() if k == kind]
        if name not in known:
            problems.append(Problem(path, f"'{name}' is not a {kind.upper()} team",
                                    f"{kind.upper()} teams: {', '.join(known) or 'none'}"))

    def mix(path: tuple[str | int, ...], shares: dict[str, float] | None) -> None:
        if shares is None:
            return
        problems.extend(unknown_names(path, list(shares), segments, "segments"))
        found = share_problem(path, shares, "segment shares")
        if found is not None:
            problems.append(found)

    for row_number, lead in enumerate(state.leads.rows or [] if state.leads else []):
        problems += unknown_names((*base, "leads", "rows", row_number), [lead.channel],
                                  channels, "channels")
        if lead.segment is not None:
            problems += unknown_names((*base, "leads", "rows", row_number), [lead.segment],
                                      segments, "segments")
    customers = state.customers
    if customers is not None:
        path = (*base, "customers")
        of_kind((*path, "team"), customers.team, "cs")
        mix((*path, "segments"), customers.segments)
        for row_number, row in enumerate(customers.rows or []):
            where = (*path, "rows", row_number)
            of_kind((*where, "team"), row.team, "cs")
            if row.segment is not None:
                problems += unknown_names(where, [row.segment], segments, "segments")
    opportunities = state.open_opportunities
    if opportunities is not None:
        path = (*base, "open_opportunities")
        of_kind((*path, "team"), opportunities.team, "ae")
        mix((*path, "segments"), opportunities.segments)
        first_ae = next((n for n, k in teams.items() if k == "ae"), None)
        for row_number, opp in enumerate(opportunities.rows or []):
            where = (*path, "rows", row_number)
            of_kind((*where, "team"), opp.team, "ae")
            if opp.segment is not None:
                problems += unknown_names(where, [opp.segment], segments, "segments")
            team = opp.team or opportunities.team or first_ae
            if team in stages:
                problems += unknown_names(where, [opp.stage], stages[team], "stages")
    return problems
