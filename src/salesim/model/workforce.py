"""People over time: starting teams, hiring plans, time to fill, ramp, attrition, backfill.

Who is on a team at any moment does not depend on leads or deals, so each
team's roster is drawn once, before the simulation, in time order: requisitions
open (plan lines or backfills), are filled after ``time_to_fill``, and every
hire leaves after an exponential time set by the annual attrition rate.

Initial reps are fully ramped on day one; their ``hired_at`` is placed far
enough before the start that any tenure-based ramp gives full productivity.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from salesim.scenario.schema import Scenario, Team
from salesim.scenario.units import DAYS_PER_MONTH, DAYS_PER_YEAR

NEVER = math.inf


@dataclass(frozen=True)
class Roster:
    """One team's people: parallel arrays, one entry per person who held a seat.

    Times are calendar days from the scenario start; ``left_at`` is ``inf`` for
    people still there (or leaving after the horizon).
    """

    role: str  # the team's kind
    team: str
    rep_ids: np.ndarray
    requisition_at: np.ndarray
    hired_at: np.ndarray
    left_at: np.ndarray
    origin: np.ndarray
    ramp: tuple[float, ...]
    skill: np.ndarray
    annual_cost: float

    def __len__(self) -> int:
        return len(self.rep_ids)

    def productivity(self, index: int, t: float) -> float:
        """Ramp fraction of person ``index`` at calendar time ``t``."""
        month = int((t - self.hired_at[index]) // DAYS_PER_MONTH)
        if month < 0:
            return 0.0
        return self.ramp[month] if month < len(self.ramp) else 1.0

    def productivity_at(self, index: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`productivity`."""
        months = np.floor((t - self.hired_at[index]) / DAYS_PER_MONTH).astype(np.int64)
        curve = np.append(np.asarray(self.ramp, dtype=float), 1.0)
        return np.where(months < 0, 0.0, curve[np.clip(months, 0, len(self.ramp))])

    def active_at(self, t: float) -> np.ndarray:
        """Indexes of people on the team at time ``t``."""
        return np.flatnonzero((self.hired_at <= t) & (self.left_at > t))

    def ramp_edges(self, index: int) -> list[float]:
        """Calendar times at which person ``index`` moves to the next ramp month."""
        return [self.hired_at[index] + (k + 1) * DAYS_PER_MONTH for k in range(len(self.ramp))]


def build_roster(name: str, team: Team, scenario: Scenario, rng: np.random.Generator,
                 first_id: int, skill_sampler: object | None = None,
                 starting_hired: np.ndarray | None = None) -> Roster:
    """Draw the roster of team ``name`` over the horizon.

    ``starting_hired`` (from ``start_state.reps``) are the hire dates of the starting
    team, in days from the start: they replace ``headcount`` fully ramped reps, so
    ramp and tenure continue (a rep hired two months before is in month 3 on day one).
    """
    horizon = scenario.meta.horizon_days
    ramp = team.ramp.monthly_fractions()
    leave_rate = -math.log(1 - team.attrition) / DAYS_PER_YEAR if team.attrition < 1 else 1e9
    fill = team.time_to_fill.sampler()
    backfill_delay = team.backfill.delay.sampler()
    tenure_before_start = max(12, len(ramp)) * DAYS_PER_MONTH

    requisition_at: list[float] = []
    hired_at: list[float] = []
    left_at: list[float] = []
    origin: list[str] = []

    def leave_time(start: float) -> float:
        if leave_rate <= 0:
            return NEVER
        return start + float(rng.exponential(1 / leave_rate))

    # events: (time, order, kind, payload); kinds run in a fixed order at equal times
    events: list[tuple[float, int, str, int]] = []
    sequence = 0

    def push(time: float, kind: str, payload: int = 0) -> None:
        nonlocal sequence
        heapq.heappush(events, (time, sequence, kind, payload))
        sequence += 1

    starting = (np.full(team.headcount, -tenure_before_start) if starting_hired is None
                else np.minimum(np.asarray(starting_hired, dtype=float), 0.0))
    for hired in starting.tolist():
        requisition_at.append(hired)
        hired_at.append(hired)
        left_at.append(leave_time(0.0))
        origin.append("initial")
        push(left_at[-1], "leave", len(left_at) - 1)
    for line_index, hire in enumerate(team.hiring):
        # a line for the month the scenario starts in opens on the first day, not before
        push(max(0.0, float((hire.month - scenario.meta.start).days)), "plan", line_index)

    open_requisitions = 0
    while events:
        time, _, kind, payload = heapq.heappop(events)
        if time >= horizon:
            break
        if kind == "plan":
            hire = team.hiring[payload]
            if hire.count is not None:
                wanted = hire.count
            else:
                assert hire.target is not None
                on_team = sum(1 for h, lv in zip(hired_at, left_at, strict=True)
                              if h <= time < lv)
                wanted = max(0, hire.target - on_team - open_requisitions)
            for _ in range(wanted):
                push(time, "open", 0)
        elif kind == "backfill":
            push(time, "open", 1)
        elif kind == "open":
            open_requisitions += 1
            start = time + float(fill.sample(rng, 1)[0])
            requisition_at.append(time)
            hired_at.append(start)
            left_at.append(NEVER)
            origin.append("backfill" if payload else "plan")
            push(start, "start", len(hired_at) - 1)
        elif kind == "start":
            open_requisitions -= 1
            left_at[payload] = leave_time(time)
            push(left_at[payload], "leave", payload)
        elif kind == "leave" and team.backfill.enabled:
            push(time + float(backfill_delay.sample(rng, 1)[0]), "backfill")

    hired = np.asarray(hired_at, dtype=float)
    keep = hired < horizon  # requisitions filled after the horizon never started
    count = int(keep.sum())
    skills = (
        skill_sampler.sample(rng, count)  # type: ignore[attr-defined]
        if skill_sampler is not None else np.ones(count)
    )
    left = np.asarray(left_at, dtype=float)[keep]
    left[left >= horizon] = NEVER
    return Roster(
        role=str(getattr(team, "kind", name)),
        team=name,
        rep_ids=np.arange(first_id, first_id + count, dtype=np.int64),
        requisition_at=np.asarray(requisition_at, dtype=float)[keep],
        hired_at=hired[keep],
        left_at=left,
        origin=np.asarray(origin, dtype=object)[keep],
        ramp=ramp,
        skill=np.maximum(np.asarray(skills, dtype=float), 0.0),
        annual_cost=team.annual_cost,
    )
