"""Routing between teams: which team takes which leads, meetings and customers.

``routing`` holds three ordered lists of rules, one per work item handed between
teams: ``leads`` (from channels to SDR teams), ``meetings`` (valid held meetings from
SDR teams to AE teams) and ``customers`` (won deals to CS teams). A rule lists
conditions and where matching work goes; the first matching rule wins. A rule
without conditions takes everything still unrouted (a catch-all)::

    routing:
      leads:
        - {segment: enterprise, to: enterprise_sdr}
        - {to: inbound}
      meetings:
        - {by: territory}                     # the team covering the lead's account
        - {segment: [smb, mid_market], to: commercial}
        - {to: enterprise}

Conditions: ``channel``, ``segment``, ``region`` and ``industry`` (of the lead's
account), ``score_at_least`` / ``score_below`` (lead score) and ``source`` (the team
the work comes from: the SDR team of a meeting, the AE team of a customer). Each
takes one name or a list. ``by: territory`` sends a meeting to the AE team whose
territory covers the account (with the territory's rep as owner); work whose
account no territory covers goes on to the next rule.

Where a kind has a single team and no rules are written, that team takes everything.
"""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from salesim.roles import KINDS, WorkItem, kind_of_work
from salesim.scenario.fields import Name
from salesim.scenario.section import Section

if TYPE_CHECKING:
    from salesim.scenario.schema import Problem, Scenario

Names = tuple[Name, ...]
CONDITIONS = ("channel", "segment", "region", "industry", "source")
WORK_ITEMS: tuple[WorkItem, ...] = ("leads", "meetings", "customers")
SOURCE_KIND: dict[WorkItem, str | None] = {"leads": None, "meetings": "sdr", "customers": "ae"}


