"""Field sales (AEs): valid held meetings become opportunities that close won or lost.

A discrete-event model on the calendar clock (:mod:`salesim.engine.event_queue`,
which fires timeouts and processes in simpy's order without simpy's per-event
objects; the model is the one it was on simpy). Each opportunity is routed to an AE
(round robin, least loaded, or by segment). AEs carry a limit on open
opportunities; past it the scenario either makes new ones **wait** for a free
slot or lets them in with a **degraded** win rate. Once assigned, an
opportunity moves through the stages, each with its conversion and duration
(per segment); the win chance is scaled by the AE's skill, ramp at assignment
and overload, spread evenly over the stages.

With the time model (``ae.time``), an AE's capacity is selling hours: each deal
takes the hours of its first meeting, of every stage it reaches and a per-deal
share, spread over the weeks it is open (its hours per day, booked as a budget when
it is assigned and returned when it closes, so no per-hour events); ramp scales the
AE's hours instead of the win chance. Routing picks the least utilised AE; under
``wait`` a deal waits until half of its hours fit. A deal taken at a load past
``overload_from`` has its win chance lowered and its stages stretched by the
configured elasticities. An opportunity open on day one (``start_state``) books its
owner's hours from day one (what is left of its stage and the stages after it).
A held meeting that proves invalid (no opportunity) still took an AE's time: the
``first_meeting`` hours, spread over a week from the meeting like a deal's, of the
least utilised active AE who could have taken it as an opportunity (under
``by_segment`` routing one of its segment if any; with territories the holder of its
account's territory), whatever their room (the meeting was on their calendar). They
are logged apart (``SellingTime.meetings``) and count in the AE's load like deal hours.

A leaver's open opportunities go, one by one, to the least loaded active
colleague with room (under ``wait``, one below the limit; under ``by_segment``
routing, one dedicated to the opportunity's segment if there is any, as for
new opportunities). Those nobody can take become unowned (owner -1): they keep
moving through their stages, their outcome having been fixed at assignment,
and the next AE who is hired or frees a slot adopts them, before any
opportunity still waiting for its first AE. One that closes while unowned is
recorded with ``ae_id`` -1.

Random numbers are keyed by lead, not by position: the opportunity from lead
``lead_id`` (a lead becomes an opportunity at most once) gets the same stage
uniforms, stage durations and deal size whatever else changed upstream, so two
plans run with the same seed differ by their design, not by noise
(:func:`salesim.engine.random_streams.per_lead_uniforms`). Whether it clears each
stage and how long each stage takes do not compete for anything; only the wait
for an AE does.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from salesim.engine.event_queue import EventQueue, Process
from salesim.engine.random_streams import RandomStreams, per_lead_uniforms
from salesim.model.behaviour import (
    ae_response,
    period_edges,
    revenue_targets,
    shift_close_times,
    timing_on,
)
from salesim.model.key_order import KeyOrder
from salesim.model.start_state import OpenPipeline
from salesim.model.workforce import Roster
from salesim.scenario.schema import AE, Scenario

NAN = math.nan
MIN_WORK_DAYS = 7.0
# hours per day: free hours this far below a deal's need surely fail the exact room test
FREE_HOURS_MARGIN = 1e-6
"""Under the time model, an AE's work on a deal is spread over at least a week, even
when the deal closes sooner. Under ``wait`` an AE takes a deal when at least half of
its weekly hours fit in the room left (so the hours used average the room rather
than stopping a fraction of a deal short of it), and an AE with no open deal may
take any one deal."""


@dataclass(frozen=True)
class Opportunities:
    """Opportunities of one replication: inputs plus simulated outcomes, as arrays."""

    lead_row: np.ndarray
    segment: np.ndarray
    created_at: np.ndarray
    amount: np.ndarray
    ae_id: np.ndarray
    assigned_at: np.ndarray
    stage_index: np.ndarray  # stage reached (last entered), -1 if never assigned
    status: np.ndarray  # "open" | "won" | "lost"
    closed_at: np.ndarray
    stage_entered: np.ndarray  # (n, stages) entry times, NaN if not entered by the horizon
    stage_exited: np.ndarray  # (n, stages) exit times
    sourced: int = 0  # the last ``sourced`` rows were self-sourced by prospecting (no lead)
    discount: np.ndarray | None = None  # share off list of each deal's amount (None: 0)


@dataclass(frozen=True)
class SellingTime:
    """AE selling hours per rep (index in the roster) per calendar day (from the start)
    while employed: hours available (ramp-scaled), committed to open deals and spent
    prospecting."""

    rep: np.ndarray
    day: np.ndarray
    available: np.ndarray
    deals: np.ndarray
    prospecting: np.ndarray
    meetings: np.ndarray  # holding meetings that proved invalid (no opportunity)


@dataclass(frozen=True)
class InvalidMeetings:
    """Held meetings that proved invalid, handed to the AE team that would have worked
    them, in the order they were held: when (calendar days), the lead's segment, and
    with territories its account's territory (as :class:`Territorial`)."""

    at: np.ndarray
    segment: np.ndarray
    territory: Territorial | None = None


@dataclass(frozen=True)
class Territorial:
    """An AE team's territories as its opportunities see them: per opportunity the
    territory (index within the team, -1 none) of its account, the territory it moves
    to if its own is split (-1 none) and the rep's fit multiplier there; the team's
    number of territories and what happens when a rep leaves."""

    territory: np.ndarray
    split_to: np.ndarray
    fit: np.ndarray
    count: int
    on_leaving: str

    def reordered(self, order: np.ndarray) -> Territorial:
        return Territorial(self.territory[order], self.split_to[order], self.fit[order],
                           self.count, self.on_leaving)


def carve(shares: np.ndarray, people: int) -> npt.NDArray[np.int64]:
    """The segment of each person, in roster order, for ``segment_split`` ``shares``.

    Each next person serves the segment furthest below its share so far, so the first
    ``k`` people (the starting team, then the team as hires join) split as closely as
    whole heads allow: ten AEs at 40/40/20% are four, four and two.
    """
    counts = np.zeros(len(shares))
    segment = np.empty(people, dtype=np.int64)
    for k in range(people):
        segment[k] = int(np.argmax(shares * (k + 1) - counts))
        counts[segment[k]] += 1
    return segment


