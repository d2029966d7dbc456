"""The first day of a run that starts from today, as arrays the teams take in.

:func:`read_start_state` reads and checks the rows of ``start_state:`` (inline or
CSV/Parquet files, each file row checked with the same rules as an inline row and
reported ``file:row``); :func:`build_start` turns them, or the generated form, into
per-team arrays: existing customers per CS team (:class:`ExistingBook`), open
opportunities per AE team (:class:`OpenPipeline`) and starting hire dates per team.
Times are calendar days from the scenario start (negative: before it). The
generated form draws from streams named ``start_state/...``, so a start state moves
no other random number.

>>> import salesim
>>> from salesim.engine.random_streams import RandomStreams
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml", {
...     "start_state.customers.count": 50, "start_state.open_opportunities.count": 20})
>>> start = build_start(scenario, RandomStreams(1))
>>> len(start.customers["cs"].arr), len(start.pipeline["ae"].stage)
(50, 20)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from salesim.engine.random_streams import RandomStreams
from salesim.model.marketing import SCORE_PART_MAX, NewLeads, monthly_rate
from salesim.scenario.errors import Location, ScenarioError, ScenarioIssue
from salesim.scenario.loader import shown_path
from salesim.scenario.rows import RowLocation, capped, row_issue
from salesim.scenario.schema import AE, Scenario
from salesim.scenario.start_state import (
    CustomerRow,
    LeadRow,
    OpportunityRow,
    RepRow,
    StartingReps,
)

Row = TypeVar("Row", bound=BaseModel)


@dataclass(frozen=True)
class ExistingBook:
    """One CS team's existing customers: when each signed (its current term start),
    its next renewal, ARR, segment code, CSM (position in the team's starting reps,
    -1 for the least loaded) and account id (-1 none)."""

    start_at: np.ndarray
    renewal_at: np.ndarray
    arr: np.ndarray
    segment: np.ndarray
    csm: np.ndarray
    account: np.ndarray

    def __len__(self) -> int:
        return len(self.arr)


@dataclass(frozen=True)
class OpenPipeline:
    """One AE team's open opportunities: stage index, days already in that stage,
    creation time, amount (NaN: drawn from the segment's deal size), owner (position in
    the team's starting reps, -1 for the least loaded), segment code and account id."""

    stage: np.ndarray
    age: np.ndarray
    created_at: np.ndarray
    amount: np.ndarray
    owner: np.ndarray
    segment: np.ndarray
    account: np.ndarray

    def __len__(self) -> int:
        return len(self.stage)


@dataclass(frozen=True)
class WaitingBook:
    """Leads waiting for an SDR on the first day: creation time (days, <= 0), channel
    and segment codes, and score (0-100)."""

    created_at: np.ndarray
    channel: np.ndarray
    segment: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return len(self.created_at)


@dataclass(frozen=True)
class Start:
    """Everything a run starts with (empty when the scenario has no ``start_state``)."""

    customers: dict[str, ExistingBook] = field(default_factory=dict)
    pipeline: dict[str, OpenPipeline] = field(default_factory=dict)
    hired: dict[str, np.ndarray] = field(default_factory=dict)
    leads: WaitingBook | None = None


@dataclass(frozen=True)
class StartRows:
    """The given (not generated) rows of each part, checked."""

    customers: list[CustomerRow] | None
    opportunities: list[OpportunityRow] | None
    reps: dict[str, list[RepRow]]
    leads: list[LeadRow] | None = None


# ----------------------------------------------------------------------------- reading


def read_start_state(scenario: Scenario) -> StartRows:
    """The rows of every part given inline or as a file, checked; raises
    :class:`ScenarioError` with every problem (``file:row`` for a file)."""
    state = scenario.start_state
    issues: list[ScenarioIssue] = []
    customers = opportunities = None
    leads: list[LeadRow] | None = None
    reps: dict[str, list[RepRow]] = {}
    if state is not None:
        if state.customers is not None and not state.customers.generated:
            customers = _rows(state.customers.file, state.customers.rows, CustomerRow, issues)
        if state.open_opportunities is not None and not state.open_opportunities.generated:
            part = state.open_opportunities
            opportunities = _rows(part.file, part.rows, OpportunityRow, issues)
        for team, spec in state.reps.items():
            if spec.file is not None or spec.rows is not None:
                reps[team] = _rows(spec.file, spec.rows, RepRow, issues)
        if state.leads is not None and not state.leads.generated:
            leads = _rows(state.leads.file, state.leads.rows, LeadRow, issues)
    if issues:
        raise ScenarioError(issues)
    rows = StartRows(customers, opportunities, reps, leads)
    _check_references(scenario, rows)
    return rows


def _rows(file: str | None, rows: list[Row] | None, model: type[Row],
          issues: list[ScenarioIssue]) -> list[Row]:
    if rows is not None:
        return list(rows)
    assert file is not None
    path = Path(file)
    source = shown_path(path)
    table = _read(path, source)
    first_row = 2 if path.suffix.lower() == ".csv" else 1
    found: list[ScenarioIssue] = []
    total = 0
    out: list[Row] = []
    for number, record in enumerate(table.to_dict(orient="records")):
        cells = {str(k).strip().lower(): _cell(v) for k, v in record.items()}
        try:
            out.append(model.model_validate({k: v for k, v in cells.items() if v is not None}))
        except ValidationError as error:
            for problem in error.errors():
                total += 1
                if len(found) < 40:
                    column = ".".join(str(p) for p in problem["loc"]) or "row"
                    found.append(row_issue(source, number + first_row, column,
                                           problem["msg"].removeprefix("Value error, ")))
    if total:
        issues.extend(capped(found, total))
    return out


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _read(path: Path, source: str) -> pd.DataFrame:
    """The file's table, read once per version of the file (every replication of a run
    builds its start from it)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    return _read_cached(str(path), stamp, source)


@functools.lru_cache(maxsize=16)
def _read_cached(name: str, stamp: int, source: str) -> pd.DataFrame:
    del stamp  # part of the cache key only
    path = Path(name)
    try:
        if path.suffix.lower() == ".csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise ScenarioError([ScenarioIssue(RowLocation(source), "", "the file does not "
                                           "exist", "paths are relative to the scenario "
                                           "file")]) from None
    except (OSError, ValueError) as error:
        raise ScenarioError([ScenarioIssue(RowLocation(source), "",
                                           f"cannot read the file: {error}")]) from None


def _check_references(scenario: Scenario, rows: StartRows) -> None:
    """Owners and CSMs must be starting reps; segments and stages must exist."""
    state = scenario.start_state
    assert state is not None
    issues: list[ScenarioIssue] = []
    segments = list(scenario.segments)
    teams = scenario.organisation

    def where(part: str, row: int, file: str | None) -> Location:
        if file is not None:
            shown = shown_path(file)
            return RowLocation(shown, row + (2 if file.lower().endswith(".csv") else 1))
        return Location("scenario", 0)

    if rows.opportunities is not None:
        part = state.open_opportunities
        assert part is not None
        ae_teams = list(scenario.teams_of("ae"))
        for number, opp in enumerate(rows.opportunities):
            at = where("open_opportunities", number, part.file)
            path = f"start_state.open_opportunities.rows.{number}"
            team_name = opp.team or part.team or ae_teams[0]
            team = teams.get(team_name)
            if not isinstance(team, AE):
                issues.append(ScenarioIssue(at, f"{path}.team", f"'{team_name}' is not an "
                                            f"AE team", f"AE teams: {', '.join(ae_teams)}"))
                continue
            if opp.stage not in team.stages:
                issues.append(ScenarioIssue(at, f"{path}.stage", f"'{opp.stage}' is not a "
                                            f"stage of {team_name}",
                                            f"stages: {', '.join(team.stages)}"))
            if opp.segment is not None and opp.segment not in segments:
                issues.append(ScenarioIssue(at, f"{path}.segment", f"'{opp.segment}' is not "
                                            "a segment", f"segments: {', '.join(segments)}"))
            if opp.owner is not None and _owner_index(opp.owner, team_name, scenario,
                                                      rows) < 0:
                issues.append(ScenarioIssue(at, f"{path}.owner", f"'{opp.owner}' is not a "
                                            f"starting rep of {team_name}",
                                            "name a rep of start_state.reps or give its "
                                            "position (1, 2...)"))
            if opp.age is None and opp.created is None:
                issues.append(ScenarioIssue(at, f"{path}.age", "give age or created"))
            elif opp.created is not None and opp.created > scenario.meta.start:
                issues.append(ScenarioIssue(at, f"{path}.created", "an open opportunity "
                                            "is created before the start"))
    if rows.customers is not None:
        part_c = state.customers
        assert part_c is not None
        cs_teams = list(scenario.teams_of("cs"))
        for number, customer in enumerate(rows.customers):
            at = where("customers", number, part_c.file)
            path = f"start_state.customers.rows.{number}"
            team_name = customer.team or part_c.team or cs_teams[0]
            if team_name not in cs_teams:
                issues.append(ScenarioIssue(at, f"{path}.team", f"'{team_name}' is not a "
                                            "CS team", f"CS teams: {', '.join(cs_teams)}"))
            if customer.segment is not None and customer.segment not in segments:
                issues.append(ScenarioIssue(at, f"{path}.segment", f"'{customer.segment}' "
                                            "is not a segment",
                                            f"segments: {', '.join(segments)}"))
            if customer.start is not None and customer.start > scenario.meta.start:
                issues.append(ScenarioIssue(at, f"{path}.start", "an existing customer "
                                            "starts before the start of the horizon"))
            if customer.csm is not None and customer.csm > starting_count(
                    scenario, team_name, rows):
                issues.append(ScenarioIssue(at, f"{path}.csm", f"there is no CSM "
                                            f"{customer.csm} on {team_name}"))
    if rows.leads is not None:
        assert state.leads is not None
        for number, lead in enumerate(rows.leads):
            at = where("leads", number, state.leads.file)
            path = f"start_state.leads.rows.{number}"
            if lead.channel not in scenario.channels:
                issues.append(ScenarioIssue(at, f"{path}.channel", f"'{lead.channel}' is not "
                                            "a channel",
                                            f"channels: {', '.join(scenario.channels)}"))
            if lead.segment is not None and lead.segment not in segments:
                issues.append(ScenarioIssue(at, f"{path}.segment", f"'{lead.segment}' is not "
                                            "a segment", f"segments: {', '.join(segments)}"))
            if lead.created is not None and lead.created > scenario.meta.start:
                issues.append(ScenarioIssue(at, f"{path}.created", "a waiting lead came in "
                                            "before the start"))
    for team_name, reps in rows.reps.items():
        spec = state.reps[team_name]
        for number, rep in enumerate(reps):
            if rep.hired > scenario.meta.start:
                issues.append(ScenarioIssue(
                    where("reps", number, spec.file), f"start_state.reps.{team_name}.rows."
                    f"{number}.hired", "a starting rep is hired before the start",
                    "later hires belong in the team's hiring plan"))
    if issues:
        raise ScenarioError(issues)


def starting_count(scenario: Scenario, team: str, rows: StartRows) -> int:
    """How many reps team ``team`` starts with."""
    if team in rows.reps:
        return len(rows.reps[team])
    spec = scenario.start_state.reps.get(team) if scenario.start_state else None
    if spec is not None and spec.count is not None:
        return spec.count
    return scenario.organisation[team].headcount


def _owner_index(owner: int | str, team: str, scenario: Scenario, rows: StartRows) -> int:
    if isinstance(owner, int) or owner.isdigit():
        position = int(owner) - 1
        return position if 0 <= position < starting_count(scenario, team, rows) else -1
    names = [rep.name for rep in rows.reps.get(team, [])]
    return names.index(owner) if owner in names else -1


# ----------------------------------------------------------------------------- building


def build_start(scenario: Scenario, streams: RandomStreams) -> Start:
    """The arrays a run starts from (see the module doc)."""
    state = scenario.start_state
    if state is None:
        return Start()
    rows = read_start_state(scenario)
    start = scenario.meta.start
    hired = {team: _hired(scenario, team, spec, rows, streams)
             for team, spec in state.reps.items()}
    return Start(customers=_customers(scenario, rows, streams, start),
                 pipeline=_pipeline(scenario, rows, streams, start), hired=hired,
                 leads=_waiting(scenario, rows, streams, start))


def _waiting(scenario: Scenario, rows: StartRows, streams: RandomStreams, start: dt.date
             ) -> WaitingBook | None:
    part = scenario.start_state.leads if scenario.start_state else None
    if part is None:
        return None
    channels = list(scenario.channels)
    segments = list(scenario.segments)
    if not part.generated:
        assert rows.leads is not None
        return WaitingBook(
            created_at=np.array([_days(lead.created, start) if lead.created is not None
                                 else -(lead.age.days if lead.age is not None else 0.0)
                                 for lead in rows.leads], dtype=float),
            channel=np.array([channels.index(lead.channel) for lead in rows.leads],
                             dtype=np.int64),
            segment=np.array([segments.index(lead.segment) if lead.segment else 0
                              for lead in rows.leads], dtype=np.int64),
            score=np.array([lead.score if lead.score is not None else 50.0
                            for lead in rows.leads], dtype=float))
    assert part.count is not None
    n = part.count
    rng = streams.generator("start_state/leads")
    volume = np.array([monthly_rate(channel, scenario, scenario.months[0])
                       for channel in scenario.channels.values()])
    if volume.sum() <= 0:
        volume = np.ones(len(channels))
    channel = np.minimum(np.searchsorted(np.cumsum(volume / volume.sum()), rng.random(n),
                                         side="right"), len(channels) - 1).astype(np.int64)
    segment = np.zeros(n, dtype=np.int64)
    score = np.zeros(n)
    default_mix = np.array([s.share for s in scenario.segments.values()])
    for code, spec in enumerate(scenario.channels.values()):
        mine = np.flatnonzero(channel == code)
        mix = default_mix if spec.segment_mix is None else np.array(
            [spec.segment_mix.get(s, 0.0) for s in segments])
        segment[mine] = rng.choice(len(segments), size=len(mine), p=mix / mix.sum())
        score[mine] = (
            np.clip(spec.score.attribute.sampler().sample(rng, len(mine)), 0, SCORE_PART_MAX)
            + np.clip(spec.score.behaviour.sampler().sample(rng, len(mine)), 0,
                      SCORE_PART_MAX))
    age = (part.age.sampler().sample(rng, n) if part.age is not None
           else rng.random(n) * 2.0)
    return WaitingBook(created_at=-np.maximum(np.asarray(age, dtype=float), 0.0),
                       channel=channel, segment=segment, score=score)


def with_waiting(leads: NewLeads, waiting: WaitingBook | None) -> NewLeads:
    """The new leads followed by the leads waiting on the first day (ids after theirs;
    no cost in the horizon: they were paid for before it; ready for an SDR)."""
    if waiting is None or not len(waiting):
        return leads
    half = waiting.score / 2

    def join(values: np.ndarray, more: np.ndarray) -> np.ndarray:
        return np.concatenate([values, more.astype(values.dtype)])

    return dataclasses.replace(
        leads, created_at=join(leads.created_at, waiting.created_at),
        channel=join(leads.channel, waiting.channel),
        segment=join(leads.segment, waiting.segment),
        score=join(leads.score, waiting.score),
        attribute_score=join(leads.attribute_score, half),
        behaviour_score=join(leads.behaviour_score, half),
        cost=join(leads.cost, np.zeros(len(waiting))),
        not_ready=join(leads.not_ready, np.zeros(len(waiting), dtype=bool)))


def _days(day: dt.date, start: dt.date) -> float:
    return float((day - start).days)


def _hired(scenario: Scenario, team: str, spec: StartingReps, rows: StartRows,
           streams: RandomStreams) -> np.ndarray:
    if team in rows.reps:
        return np.array([_days(rep.hired, scenario.meta.start) for rep in rows.reps[team]],
                        dtype=float)
    assert spec.tenure is not None
    count = spec.count if spec.count is not None else scenario.organisation[team].headcount
    tenure = spec.tenure.sampler().sample(streams.generator(f"start_state/reps/{team}"), count)
    hired: np.ndarray = -np.maximum(np.asarray(tenure, dtype=float), 0.0)
    return hired


def _mix(scenario: Scenario, shares: dict[str, float] | None, count: int,
         rng: np.random.Generator) -> np.ndarray:
    names = list(scenario.segments)
    weights = np.array([(shares or {}).get(n, 0.0) if shares is not None
                        else scenario.segments[n].share for n in names])
    cumulative = np.cumsum(weights / weights.sum())
    picked = np.searchsorted(cumulative, rng.random(count), side="right")
    return np.minimum(picked, len(names) - 1).astype(np.int64)


def _customers(scenario: Scenario, rows: StartRows, streams: RandomStreams, start: dt.date
               ) -> dict[str, ExistingBook]:
    part = scenario.start_state.customers if scenario.start_state else None
    if part is None:
        return {}
    cs_teams = list(scenario.teams_of("cs"))
    term = scenario.customers.contract_term.days
    segments = list(scenario.segments)
    if part.generated:
        assert part.count is not None
        rng = streams.generator("start_state/customers")
        segment = _mix(scenario, part.segments, part.count, rng)
        renewals = rng.random(part.count) * term  # renewals spread evenly over the term
        arr = np.zeros(part.count)
        uniforms = rng.random(part.count)
        for code, name in enumerate(segments):
            mine = segment == code
            sampler = (part.arr or scenario.segments[name].deal_size).sampler()
            arr[mine] = sampler.quantile(uniforms[mine])
        book = ExistingBook(start_at=renewals - term, renewal_at=renewals, arr=arr,
                            segment=segment, csm=np.full(part.count, -1, dtype=np.int64),
                            account=np.full(part.count, -1, dtype=np.int64))
        return {part.team or cs_teams[0]: book}
    assert rows.customers is not None
    by_team: dict[str, list[tuple[float, float, float, int, int, int]]] = {}
    begun: float
    renewal: float
    for customer in rows.customers:
        if customer.start is not None:
            begun = _days(customer.start, start)
            renewal = (_days(customer.renewal, start) if customer.renewal is not None
                       else begun + term)
        else:
            assert customer.renewal is not None
            renewal = _days(customer.renewal, start)
            begun = renewal - term
        while renewal < 0:  # a renewal date already past: the term rolled over
            renewal += term
        segment_code = segments.index(customer.segment) if customer.segment else 0
        team = customer.team or part.team or cs_teams[0]
        by_team.setdefault(team, []).append(
            (begun, renewal, float(customer.arr), segment_code,
             (customer.csm or 0) - 1, customer.account if customer.account else -1))
    books = {}
    for team, entries in by_team.items():
        columns = list(zip(*entries, strict=True))
        books[team] = ExistingBook(
            start_at=np.array(columns[0], dtype=float), renewal_at=np.array(columns[1]),
            arr=np.array(columns[2]), segment=np.array(columns[3], dtype=np.int64),
            csm=np.array(columns[4], dtype=np.int64), account=np.array(columns[5],
                                                                        dtype=np.int64))
    return books


def stage_occupancy(ae: AE) -> np.ndarray:
    """Share of a steady pipeline in each stage: the chance of reaching the stage times
    its mean duration (Little's law), normalised."""
    reach = np.cumprod([1.0, *[stage.conversion for stage in ae.stages.values()][:-1]])
    durations = np.array([stage.duration.sampler().mean for stage in ae.stages.values()])
    weight = reach * np.maximum(durations, 1e-9)
    return np.asarray(weight / weight.sum(), dtype=float)


def _pipeline(scenario: Scenario, rows: StartRows, streams: RandomStreams, start: dt.date
              ) -> dict[str, OpenPipeline]:
    part = scenario.start_state.open_opportunities if scenario.start_state else None
    if part is None:
        return {}
    ae_teams = scenario.teams_of("ae")
    if part.generated:
        assert part.count is not None
        name = part.team or next(iter(ae_teams))
        team = ae_teams[name]
        assert isinstance(team, AE)
        rng = streams.generator("start_state/opportunities")
        n = part.count
        segment = _mix(scenario, part.segments, n, rng)
        occupancy = np.cumsum(stage_occupancy(team))
        stage = np.minimum(np.searchsorted(occupancy, rng.random(n), side="right"),
                           len(occupancy) - 1).astype(np.int64)
        means = np.array([s.duration.sampler().mean for s in team.stages.values()])
        age = rng.random(n) * means[stage]  # uniformly far into the stage (steady state)
        before = np.concatenate([[0.0], np.cumsum(means)[:-1]])[stage]
        return {name: OpenPipeline(stage=stage, age=age, created_at=-(age + before),
                                   amount=np.full(n, np.nan),
                                   owner=np.full(n, -1, dtype=np.int64), segment=segment,
                                   account=np.full(n, -1, dtype=np.int64))}
    assert rows.opportunities is not None
    segments = list(scenario.segments)
    by_team: dict[str, list[tuple[int, float, float, float, int, int, int]]] = {}
    for opp in rows.opportunities:
        name = opp.team or part.team or next(iter(ae_teams))
        team = ae_teams[name]
        assert isinstance(team, AE)
        created = _days(opp.created, start) if opp.created is not None else None
        age = opp.age.days if opp.age is not None else -(created or 0.0)
        owner = _owner_index(opp.owner, name, scenario, rows) if opp.owner is not None else -1
        by_team.setdefault(name, []).append((
            list(team.stages).index(opp.stage), float(age),
            created if created is not None else -float(age),
            float(opp.amount) if opp.amount is not None else np.nan,
            owner, segments.index(opp.segment) if opp.segment else 0,
            opp.account if opp.account is not None else -1))
    pipelines = {}
    for name, entries in by_team.items():
        c = list(zip(*entries, strict=True))
        pipelines[name] = OpenPipeline(
            stage=np.array(c[0], dtype=np.int64), age=np.array(c[1], dtype=float),
            created_at=np.array(c[2], dtype=float), amount=np.array(c[3], dtype=float),
            owner=np.array(c[4], dtype=np.int64), segment=np.array(c[5], dtype=np.int64),
            account=np.array(c[6], dtype=np.int64))
    return pipelines