class Route(Section):
    """One routing rule: conditions (all must hold) and the team that takes the work."""

    channel: Names | None = None
    segment: Names | None = None
    region: Names | None = None
    industry: Names | None = None
    source: Names | None = Field(default=None, description="Team the work comes from.")
    score_at_least: Annotated[float, Field(ge=0, le=100)] | None = None
    score_below: Annotated[float, Field(ge=0, le=100)] | None = None
    to: Name | None = Field(default=None, description="The team that takes matching work.")
    by: Literal["territory"] | None = Field(
        default=None, description="'territory': the team covering the work's account.")

    @field_validator(*CONDITIONS, mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _target(self) -> Route:
        if (self.to is None) == (self.by is None):
            raise ValueError("a rule needs a target: 'to: <team name>' or 'by: territory'")
        for name in CONDITIONS:
            values = getattr(self, name)
            if values is not None and not values:
                raise ValueError(f"'{name}' lists no names; leave it out to match any")
        if (self.score_at_least is not None and self.score_below is not None
                and self.score_below <= self.score_at_least):
            raise ValueError("score_below must be above score_at_least")
        return self

    @property
    def conditions(self) -> dict[str, tuple[str, ...]]:
        """The name conditions the rule sets."""
        return {name: getattr(self, name) for name in CONDITIONS
                if getattr(self, name) is not None}

    @property
    def is_catch_all(self) -> bool:
        return (not self.conditions and self.score_at_least is None
                and self.score_below is None and self.to is not None)


class Routing(Section):
    """Rules per work item; see the module documentation."""

    leads: tuple[Route, ...] = ()
    meetings: tuple[Route, ...] = ()
    customers: tuple[Route, ...] = ()


def routing_problems(scenario: Scenario, dimension_values: dict[str, tuple[str, ...]]
                     ) -> list[Problem]:
    """Every routing problem: unknown or wrong-kind targets, conditions that name
    nothing known, work that no rule takes, and teams that nothing reaches.

    ``dimension_values`` gives the known names of ``region`` and ``industry`` where the
    account universe says them (empty where it does not: any name is then accepted).
    """
    from salesim.scenario.schema import Problem, unknown_names

    problems: list[Problem] = []
    teams = scenario.organisation
    known = {
        "channel": tuple(scenario.channels),
        "segment": tuple(scenario.segments),
        **dimension_values,
    }
    reached: set[str] = set()
    for item in WORK_ITEMS:
        kind = kind_of_work(item).name
        candidates = [name for name, team in teams.items() if team.kind == kind]
        rules = getattr(scenario.routing, item)
        path: tuple[str | int, ...] = ("routing", item)
        if not rules:
            if len(candidates) > 1:
                problems.append(Problem(
                    path, f"there are {len(candidates)} {kind} teams "
                    f"({', '.join(candidates)}): say which takes which {item}",
                    f"e.g. routing: {{{item}: [{{segment: ..., to: {candidates[0]}}}, "
                    f"{{to: {candidates[-1]}}}]}}"))
            reached.update(candidates)
            continue
        source_kind = SOURCE_KIND[item]
        for index, rule in enumerate(rules):
            where = (*path, index)
            if rule.to is not None:
                if rule.to not in teams:
                    problems += unknown_names((*where,), [rule.to], list(teams), "teams")
                    problems[-1] = Problem((*where, "to"), f"'{rule.to}' is not a team",
                                           problems[-1].hint)
                elif teams[rule.to].kind != kind:
                    problems.append(Problem(
                        (*where, "to"),
                        f"'{rule.to}' is a {teams[rule.to].kind} team; {item} go to "
                        f"{kind} teams", f"{kind} teams: {', '.join(candidates) or 'none'}"))
                else:
                    reached.add(rule.to)
            if rule.by == "territory":
                if item != "meetings":
                    problems.append(Problem((*where, "by"),
                                            f"'by: territory' routes meetings, not {item}",
                                            "use 'to: <team name>'"))
                reached.update(_territory_teams(scenario))
            if rule.source is not None:
                if source_kind is None:
                    problems.append(Problem((*where, "source"),
                                            f"{item} come from channels, not from a team",
                                            "use 'channel' to pick leads by channel"))
                else:
                    sources = [n for n, t in teams.items() if t.kind == source_kind]
                    problems += unknown_names((*where, "source"), list(rule.source), sources,
                                              f"{source_kind} teams")
            for dimension in ("channel", "segment", "region", "industry"):
                values = getattr(rule, dimension)
                if values is not None and known.get(dimension):
                    problems += unknown_names((*where, dimension), list(values),
                                              list(known[dimension]), f"{dimension}s")
            if (rule.region is not None or rule.industry is not None) and \
                    getattr(scenario, "accounts", None) is None:
                problems.append(Problem(where, "routing by region or industry needs accounts",
                                        "add an accounts section, or route by segment"))
        problems += _unrouted(item, rules, known, candidates, teams, source_kind, path)
    for name, team in teams.items():
        if name not in reached:
            problems.append(Problem(
                scenario.team_path(name),
                f"nothing is routed to this {team.kind} team",
                f"add a routing.{KINDS[team.kind].takes} rule with 'to: {name}'"))
    return problems


def _territory_teams(scenario: Scenario) -> set[str]:
    territories = getattr(scenario, "territories", None)
    if territories is None:
        return set()
    return set(territories.teams)


def _unrouted(item: WorkItem, rules: tuple[Route, ...], known: dict[str, tuple[str, ...]],
              candidates: list[str], teams: dict[str, Any], source_kind: str | None,
              path: tuple[str | int, ...]) -> list[Problem]:
    """Work that no rule takes: every combination of the names the rules test (plus
    'any other') checked against the rules in order; rules by territory take only
    covered accounts, so they never count as taking a combination."""
    from salesim.scenario.schema import Problem

    if not candidates:
        return []
    dimensions: dict[str, list[str | None]] = {}
    for dimension in CONDITIONS:
        used = [v for rule in rules for v in (getattr(rule, dimension) or ())]
        if not used:
            continue
        if dimension == "source":
            names: list[str | None] = [n for n, t in teams.items() if t.kind == source_kind]
        elif known.get(dimension):
            names = list(known[dimension])
        else:
            names = [*dict.fromkeys(used), None]  # None: any name no rule mentions
        dimensions[dimension] = names
    cuts = sorted({s for rule in rules for s in (rule.score_at_least, rule.score_below)
                   if s is not None})
    scores = [0.0, *cuts] if cuts else [0.0]
    gaps: list[str] = []
    for cell in product(*dimensions.values(), scores):
        values: dict[str, str | None] = {
            name: None if value is None else str(value)
            for name, value in zip(dimensions, cell[:-1], strict=True)}
        score = float(cell[-1] or 0.0)
        if not any(rule.to is not None and _matches(rule, values, score) for rule in rules):
            gaps.append(", ".join([f"{k} {v if v is not None else '(other)'}"
                                   for k, v in values.items()]
                                  + ([f"score from {score:g}"] if cuts else []))
                        or "all of them")
    if not gaps:
        return []
    shown = "; ".join(gaps[:3]) + (f"; and {len(gaps) - 3} more" if len(gaps) > 3 else "")
    return [Problem(path, f"some {item} match no rule: {shown}",
                    f"add a rule for them, or end with a catch-all {{to: {candidates[-1]}}}")]


def _matches(rule: Route, values: dict[str, str | None], score: float) -> bool:
    for dimension, names in rule.conditions.items():
        if values.get(dimension) not in names:
            return False
    if rule.score_at_least is not None and score < rule.score_at_least:
        return False
    return rule.score_below is None or score < rule.score_below