class SalesTeam:
    """The AE team over one replication."""

    def __init__(self, scenario: Scenario, ae: AE, name: str, roster: Roster,
                 streams: RandomStreams, segment_names: tuple[str, ...]) -> None:
        """AE team ``name`` with settings ``ae``; its random streams are named after the
        team (``<name>/stages``, ``<name>/deal_size``)."""
        self.scenario = scenario
        self.ae = ae
        self.name = name
        self.roster = roster
        self.horizon = scenario.meta.horizon_days
        self.stage_names = tuple(self.ae.stages)
        self.segment_names = segment_names
        self.streams = streams
        self.stream_paths = streams.generator(f"{name}/stages")
        self.stream_amounts = streams.generator(f"{name}/deal_size")
        self.territories: Territorial | None = None
        self.selling_time: SellingTime | None = None
        self.territory_periods: list[tuple[int, int, float, float, str]] = []
        """(territory, rep index or -1, from, to, status) per holding period."""
        if self.ae.segment_split is not None:
            split = np.array([self.ae.segment_split.get(s, 0.0) for s in segment_names])
            self.rep_segment = carve(split / split.sum(), len(roster))
        else:
            self.rep_segment = np.full(len(roster), -1)

    def rep_segment_names(self) -> np.ndarray:
        """The segment each AE is dedicated to (empty text when AEs serve all segments)."""
        names = np.asarray(("", *self.segment_names), dtype=object)
        return names[self.rep_segment + 1]

    # ------------------------------------------------------------------ per-segment tables

    def _stage_table(self) -> tuple[np.ndarray, list[list[Any]]]:
        """Conversion per (segment, stage) and the duration sampler of each."""
        conversions = np.zeros((len(self.segment_names), len(self.stage_names)))
        samplers: list[list[Any]] = []
        for s, name in enumerate(self.segment_names):
            overrides = self.scenario.segments[name].stages
            row = []
            for k, stage_name in enumerate(self.stage_names):
                base = self.ae.stages[stage_name]
                override = overrides.get(stage_name)
                conversion = base.conversion
                duration = base.duration
                if override is not None:
                    conversion = override.conversion if override.conversion is not None \
                        else conversion
                    duration = override.duration if override.duration is not None else duration
                conversions[s, k] = conversion
                row.append(duration.sampler())
            samplers.append(row)
        return conversions, samplers

    def amounts(self, segment: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
        """Deal sizes by inverse CDF of each opportunity's own uniform."""
        amounts = np.zeros(len(segment))
        for s, name in enumerate(self.segment_names):
            mask = segment == s
            if mask.any():
                amounts[mask] = self.scenario.segments[name].deal_size.sampler().quantile(
                    uniforms[mask])
        return amounts

    # ------------------------------------------------------------------ simulation

    def run(self, lead_row: np.ndarray, segment: np.ndarray, created_at: np.ndarray,
            lead_id: np.ndarray, lead_count: int, territory: Territorial | None = None,
            opening: OpenPipeline | None = None, opening_rows: np.ndarray | None = None,
            invalid: InvalidMeetings | None = None) -> Opportunities:
        """Simulate the opportunities from lead rows ``lead_row`` (of leads ``lead_id``,
        ids ``1..lead_count``, each at most once), created at ``created_at``; with
        ``territory``, each goes to the rep holding its account's territory.

        ``opening`` are the opportunities open on the first day (``start_state``), given
        lead rows ``opening_rows``: they come after the new ones, sit at their stage with
        their owner from time 0 (taking a slot), spend the rest of their stage time
        (drawn given the time already spent) and go on by the stage rules; their random
        numbers come from ``start_state/<team>/stages`` and ``.../deal_size``.

        ``invalid`` are the held meetings that proved invalid: under the time model each
        takes its AE's ``first_meeting`` hours."""
        order = np.argsort(created_at, kind="stable")
        lead_row, segment, created_at = lead_row[order], segment[order], created_at[order]
        if territory is not None:
            territory = territory.reordered(order)
        self.territories = territory
        lead_id = np.asarray(lead_id, dtype=np.int64)[order]
        n, stages = len(created_at), len(self.stage_names)
        conversions, samplers = self._stage_table()
        # per lead: one uniform per stage for conversion, then one per stage for duration
        paths = per_lead_uniforms(self.stream_paths, lead_id, lead_count, 2 * stages)
        stage_uniforms = paths[:, :stages]
        durations = np.zeros((n, stages))
        for s in range(len(self.segment_names)):
            mask = segment == s
            if mask.any():
                for k in range(stages):
                    durations[mask, k] = samplers[s][k].quantile(paths[mask, stages + k])
        amounts = self.amounts(
            segment, per_lead_uniforms(self.stream_amounts, lead_id, lead_count, 1)[:, 0])
        response = ae_response(self.ae.compensation)
        discount = np.zeros(n)
        if response is not None:  # AEs respond to their pay plan: salesim.model.behaviour
            stage_uniforms = stage_uniforms / response.win ** (1 / stages)
            durations = durations * response.cycle
            amounts = amounts * response.value
            discount[:] = response.discount

        first_stage = np.zeros(n, dtype=np.int64)
        opening_owner = np.zeros(0, dtype=np.int64)
        if opening is not None and len(opening):
            extra = self._opening_draws(opening, samplers)
            rows = opening_rows if opening_rows is not None else np.full(len(opening), -1)
            lead_row = np.concatenate([lead_row, rows])
            segment = np.concatenate([segment, opening.segment])
            created_at = np.concatenate([created_at, opening.created_at])
            amounts = np.concatenate([amounts, extra[2]])
            stage_uniforms = np.vstack([stage_uniforms, extra[0]])
            durations = np.vstack([durations, extra[1]])
            first_stage = np.concatenate([first_stage, opening.stage])
            opening_owner = opening.owner
            if territory is not None:
                m = len(opening)
                self.territories = territory = Territorial(
                    np.concatenate([territory.territory, np.full(m, -1)]),
                    np.concatenate([territory.split_to, np.full(m, -1)]),
                    np.concatenate([territory.fit, np.ones(m)]), territory.count,
                    territory.on_leaving)
        new_count = n
        opening_end = len(created_at)
        prospects = self._prospects(samplers)
        if prospects is not None:
            m = len(prospects.at)
            lead_row = np.concatenate([lead_row, np.full(m, -1, dtype=np.int64)])
            segment = np.concatenate([segment, prospects.segment])
            created_at = np.concatenate([created_at, prospects.at])
            amounts = np.concatenate([amounts, prospects.amount])
            stage_uniforms = np.vstack([stage_uniforms, prospects.uniforms])
            durations = np.vstack([durations, prospects.durations])
            first_stage = np.concatenate([first_stage, np.zeros(m, dtype=np.int64)])
            if territory is not None:
                self.territories = territory = Territorial(
                    np.concatenate([territory.territory, np.full(m, -1)]),
                    np.concatenate([territory.split_to, np.full(m, -1)]),
                    np.concatenate([territory.fit, np.ones(m)]), territory.count,
                    territory.on_leaving)
        n = len(created_at)
        state = _AeState(self, created_at, segment, conversions, durations, stage_uniforms)
        state.new_count = new_count
        state.opening_end = opening_end
        state.first_stage = first_stage
        state.opening_owner = opening_owner
        state.opening_entered = -opening.age if opening is not None else np.zeros(0)
        state.prospects = prospects
        state.invalid = invalid
        state.simulate()
        if state.timed:
            self.selling_time = state.selling_time()
        self.territory_periods = state.finish_periods() if state.land is not None else []
        # load past overload_from slows deals
        durations = durations * np.array(state.stretch)[:, None]
        assigned_at = np.array(state.assigned_at)

        failed_at = np.array(state.failed_at, dtype=np.int64)
        last = np.minimum(failed_at, stages - 1)
        entered = assigned_at[:, None] + np.concatenate(
            [np.zeros((n, 1)), np.cumsum(durations, axis=1)[:, :-1]], axis=1)
        exited = entered + durations
        reached = ((np.arange(stages)[None, :] <= last[:, None])
                   & (np.arange(stages)[None, :] >= first_stage[:, None]))
        entered = np.where(reached, entered, NAN)
        exited = np.where(reached, exited, NAN)
        close_time = exited[np.arange(n), last]
        if timing_on(self.ae.compensation):  # deals moved around pay period ends
            close_time = self._deal_timing(close_time, entered[np.arange(n), last], amounts,
                                           np.array(state.owner, dtype=np.int64),
                                           failed_at == stages, lead_id,
                                           lead_count, new_count)
            exited[np.arange(n), last] = close_time
        assigned = ~np.isnan(assigned_at)
        closed = assigned & (close_time < self.horizon)
        won = closed & (failed_at == stages)
        status = np.where(won, "won", np.where(closed, "lost", "open"))
        entered = np.where(entered < self.horizon, entered, NAN)
        exited = np.where(exited < self.horizon, exited, NAN)
        in_stage = np.where(assigned, np.sum(~np.isnan(entered), axis=1) - 1, -1)
        result = Opportunities(
            lead_row=lead_row, segment=segment, created_at=created_at, amount=amounts,
            ae_id=state.owner_ids(),
            assigned_at=np.concatenate([assigned_at[:new_count],
                                        created_at[new_count:opening_end],
                                        assigned_at[opening_end:]]),
            stage_index=in_stage, status=status,
            closed_at=np.where(closed, close_time, NAN),
            stage_entered=entered, stage_exited=exited,
            discount=np.concatenate([discount, np.zeros(len(created_at) - new_count)]),
        )
        if prospects is None:
            return result
        # keep the prospecting chances that became opportunities (the AE had time)
        keep = np.concatenate([np.ones(opening_end, dtype=bool), assigned[opening_end:]])
        if self.territories is not None:
            self.territories = self.territories.reordered(np.flatnonzero(keep))
        return Opportunities(
            **{name: getattr(result, name)[keep] for name in (
                "lead_row", "segment", "created_at", "amount", "ae_id", "assigned_at",
                "stage_index", "status", "closed_at", "stage_entered", "stage_exited",
                "discount")},
            sourced=int(keep[opening_end:].sum()))

    def _prospects(self, samplers: list[list[Any]]) -> _Prospects | None:
        """Every chance an AE has to source an opportunity by prospecting, or None
        without prospecting.

        Prospecting is a Poisson process whose rate follows the AE's spare hours; it is
        simulated by thinning: chances come at the rate of a fully ramped AE with no
        deal prospecting all the time it may (``opportunities_per_hour`` x ``share`` x
        selling hours per day), and during the run each is taken with the chance
        spare hours / full selling hours. Each chance carries the draws of the
        opportunity it would become, all from the stream ``<team>/prospecting``.
        """
        time = self.ae.time
        if time is None or time.prospecting is None:
            return None
        prospecting = time.prospecting
        rng = self.streams.generator(f"{self.name}/prospecting")
        per_day = time.hours_per_week(self.scenario.calendar) / 7
        peak = prospecting.opportunities_per_hour * prospecting.share * per_day
        begin = np.maximum(self.roster.hired_at, 0.0)
        end = np.minimum(self.roster.left_at, float(self.horizon))
        span = np.maximum(end - begin, 0.0)
        counts = rng.poisson(peak * span)
        rep = np.repeat(np.arange(len(span), dtype=np.int64), counts)
        at = begin[rep] + rng.random(len(rep)) * span[rep]
        order = np.argsort(at, kind="stable")
        rep, at = rep[order], at[order]
        m, stages = len(at), len(self.stage_names)
        accept = rng.random(m)
        picks = rng.random(m)
        sizes = rng.random(m)
        paths = rng.random((m, 2 * stages))
        names = self.segment_names
        default = np.array([self.scenario.segments[s].share for s in names])
        if prospecting.segment_mix is not None:
            default = np.array([prospecting.segment_mix.get(s, 0.0) for s in names])
        cumulative = np.cumsum(default / default.sum())
        segment = np.minimum(np.searchsorted(cumulative, picks, side="right"), len(names) - 1)
        if prospecting.segment_mix is None:  # a dedicated AE sources in their own segment
            own = self.rep_segment[rep]
            segment = np.where(own >= 0, own, segment)
        segment = segment.astype(np.int64)
        durations = np.zeros((m, stages))
        for s in range(len(names)):
            mask = segment == s
            if mask.any():
                for k in range(stages):
                    durations[mask, k] = samplers[s][k].quantile(paths[mask, stages + k])
        amount = self.amounts(segment, sizes) * prospecting.deal_size_factor
        return _Prospects(rep, at, accept, segment, amount, paths[:, :stages], durations,
                          per_day, prospecting.share)

    def _deal_timing(self, close: np.ndarray, earliest: np.ndarray, amounts: np.ndarray,
                     owner: np.ndarray, won: np.ndarray, lead_id: np.ndarray,
                     lead_count: int, new_count: int) -> np.ndarray:
        """Close times after the plan's deal-timing rule
        (:func:`salesim.model.behaviour.shift_close_times`); its chances are keyed by
        lead (``<team>/timing``), those of deals open on day one drawn apart."""
        plan = self.ae.compensation
        assert plan is not None
        quota = self.ae.quota.per_month if self.ae.quota is not None else None
        targets = revenue_targets(plan, quota)
        if not targets:
            return close
        uniforms = np.concatenate([
            per_lead_uniforms(self.streams.generator(f"{self.name}/timing"), lead_id,
                              lead_count, 1)[:, 0],
            self.streams.generator(f"start_state/{self.name}/timing").random(
                len(close) - new_count)])
        edges = period_edges(self.scenario.meta.start, self.horizon, plan.pay_period)
        return shift_close_times(close, amounts, owner, won, earliest, uniforms, edges,
                                 plan, targets)

    def _opening_draws(self, opening: OpenPipeline, samplers: list[list[Any]]
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage uniforms, durations and amounts of the opportunities open on day one.

        The current stage's duration is drawn given the time already spent in it
        (its quantile above the age's), and recorded whole: the stage was entered
        ``age`` days before the start. Earlier stages take no time (they are before
        the record). Amounts not given are drawn from the segment's deal size.
        """
        m, stages = len(opening), len(self.stage_names)
        rng = self.streams.generator(f"start_state/{self.name}/stages")
        paths = rng.random((m, 2 * stages))
        durations = np.zeros((m, stages))
        grid = np.linspace(0.0005, 0.9995, 1000)
        grid_quantiles: dict[tuple[int, int], np.ndarray] = {}
        for i in range(m):
            s, k = int(opening.segment[i]), int(opening.stage[i])
            for j in range(k, stages):
                u = paths[i, stages + j]
                if j == k:
                    if (s, j) not in grid_quantiles:
                        grid_quantiles[s, j] = samplers[s][j].quantile(grid)
                    spent = float(np.searchsorted(grid_quantiles[s, j], opening.age[i],
                                                  side="right")) / len(grid)
                    u = min(spent + u * (1 - spent), grid[-1])
                    durations[i, j] = max(float(samplers[s][j].quantile(u)),
                                          float(opening.age[i]))
                else:
                    durations[i, j] = float(samplers[s][j].quantile(u))
        drawn = self.amounts(opening.segment, self.streams.generator(
            f"start_state/{self.name}/deal_size").random(m))
        amounts = np.where(np.isnan(opening.amount), drawn, opening.amount)
        return paths[:, :stages], durations, amounts


@dataclass(frozen=True)
class _Prospects:
    """Chances to source an opportunity, in time order: the AE (roster index), when,
    the thinning uniform, and the opportunity it would become; ``full`` is a fully
    ramped AE's selling hours per day and ``share`` the part of spare hours spent
    prospecting."""

    rep: np.ndarray
    at: np.ndarray
    accept: np.ndarray
    segment: np.ndarray
    amount: np.ndarray
    uniforms: np.ndarray
    durations: np.ndarray
    full: float
    share: float


@dataclass(frozen=True)
class _Plan:
    """How an opportunity goes with one AE: win multiplier, the stage it fails at
    (``stages``: won), how much its stages are stretched, and AE hours per day."""

    factor: float
    stage: int
    stretch: float
    rate: float


class _AeState:
    """The contended part: which AE takes each opportunity, and when."""

    def __init__(self, team: SalesTeam, created_at: np.ndarray, segment: np.ndarray,
                 conversions: np.ndarray, durations: np.ndarray, uniforms: np.ndarray) -> None:
        self.team = team
        self.conversions = conversions.tolist()
        # per opportunity, row-major: stage durations and stage uniforms (flat lists of
        # floats: no Python object per row)
        self.durations = durations.ravel().tolist()
        self.uniforms = uniforms.ravel().tolist()
        self.stages = conversions.shape[1]
        # per opportunity (Python lists while the clock runs; see run() for arrays)
        self.failed_at = [self.stages] * len(created_at)
        self.env = EventQueue()
        self.created = created_at.tolist()
        self.segment = segment.tolist()
        n = len(created_at)
        self.assigned_at = [NAN] * n
        self.assigned = [False] * n
        self.factor = [1.0] * n
        self.owner = [-1] * n
        roster = team.roster
        self.hired = roster.hired_at.tolist()
        self.left = roster.left_at.tolist()
        self.skill = roster.skill.tolist()
        self.rep_segment = team.rep_segment.tolist()
        # The AEs employed now (hired <= now < left), ascending, in all and per segment:
        # brought up to date from the hire and leave times at each look, so a dispatch
        # scans only them, whatever order same-time events fire in.
        changes = [(at, rep) for rep in range(len(roster))
                   for at in (self.hired[rep], self.left[rep]) if not math.isnan(at)]
        changes.sort()
        self.change_at = [at for at, _ in changes] + [math.inf]
        self.change_rep = [rep for _, rep in changes]
        self.next_change = 0
        self.active: list[int] = []
        self.active_by_segment: dict[int, list[int]] = {}
        self.is_active = [False] * len(roster)
        # With one queue, the employed AEs by (key, rep) (see _load_key), brought up to
        # date at each choice for those whose key or employment changed since (stale)
        self.key_order = KeyOrder()
        # and, under the time model with deals waiting for room, by free hours (most
        # first), to see without a scan that nobody has room for a deal
        self.free_order = KeyOrder()
        self.stale: set[int] = set()
        # For the head of the one queue (:meth:`_head_choice`): its candidates by
        # (key, rep) when last ranked, and the AEs whose open deals, hours, capacity
        # or employment changed since
        self.ranked = -1
        self.looked = -1  # the last head looked at, what was found, and whether any AE
        self.choice: int | None = None  # changed since
        self.dirty = False
        self.ranking: list[tuple[float, int]] = []
        self.changed: set[int] = set()
        self.load = [0] * len(roster)
        self.open_by_rep: list[set[int]] = [set() for _ in range(len(roster))]
        self.waiting: deque[int] = deque()
        # assigned, still open, owned by nobody (their AE left and no colleague had
        # room): adopted before any waiting opportunity; a dict keeps them in order
        self.orphans: dict[int, None] = {}
        self.new_count = n
        self.opening_end = n
        self.prospects: _Prospects | None = None
        self.backlog = False  # whether opportunities wait for an AE (no prospecting then)
        self.first_stage = np.zeros(n, dtype=np.int64)
        self.opening_owner = np.zeros(0, dtype=np.int64)
        self.opening_entered = np.zeros(0)
        self.limit = team.ae.max_open_opportunities
        self.wait_policy = team.ae.over_capacity == "wait"
        self.degrade = team.ae.degrade_per_extra
        self.routing = team.ae.routing
        self.one_queue = self.routing == "least_loaded" and team.territories is None
        self.turn = 0
        # the time model: committed selling hours per calendar day, per AE and per deal
        time = team.ae.time
        self.timed = time is not None
        self.hours = [0.0] * len(roster)
        self.rate = [0.0] * n
        self.stretch = [1.0] * n
        self.reached_hours = [0.0] * (self.stages + 1)
        self.per_deal_hours = 0.0
        # selling hours per day and the share of them deals may take, updated at hires
        # and ramp-month edges (the only times they change)
        self.capacity = [0.0] * len(roster)
        # committed hours over selling hours (inf without any), the least-loaded key
        self.utilisation = [math.inf] * len(roster)
        self.room = [0.0] * len(roster)
        # rep, time, committed hours, selling hours, prospecting hours and invalid
        # meeting hours (per day) at every change, six numbers a row
        self.time_log: list[float] = []
        # invalid held meetings: their hours per day, per AE now (part of ``hours``),
        # and the ones each AE still spends time on
        self.invalid: InvalidMeetings | None = None
        self.meeting_hours = [0.0] * len(roster)
        self.meetings_open: list[set[int]] = [set() for _ in range(len(roster))]
        self.meeting_rate = 0.0
        if time is not None:
            self.full_capacity = time.hours_per_week(team.scenario.calendar) / 7
            self.per_deal_hours = time.per_deal.days * 24
            self.meeting_rate = time.first_meeting.days * 24 / MIN_WORK_DAYS
            fixed = time.first_meeting.days * 24 + self.per_deal_hours
            self.reached_hours = [fixed, *(fixed + h for h in np.cumsum(
                time.stage_hours(team.stage_names)).tolist())]
            self.max_utilisation = time.max_utilisation
            self.overload_from = time.overload_from
            self.win_elasticity = time.win_rate_elasticity
            self.cycle_elasticity = time.cycle_elasticity
        self.close_times: dict[int, float] = {}
        self.land = team.territories
        if self.land is not None:
            self.holder = [-1] * self.land.count
            self.closed_land: set[int] = set()  # territories split or made house accounts
            self.periods: list[tuple[int, int, float, float, str]] = []
            self.opened: dict[int, tuple[int, float, str]] = {}

    def simulate(self) -> None:
        env = self.env
        # only opportunities from meetings wait for their first AE (see _expected_rate)
        self.nominal_rate = [NAN] * self.new_count
        if self.land is not None:
            for rep in range(len(self.hired)):
                if self.hired[rep] <= 0 < self.left[rep]:
                    self._take_territory(rep)
            for territory in range(self.land.count):
                if self.holder[territory] < 0:
                    self._open_period(territory, -1, "held")
        if self.timed:  # before the open pipeline, which takes hours from day one
            for rep in range(len(self.hired)):
                self._set_capacity(rep, max(self.hired[rep], 0.0))
        self._open_pipeline()
        env.process(self._arrivals())
        if self.prospects is not None and len(self.prospects.at):
            env.process(self._prospecting())
        if self.timed and self.invalid is not None and len(self.invalid.at):
            env.process(self._invalid_meetings())
        if self.timed:
            for rep in range(len(self.hired)):
                for edge in self.team.roster.ramp_edges(rep):
                    if 0 < edge < self.team.horizon:
                        env.call_later(edge, self._on_ramp, rep)
        for rep in range(len(self.hired)):
            if 0 < self.hired[rep] < self.team.horizon:
                env.call_later(self.hired[rep], self._on_hire, rep)
            if self.left[rep] < self.team.horizon:
                env.call_later(self.left[rep], self._leave, rep)
        env.run(until=self.team.horizon)

    def _on_hire(self, rep: int) -> None:
        if self.land is not None:
            self._take_territory(rep)
        self._dispatch()

    # ------------------------------------------------------------------ territories

    def _open_period(self, territory: int, rep: int, status: str) -> None:
        self.opened[territory] = (rep, self.env.now, status)

    def _close_period(self, territory: int) -> None:
        rep, since, status = self.opened.pop(territory)
        self.periods.append((territory, rep, since, self.env.now, status))

    def _take_territory(self, rep: int) -> None:
        """A rep joining takes the first territory nobody holds (one kept for a
        backfill, or a seat still to be filled)."""
        for territory, holder in enumerate(self.holder):
            if holder < 0 and territory not in self.closed_land:
                if territory in self.opened:
                    self._close_period(territory)
                self.holder[territory] = rep
                self._open_period(territory, rep, "assigned")
                return

    def _release_territory(self, rep: int) -> None:
        """A rep leaving: the territory is held for the backfill, made house accounts,
        or split among the team, as the scenario says."""
        assert self.land is not None
        for territory, holder in enumerate(self.holder):
            if holder != rep:
                continue
            self.holder[territory] = -1
            self._close_period(territory)
            policy = self.land.on_leaving
            if policy != "hold":
                self.closed_land.add(territory)
            self._open_period(territory, -1, "held" if policy == "hold" else policy)

    def _territory_of(self, index: int) -> int:
        assert self.land is not None
        return self._territory_code(int(self.land.territory[index]),
                                    int(self.land.split_to[index]))

    def _territory_code(self, territory: int, split_to: int) -> int:
        """The territory now covering an account of ``territory`` (``split_to`` after
        a split), -1 for none."""
        assert self.land is not None
        if territory in self.closed_land and self.land.on_leaving == "split":
            territory = split_to
        if territory < 0 or territory in self.closed_land:
            return -1
        return territory

    def finish_periods(self) -> list[tuple[int, int, float, float, str]]:
        """Every holding period of every territory (open ones end at infinity)."""
        for territory in list(self.opened):
            rep, since, status = self.opened.pop(territory)
            self.periods.append((territory, rep, since, math.inf, status))
        return sorted(self.periods, key=lambda p: (p[0], p[2]))

    def _prospecting(self) -> Process:
        """Each chance to source an opportunity is taken with the chance the AE's
        prospecting hours now (:meth:`_prospecting_hours`) are of a fully ramped idle
        AE's: the thinning of :meth:`SalesTeam._prospects`."""
        env = self.env
        prospects = self.prospects
        assert prospects is not None
        reps, times, accept = (prospects.rep.tolist(), prospects.at.tolist(),
                               prospects.accept.tolist())
        for offset, at in enumerate(times):
            if at > env.now:
                yield at - env.now
            rep = reps[offset]
            if not self.hired[rep] <= env.now < self.left[rep]:
                continue
            if accept[offset] * prospects.full * prospects.share < self._prospecting_hours(rep):
                index = self.opening_end + offset
                self._assign(index, rep, self._plan(index, rep))

    def _prospecting_hours(self, rep: int) -> float:
        """Hours per day ``rep`` spends prospecting now: the share of the spare ones
        (selling hours minus those committed to deals); none while opportunities wait
        for an AE (the time is not left over: they take it as soon as it frees up) or
        while ``rep`` is at the open-deal limit under ``wait``."""
        prospects = self.prospects
        if prospects is None or self.waiting or (
                self.limit is not None and self.wait_policy and self.load[rep] >= self.limit):
            return 0.0
        return prospects.share * max(self.capacity[rep] - self.hours[rep], 0.0)

    def _log_time(self, rep: int) -> None:
        self.time_log += (rep, self.env.now, self.hours[rep], self.capacity[rep],
                          self._prospecting_hours(rep), self.meeting_hours[rep])

    def _invalid_meetings(self) -> Process:
        """Each invalid held meeting takes ``first_meeting`` hours of the AE who held it
        (:meth:`_meeting_rep`), spread over ``MIN_WORK_DAYS`` from the meeting."""
        env = self.env
        meetings = self.invalid
        assert meetings is not None
        for k, at in enumerate(meetings.at.tolist()):
            if at > env.now:
                yield at - env.now
            rep = self._meeting_rep(k)
            if rep is None:  # no AE on the team: nobody's time
                continue
            self.hours[rep] += self.meeting_rate
            self.meeting_hours[rep] += self.meeting_rate
            self._changed(rep)
            self.meetings_open[rep].add(k)
            self._log_time(rep)
            if env.now + MIN_WORK_DAYS < self.team.horizon:
                env.call_later(MIN_WORK_DAYS, self._meeting_done, (k, rep))

    def _meeting_rep(self, k: int) -> int | None:
        """The AE who holds invalid meeting ``k`` now: the least utilised active one
        among those who could take it as an opportunity, room or not."""
        meetings = self.invalid
        assert meetings is not None
        active = self._active_at(self.env.now)
        if self.routing == "by_segment":
            segment = int(meetings.segment[k])
            active = self.active_by_segment.get(segment) or active
        if self.land is not None and meetings.territory is not None:
            territory = self._territory_code(int(meetings.territory.territory[k]),
                                             int(meetings.territory.split_to[k]))
            if territory >= 0 and self.holder[territory] >= 0:
                active = [self.holder[territory]]
        return self._least_utilised(active)

    def _meeting_done(self, held: tuple[int, int]) -> None:
        """Invalid meeting ``k``'s week is over: its AE ``rep`` has those hours again
        (``held`` is ``(k, rep)``)."""
        k, rep = held
        if k in self.meetings_open[rep]:  # not if the AE left in the meantime
            self.meetings_open[rep].discard(k)
            self.hours[rep] -= self.meeting_rate
            self.meeting_hours[rep] -= self.meeting_rate
            self._changed(rep)
            self._log_time(rep)
            self._dispatch()

    def selling_time(self) -> SellingTime:
        """Each AE's hours per calendar day while employed: available, committed to
        deals, spent prospecting (:meth:`_prospecting_hours`) and on invalid meetings."""
        horizon = float(self.team.horizon)
        days = math.ceil(horizon)
        edges = np.minimum(np.arange(days + 1, dtype=float), horizon)
        log = np.array(self.time_log, dtype=float).reshape(-1, 6)
        order = np.argsort(log[:, 0], kind="stable")
        log = log[order]
        parts: list[np.ndarray] = []
        for rep in range(len(self.hired)):
            rows = log[log[:, 0] == rep]
            begin, end = max(self.hired[rep], 0.0), min(self.left[rep], horizon)
            if not len(rows) or end <= begin:
                continue
            at = np.clip(np.append(rows[:, 1], horizon), begin, end)
            meetings = np.maximum(rows[:, 5], 0.0)
            deals = np.maximum(rows[:, 2] - rows[:, 5], 0.0)
            available = rows[:, 3]
            spare = rows[:, 4]
            columns = [np.full(days, float(rep)), np.arange(days, dtype=float)]
            for level in (available, deals, spare, meetings):
                cumulative = np.concatenate([[0.0], np.cumsum(level * np.diff(at))])
                columns.append(np.diff(np.interp(np.clip(edges, begin, end), at, cumulative)))
            block = np.stack(columns, axis=1)
            parts.append(block[block[:, 2] > 0])
        table = np.concatenate(parts) if parts else np.zeros((0, 6))
        return SellingTime(table[:, 0].astype(np.int64), table[:, 1].astype(np.int64),
                           table[:, 2], table[:, 3], table[:, 4], table[:, 5])

    def _arrivals(self) -> Process:
        env = self.env
        for index, at in enumerate(self.created[:self.new_count]):
            if at > env.now:
                yield at - env.now
            self.waiting.append(index)
            self._dispatch()

    def _active_at(self, now: float) -> list[int]:
        """The AEs employed at ``now`` (hired <= now < left), in ascending order; the
        list is shared: callers must not change it. ``now`` never goes back."""
        if self.change_at[self.next_change] > now:
            return self.active
        touched: set[int] = set()
        while self.change_at[self.next_change] <= now:
            touched.add(self.change_rep[self.next_change])
            self.next_change += 1
        employed = set(self.active)
        for rep in touched:
            self.is_active[rep] = self.hired[rep] <= now < self.left[rep]
            if self.is_active[rep]:
                employed.add(rep)
            else:
                employed.discard(rep)
        self.changed |= touched
        self.stale |= touched
        self.dirty = True
        self.active = sorted(employed)
        by_segment: dict[int, list[int]] = {}
        for rep in self.active:
            by_segment.setdefault(self.rep_segment[rep], []).append(rep)
        self.active_by_segment = by_segment
        return self.active

    def _eligible(self, index: int) -> list[int]:
        active = self._active_at(self.env.now)
        if self.routing == "by_segment":
            return self.active_by_segment.get(self.segment[index]) or active
        return active

    def _routed(self, index: int) -> list[int]:
        """The AEs ``index`` is routed to now, room or not, in ascending order (see
        :meth:`_candidates`)."""
        candidates = self._eligible(index)
        if self.land is not None:
            territory = self._territory_of(index)
            if territory >= 0 and self.holder[territory] >= 0:
                candidates = [self.holder[territory]]
        return candidates

    def _candidates(self, index: int) -> list[int]:
        """The AEs who may take ``index`` now: eligible, and with room under ``wait``.

        With territories, an opportunity whose account's territory has a holder goes
        to that holder only; one without a holder goes to the team.
        """
        candidates = self._routed(index)
        if self.limit is not None and self.wait_policy:
            candidates = [r for r in candidates if self.load[r] < self.limit]
        if self.timed and self.wait_policy:
            # only AEs with room for (half of) the hours this deal is expected to take
            rate = self._expected_rate(index)
            load, hours, room, half = self.load, self.hours, self.room, rate / 2 - 1e-9
            candidates = [r for r in candidates if load[r] == 0 or hours[r] + half <= room[r]]
        return candidates

    def _expected_rate(self, index: int) -> float:
        """AE hours per day ``index`` takes: its own once assigned, before that those
        with an AE of skill 1 and no overload (worked out when first asked)."""
        if self.assigned[index]:
            return self.rate[index]
        rate = self.nominal_rate[index]
        if math.isnan(rate):
            rate = self.nominal_rate[index] = self._path(index, 1.0)[1]
        return rate

    def _capacity(self, rep: int) -> float:
        """Selling hours per calendar day of ``rep`` now: ramp is productivity."""
        return self.capacity[rep]

    def _room(self, rep: int) -> float:
        return self.room[rep]

    def _set_capacity(self, rep: int, at: float) -> None:
        capacity = self.full_capacity * self.team.roster.productivity(rep, at)
        self.capacity[rep] = capacity
        self.room[rep] = self.max_utilisation * capacity
        self._changed(rep)
        self._log_time(rep)

    def _on_ramp(self, rep: int) -> None:
        """``rep`` moves to its next ramp month: more hours, maybe room for waiting deals."""
        self._set_capacity(rep, self.env.now + 1e-6)
        self._dispatch()

    def _changed(self, rep: int) -> None:
        """``rep``'s open deals, hours or capacity just changed."""
        self.changed.add(rep)
        self.stale.add(rep)
        self.dirty = True
        capacity = self.capacity[rep]
        self.utilisation[rep] = self.hours[rep] / capacity if capacity > 0 else math.inf

    def _least_utilised(self, reps: list[int]) -> int | None:
        """``min(reps, key=self._load_key)`` under the time model (None without any);
        ``reps`` are ascending, so the first with the smallest key wins."""
        return min(reps, key=self.utilisation.__getitem__) if reps else None

    def _load_key(self, rep: int) -> tuple[float, int]:
        if not self.timed:
            return (self.load[rep], rep)
        return (self.utilisation[rep], rep)

    def _least_loaded(self, index: int, among: list[int] | None = None) -> int | None:
        """``min(self._candidates(index), key=self._load_key)`` (None without any), in
        one pass: the first candidate with the smallest key, as ``min`` picks; with
        ``among``, of those of them (ascending) only."""
        load, hours, utilisation = self.load, self.hours, self.utilisation
        limit = self.limit if self.limit is not None and self.wait_policy else None
        roomy, half = self.timed and self.wait_policy, 0.0
        if roomy:
            half = self._expected_rate(index) / 2 - 1e-9
        room = self.room
        if among is None and self.one_queue:
            # every employed AE is routed to: the first in key order who may take it,
            # once some AE is known to have room
            if roomy and next(self._with_room(index), None) is None:
                return None
            for rep in self._in_key_order():
                if limit is not None and load[rep] >= limit:
                    continue
                if roomy and not (load[rep] == 0 or hours[rep] + half <= room[rep]):
                    continue
                return rep
            return None
        best, best_key = None, (math.inf, 0)
        for rep in self._routed(index) if among is None else among:
            if limit is not None and load[rep] >= limit:
                continue
            if roomy and not (load[rep] == 0 or hours[rep] + half <= room[rep]):
                continue
            key = (load[rep], rep) if not self.timed else (utilisation[rep], rep)
            if best is None or key < best_key:
                best, best_key = rep, key
        return best

    def _in_key_order(self) -> KeyOrder:
        """The AEs employed now by ``_load_key``, leaving out those at the open-deal
        limit when deals wait for room (one queue only)."""
        self._active_at(self.env.now)
        if self.stale:
            timed, load, utilisation = self.timed, self.load, self.utilisation
            limit = self.limit if self.limit is not None and self.wait_policy else math.inf
            hours, room = self.hours, self.room
            for rep in self.stale:
                key = free = None
                if self.is_active[rep] and load[rep] < limit:
                    key = utilisation[rep] if timed else load[rep]
                    free = -math.inf if load[rep] == 0 else hours[rep] - room[rep]
                self.key_order.place(rep, key)
                self.free_order.place(rep, free)
            self.stale.clear()
        return self.key_order

    def _with_room(self, index: int) -> Iterator[int]:
        """The AEs in :meth:`_candidates` (one queue, time model, ``wait``), most free
        hours first: the AEs by free hours up to where these fall clearly short of the
        room ``index`` needs, each decided by the exact test (the margin is far above
        float rounding of hours per day)."""
        self._in_key_order()
        load, hours, room = self.load, self.hours, self.room
        half = self._expected_rate(index) / 2 - 1e-9
        cutoff = half - FREE_HOURS_MARGIN
        for minus_free, rep in self.free_order.items():
            if -minus_free < cutoff:
                return
            if load[rep] == 0 or hours[rep] + half <= room[rep]:
                yield rep

    def _choose(self, index: int) -> tuple[int, _Plan] | None:
        """The AE who takes ``index`` now and how the deal will go with them; None when
        it must wait."""
        if self.routing != "round_robin":
            rep = self._head_choice(index) if self.one_queue else self._least_loaded(index)
        else:
            candidates = self._candidates(index)
            if not candidates:
                return None
            self.turn += 1
            rep = candidates[self.turn % len(candidates)]
        if rep is None:
            return None
        plan = self._plan(index, rep)
        if self.timed and self.wait_policy and self.load[rep] > 0 and \
                self.hours[rep] + plan.rate / 2 > self._room(rep) + 1e-9:
            return None  # its actual path with this AE needs more hours than are free
        return rep, plan

    def _head_choice(self, index: int) -> int | None:
        """``_least_loaded(index)`` for the head of the one queue (least loaded
        routing, no territories), which is looked at again after every change while
        it waits: the same as at the last look if no AE changed since."""
        self._active_at(self.env.now)  # AEs hired or gone count as changed
        if index == self.looked and not self.dirty:
            return self.choice
        self.choice = self._look(index)
        self.looked, self.dirty = index, False
        return self.choice

    def _look(self, index: int) -> int | None:
        """``_least_loaded(index)`` for the head of the one queue. Most heads are taken
        at the first look; one still waiting at the second has its candidates ranked.
        After that, the AEs who did not change since have the key and room they had,
        so the least loaded now is the first of them in the ranking or one of the AEs
        who changed."""
        changed = self.changed
        if index != self.ranked or 2 * len(changed) > len(self.active):
            if index != self.looked:  # most heads are taken at the first look
                return self._least_loaded(index)
            self.ranked = index
            self.ranking = self._ranking(index)
            changed.clear()
            return self.ranking[0][1] if self.ranking else None
        among = [rep for rep in changed if self.is_active[rep]]
        for _, rep in self.ranking:
            if rep not in changed:
                among.append(rep)
                break
        among.sort()
        return self._least_loaded(index, among)

    def _ranking(self, index: int) -> list[tuple[float, int]]:
        """The AEs who may take ``index`` now (:meth:`_candidates`) by (key, rep)."""
        if self.one_queue and self.timed and self.wait_policy:
            return sorted(self._load_key(rep) for rep in self._with_room(index))
        return sorted(self._load_key(rep) for rep in self._candidates(index))

    def _adopt(self) -> None:
        """Unowned opportunities go to the least loaded AE with room, in order."""
        for index in list(self.orphans):
            rep = self._least_loaded(index)
            if rep is None:
                if self.routing != "by_segment" and self.land is None:
                    return  # the same AEs are candidates for every one of them
                continue
            del self.orphans[index]
            self._own(index, rep)

    def _dispatch(self) -> None:
        self._dispatch_queue()
        if self.prospects is not None and bool(self.waiting) != self.backlog:
            # prospecting stops while inbound deals wait for an AE, and resumes after
            self.backlog = bool(self.waiting)
            for rep in range(len(self.hired)):
                self._log_time(rep)

    def _dispatch_queue(self) -> None:
        if self.orphans:
            self._adopt()
        if self.routing != "by_segment" and self.land is None:
            # One queue for everyone: serve its head until nobody can take it. Leaving
            # the rest in place keeps each dispatch O(assignments), not O(queue).
            while self.waiting:
                chosen = self._choose(self.waiting[0])
                if chosen is None:
                    return
                self._assign(self.waiting.popleft(), *chosen)
            return
        # By segment: an opportunity nobody in its segment can take does not hold up
        # the others behind it.
        still_waiting: deque[int] = deque()
        while self.waiting:
            index = self.waiting.popleft()
            chosen = self._choose(index)
            if chosen is None:
                still_waiting.append(index)
                continue
            self._assign(index, *chosen)
        self.waiting = still_waiting

    def _open_pipeline(self) -> None:
        """Opportunities open on day one: each with its owner (or the least loaded AE
        on the team, room or not: the deal is already theirs), at its stage. The win
        factor is the owner's on day one (skill, times ramp unless the time model makes
        ramp capacity); with the time model the deal takes its owner's hours from day
        one."""
        active = self._active_at(0.0)
        for index in range(self.new_count, self.opening_end):
            rep = int(self.opening_owner[index - self.new_count])
            if rep not in active:
                rep = min(active, key=self._load_key) if active else -1
            factor = 1.0
            if rep >= 0:
                factor = self.skill[rep] * self._fit(index, rep)
                if not self.timed:
                    factor *= self.team.roster.productivity(rep, 0.0)
            else:
                self.orphans[index] = None
            stage, rate = self._path(index, factor)
            self._assign(index, rep, _Plan(factor, stage, 1.0, rate))

    def _path(self, index: int, factor: float, stretch: float = 1.0) -> tuple[int, float]:
        """The stage ``index`` fails at (``stages``: won) with win multiplier ``factor``,
        and the AE hours per day it takes over the rest of its life with stages
        ``stretch``-ed.

        An opportunity open on day one goes on from its stage; its hours are those
        left of its current stage (pro rata of the stage time still to go), of the
        later stages it reaches and the per-deal share (its first meeting is past)."""
        # The win chance is spread evenly over the stages: stage k is cleared when the
        # opportunity's uniform falls below conversion_k * factor ** (1 / stages).
        per_stage = factor ** (1 / self.stages)
        conversions = self.conversions[self.segment[index]]
        base = index * self.stages
        uniforms = self.uniforms
        opening = self.new_count <= index < self.opening_end
        first = int(self.first_stage[index]) if opening else 0
        stage = first
        while stage < self.stages and \
                uniforms[base + stage] < min(conversions[stage] * per_stage, 1.0):
            stage += 1
        reached = min(stage, self.stages - 1) + 1
        durations = self.durations
        if not opening:
            life = sum(durations[base:base + reached]) * stretch
            hours = self.reached_hours[reached]
        else:
            entered = float(self.opening_entered[index - self.new_count])
            current = durations[base + first] * stretch
            life = entered + sum(durations[base + first:base + reached]) * stretch
            left_share = (current + entered) / current if current > 0 else 1.0
            cumulative = self.reached_hours
            hours = (self.per_deal_hours + cumulative[reached] - cumulative[first + 1]
                     + left_share * (cumulative[first + 1] - cumulative[first]))
        return stage, hours / max(life, MIN_WORK_DAYS)

    def _fit(self, index: int, rep: int) -> float:
        """The fit multiplier of ``rep`` on ``index``: its account's territory's, when
        ``rep`` holds that territory."""
        if self.land is not None:
            territory = self._territory_of(index)
            if territory >= 0 and self.holder[territory] == rep:
                return float(self.land.fit[index])
        return 1.0

    def _plan(self, index: int, rep: int) -> _Plan:
        """How opportunity ``index`` goes if ``rep`` takes it now."""
        now = self.env.now
        factor = self.skill[rep] * self._fit(index, rep)
        if not self.timed:  # with the time model, ramp is capacity instead
            factor *= self.team.roster.productivity(rep, now)
        if self.limit is not None and not self.wait_policy and self.load[rep] >= self.limit:
            extra = self.load[rep] + 1 - self.limit
            factor *= max(0.0, 1 - self.degrade * extra)
        stage, rate = self._path(index, factor)
        stretch = 1.0
        if self.timed:
            capacity = self._capacity(rep)
            utilisation = (self.hours[rep] + rate) / capacity if capacity > 0 else math.inf
            excess = utilisation - self.overload_from
            if excess > 0:
                factor *= max(0.0, 1 - self.win_elasticity * excess)
                stretch = 1 + self.cycle_elasticity * min(excess, 1e6)
                stage, rate = self._path(index, factor, stretch)
        return _Plan(factor, stage, stretch, rate)

    def _assign(self, index: int, rep: int, plan: _Plan) -> None:
        """``rep`` (-1: nobody) takes ``index`` now, to go as ``plan`` says. One open on
        day one is dated from its current stage's entry, for the stage records."""
        now = self.env.now
        opening = self.new_count <= index < self.opening_end
        start = float(self.opening_entered[index - self.new_count]) if opening else now
        self.assigned_at[index] = start
        self.assigned[index] = True
        self.factor[index] = plan.factor
        self.failed_at[index] = plan.stage
        self.stretch[index] = plan.stretch
        self.rate[index] = plan.rate if self.timed else 0.0
        if rep >= 0:
            self._own(index, rep)
        first = int(self.first_stage[index]) if opening else 0
        reached = min(plan.stage, self.stages - 1) + 1
        base = index * self.stages
        closes = start + sum(self.durations[base + first:base + reached]) * plan.stretch
        if self.timed:  # the AE's work on a deal spans at least MIN_WORK_DAYS
            closes = max(closes, now + MIN_WORK_DAYS)
        if closes < self.team.horizon:
            self.env.call_later(closes - now, self.release, index)

    def _own(self, index: int, rep: int) -> None:
        self.owner[index] = rep
        self.load[rep] += 1
        self.hours[rep] += self.rate[index]
        self._changed(rep)
        self.open_by_rep[rep].add(index)
        if self.timed:
            self._log_time(rep)

    def release(self, index: int) -> None:
        """Opportunity ``index`` closes: its owner (if any) has one slot more."""
        rep = self.owner[index]
        if rep < 0:
            self.orphans.pop(index, None)
        elif index in self.open_by_rep[rep]:
            self.open_by_rep[rep].discard(index)
            self.load[rep] -= 1
            self.hours[rep] -= self.rate[index]
            self._changed(rep)
            if self.timed:
                self._log_time(rep)
        self._dispatch()

    def _leave(self, rep: int) -> None:
        """``rep`` leaves: each open opportunity goes to the least loaded colleague with
        room, or becomes unowned until someone has room."""
        if self.land is not None:
            self._release_territory(rep)
        moving = sorted(self.open_by_rep[rep])
        self.open_by_rep[rep].clear()
        self.load[rep] = 0
        self.hours[rep] = 0.0
        self._changed(rep)
        self.meeting_hours[rep] = 0.0
        self.meetings_open[rep].clear()
        if self.timed:
            self._log_time(rep)
        for index in moving:
            new_owner = self._least_loaded(index)  # the leaver is no longer active
            if new_owner is None:
                self.owner[index] = -1
                self.orphans[index] = None
            else:
                self._own(index, new_owner)
        self._dispatch()

    def owner_ids(self) -> np.ndarray:
        ids = self.team.roster.rep_ids
        if len(ids) == 0:  # no AE ever on the team: nothing was assigned
            return np.full(len(self.owner), -1, dtype=np.int64)
        owner = np.array(self.owner, dtype=np.int64)
        return np.where(owner >= 0, ids[np.clip(owner, 0, None)], -1)
