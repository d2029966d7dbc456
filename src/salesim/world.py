"""One replication: build the world a scenario declares, run it, return CRM-shaped records.

The flow is one-way, stage by stage, because nothing downstream feeds back upstream
within a replication. Each stage is a team kind (:mod:`salesim.roles`); work passes
between stages as named items, and the scenario's routing rules say which team of
the next kind takes each item:

1. workforce: each team's roster over the horizon (:mod:`salesim.model.workforce`);
2. marketing: every new lead (:mod:`salesim.model.marketing`), routed to an SDR team;
3. each SDR team's desk and the nurture pool, a queue on the business clock
   (:mod:`salesim.model.sdr`, :mod:`salesim.model.recycle`), hand over
   :class:`Meetings` (valid, held), routed to an AE team; the held meetings that
   proved invalid are routed the same way and, under the AE time model, take the
   time of an AE of that team (:class:`salesim.model.sales.InvalidMeetings`);
4. each AE team works its opportunities, a discrete-event model on the calendar
   clock (:mod:`salesim.model.sales`), and hands over :class:`WonDeals`, routed to a CS team;
5. each CS team serves its customers (:mod:`salesim.model.success`).

Every team draws from random streams named after it (``<team>/outcomes``...), so a
team keeps its random numbers whatever the other teams do.

>>> import salesim
>>> records = salesim.simulate(salesim.load_scenario("scenarios/minimal.yaml"), seed=1)
>>> int((records.leads.cycle == 0).sum()) > 0
True
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from salesim.engine.calendar import WorkCalendar
from salesim.engine.garbage import paused_collection
from salesim.engine.random_streams import RandomStreams
from salesim.model.accounts import AccountBook, build_accounts
from salesim.model.marketing import NewLeads, generate_leads
from salesim.model.recycle import NurturePool
from salesim.model.routing import Attribute, route
from salesim.model.sales import InvalidMeetings, Opportunities, SalesTeam, Territorial
from salesim.model.sdr import LeadBook, SdrDesk
from salesim.model.start_state import Start, build_start, with_waiting
from salesim.model.success import Customers, serve_customers
from salesim.model.territories import (
    TerritoryMap,
    carve,
    fit_multiplier,
    split_territory,
)
from salesim.model.workforce import Roster, build_roster
from salesim.record_columns import categories_found, coded, codes_of, timestamps
from salesim.records import (
    LEAD_REASONS,
    LEAD_STATUSES,
    OPPORTUNITY_STATUSES,
    ROLES,
    SUBSCRIPTION_EVENT_KINDS,
    Records,
    conform,
)
from salesim.scenario.schema import AE, CS, SDR, SELF_SOURCED, Scenario, Team
from salesim.scenario.uncertain import INFO_PREFIX, realise_with_values

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class Meetings:
    """Valid held meetings handed from inside sales to field sales, in the order they
    were held: the lead rows they came from and the SDR team (index) that set them."""

    lead_row: np.ndarray
    held_at: np.ndarray
    source_team: np.ndarray

    def __len__(self) -> int:
        return len(self.lead_row)


@dataclass(frozen=True)
class WonDeals:
    """Won opportunities handed from field sales to customer success: the opportunity
    (index into all opportunities), when it closed, its ARR, its lead row and the AE
    team (index) that won it."""

    opportunity: np.ndarray
    closed_at: np.ndarray
    amount: np.ndarray
    lead_row: np.ndarray
    source_team: np.ndarray

    def __len__(self) -> int:
        return len(self.opportunity)


@dataclass(frozen=True)
class AccountWorld:
    """The account universe of a replication, its territories (if any) and the account
    each new lead belongs to (index into ``book``, -1 for none)."""

    book: AccountBook
    territories: TerritoryMap | None
    lead_account: np.ndarray
    fit: np.ndarray  # per account: the win-rate multiplier for its territory's rep
    split_to: np.ndarray  # per account: its territory within the team after a split
    on_leaving: dict[str, str]  # per team with territories: hold, split or house

    def of_leads(self, lead_ids: np.ndarray) -> np.ndarray:
        """Account index of each lead id (ids number the new leads from 1; -1 for no
        lead: an opportunity open on day one has none)."""
        ids = np.asarray(lead_ids, dtype=np.int64)
        return np.where(ids > 0, self.lead_account[np.clip(ids, 1, None) - 1], -1)

    def account_ids(self, accounts: np.ndarray) -> np.ndarray:
        return np.where(accounts >= 0, self.book.account_id[np.clip(accounts, 0, None)], -1)

    def attribute(self, accounts: np.ndarray, dimension: str) -> Attribute:
        codes = getattr(self.book, dimension)
        names = getattr(self.book, f"{dimension}_names")
        return Attribute(np.where(accounts >= 0, codes[np.clip(accounts, 0, None)], -1), names)


@dataclass(frozen=True)
class _SalesResult:
    """One AE team's opportunities and where they sit among all opportunities."""

    name: str
    team: SalesTeam
    position: np.ndarray  # index of each of its opportunities among all of them
    opportunities: Opportunities


ENGINES = ("compiled", "python")


@paused_collection
def simulate(scenario: Scenario, seed: int = 0, assumption_seed: int | None = None, *,
             engine: str = "compiled") -> Records:
    """Run one replication of ``scenario`` with root ``seed``.

    Same scenario and seed give identical records, whatever machine or executor runs it.
    The scenario's uncertain values (``uncertain:``) are drawn first, from
    ``assumption_seed`` (default: ``seed``), and kept in ``Records.info`` as
    ``assumption:<path>``. ``engine="python"`` runs the engine's compiled hot loops as
    their pure-Python reference versions instead: slower, same records.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    began = time.perf_counter()
    scenario, drawn = realise_with_values(
        scenario, seed if assumption_seed is None else assumption_seed)
    streams = RandomStreams(seed)
    calendar = WorkCalendar(scenario.calendar, scenario.meta.start, scenario.meta.horizon_days)
    organisation = scenario.organisation

    begin = build_start(scenario, streams)
    rosters: dict[str, Roster] = {}
    next_id = 1
    for name, team in organisation.items():
        skill = team.skill.sampler() if isinstance(team, AE) else None
        rosters[name] = build_roster(name, team, scenario, streams.generator(f"workforce/{name}"),
                                     next_id, skill, begin.hired.get(name))
        next_id += len(rosters[name])

    leads = with_waiting(generate_leads(scenario, streams), begin.leads)
    world = _account_world(scenario, streams, leads)
    book, desks, pool = _inside_sales(scenario, calendar, rosters, streams, leads, world,
                                      engine)
    sdr_names = tuple(desk.name for desk in desks)
    lead_table = _lead_table(book, leads, sdr_names)
    meetings = _meetings(book, lead_table)
    invalid = _meetings(book, lead_table, valid=False)
    work = _work_table(lead_table, begin, leads)
    sales = _field_sales(scenario, rosters, streams, leads, lead_table, meetings, sdr_names,
                         world, begin, invalid)
    work = _with_sourced(work, sales, leads)
    won = _won_deals(sales)
    ae_names = tuple(result.name for result in sales)
    customers = _customer_success(scenario, rosters, streams, leads, work, won, ae_names,
                                  world, begin)

    start = scenario.meta.start
    stage_names = tuple(dict.fromkeys(s for result in sales for s in result.team.stage_names))
    tables = {
        "leads": _timestamps(lead_table, start),
        **_opportunity_tables(sales, work, stage_names, start),
        **_subscription_tables(customers, sales, won, work, start, begin),
        "reps": _rep_table(rosters, start, {r.name: r.team.rep_segment_names() for r in sales}),
        "activities": _activity_table(desks, book, calendar, start),
    }
    if any(result.team.selling_time is not None for result in sales):
        tables["selling_time"] = _selling_time_table(sales, rosters, start)
    if world is not None:
        tables.update(_account_tables(world, tables, sales, rosters, start))
    if any(team.compensation is not None for team in organisation.values()):
        tables.update(pay_tables(tables, scenario))
    return Records(
        **{name: conform(name, table) for name, table in tables.items()},
        start=start,
        end=scenario.meta.end,
        seed=seed,
        scenario_name=scenario.meta.name,
        info={"seconds": time.perf_counter() - began, "reengaged": float(pool.reengaged),
              **{INFO_PREFIX + path: value for path, value in drawn.items()}},
    )


def pay_tables(tables: dict[str, pd.DataFrame], scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The ``payouts`` and ``payout_measures`` tables of a run's records under its
    teams' compensation plans (pay is worked out from the records alone)."""
    from salesim.metrics.compensation import payout_tables
    from salesim.metrics.plan import Plan

    records = Records(**{name: conform(name, table) for name, table in tables.items()},
                      start=scenario.meta.start, end=scenario.meta.end, seed=0,
                      scenario_name=scenario.meta.name, info={})
    payouts, measures = payout_tables(records, Plan.from_scenario(scenario))
    return {"payouts": payouts, "payout_measures": measures}


# ----------------------------------------------------------------------------- stages


def planned_seats(team: Team) -> int:
    """How many seats a team's hiring plan reaches: its territories by default."""
    seats = team.headcount
    for hire in team.hiring:
        seats = seats + hire.count if hire.count is not None else max(seats, hire.target or 0)
    return max(seats, 1)


def _account_world(scenario: Scenario, streams: RandomStreams, leads: NewLeads
                   ) -> AccountWorld | None:
    """The account universe; each new lead belongs to an account of its segment, picked
    with chances in proportion to potential (larger companies bring more leads)."""
    if scenario.accounts is None:
        return None
    book = build_accounts(scenario.accounts, tuple(scenario.segments),
                          streams.generator("accounts"), Path.cwd())
    uniforms = streams.generator("accounts/leads").random(len(leads))
    lead_account = np.full(len(leads), -1, dtype=np.int64)
    for segment in range(len(leads.segment_names)):
        mine = leads.segment == segment
        candidates = np.flatnonzero(book.segment == segment)
        if not mine.any() or not len(candidates):
            continue
        weights = np.maximum(book.potential[candidates], 0.0)
        if weights.sum() <= 0:
            weights = np.ones(len(candidates))
        cumulative = np.cumsum(weights)
        picked = np.searchsorted(cumulative, uniforms[mine] * cumulative[-1], side="right")
        lead_account[mine] = candidates[np.minimum(picked, len(candidates) - 1)]
    territories = None
    fit = np.ones(len(book))
    split_to = np.full(len(book), -1, dtype=np.int64)
    if scenario.territories:
        organisation = scenario.organisation
        seats = {name: planned_seats(organisation[name]) for name in scenario.territories}
        territories = carve(book, scenario.territories, seats)
        fit = fit_multiplier(book, territories, scenario.territories)
        for code, (name, spec) in enumerate(scenario.territories.items()):
            if spec.on_rep_leaving != "split" or territories.territory_counts[code] < 2:
                continue
            first = int(territories.offsets[code])
            for local in range(territories.territory_counts[code]):
                moved = split_territory(territories, first + local)
                split_to[moved.accounts] = moved.territory
            del name
    on_leaving: dict[str, str] = {name: str(spec.on_rep_leaving)
                                  for name, spec in (scenario.territories or {}).items()}
    return AccountWorld(book, territories, lead_account, fit, split_to, on_leaving)


def _inside_sales(scenario: Scenario, calendar: WorkCalendar, rosters: dict[str, Roster],
                  streams: RandomStreams, leads: NewLeads, world: AccountWorld | None,
                  engine: str = "compiled") -> tuple[LeadBook, list[SdrDesk], NurturePool]:
    """New leads routed to SDR teams; each team's desk works its own queue, and leads
    back from nurture return to the team that worked them. ``engine`` says whether the
    desks run compiled (:mod:`salesim.model.sdr_kernel`) or as the Python reference."""
    teams = scenario.teams_of("sdr")
    names = list(teams)
    attributes = {"channel": Attribute(leads.channel, leads.channel_names),
                  "segment": Attribute(leads.segment, leads.segment_names)}
    if world is not None:
        attributes["region"] = world.attribute(world.lead_account, "region")
        attributes["industry"] = world.attribute(world.lead_account, "industry")
    lead_team = route(scenario.routing.leads, names, len(leads), attributes, score=leads.score)
    book = LeadBook()
    pool = NurturePool(scenario, streams, book, lead_count=len(leads))
    desks = []
    for name, team in teams.items():
        assert isinstance(team, SDR)
        desks.append(SdrDesk(scenario, team, name, calendar, rosters[name], streams, book,
                             pool.nurture, lead_count=len(leads)))
    pool.desks = list(desks)
    attempts = np.zeros(len(leads), dtype=np.int64)
    for index, desk in enumerate(desks):
        mine = lead_team == index
        attempts[mine] = desk.attempts_needed(np.flatnonzero(mine) + 1,  # new leads' ids
                                              np.zeros(int(mine.sum()), dtype=np.int64))
    book.add_many(leads.channel, leads.segment, leads.score, leads.cost, leads.created_at,
                  attempts, team=lead_team)
    not_ready = np.flatnonzero(leads.not_ready)
    pool.nurture_new(not_ready, leads.created_at[not_ready], leads.channel, leads.segment,
                     leads.score)
    ready = np.flatnonzero(~leads.not_ready)
    for index, desk in enumerate(desks):
        rows = ready[lead_team[ready] == index]
        rows = rows[np.argsort(leads.created_at[rows], kind="stable")]  # waiting ones first
        desk.schedule_arrivals(rows, leads.created_at[rows])
    if engine == "python":
        for desk in desks:
            desk.run()
    else:
        from salesim.model.sdr_kernel import run_compiled  # numba loads when first needed

        for desk in desks:
            run_compiled(desk, pool)
    desks[0].finalise()  # one book for every desk: its clock conversion is done once
    book.trim()
    return book, desks, pool


def _meetings(book: LeadBook, lead_table: pd.DataFrame, valid: bool = True) -> Meetings:
    """The valid held meetings (those that became opportunities), or with ``valid``
    False the held meetings that proved invalid, in the order they were held."""
    if valid:
        converted = lead_table.index[lead_table["status"] == "converted"].to_numpy()
    else:
        converted = np.flatnonzero(book.valid == 0.0)
    held = book.meeting_held_at[converted]
    order = np.argsort(held, kind="stable")
    return Meetings(lead_row=converted[order], held_at=held[order],
                    source_team=book.team[converted[order]])


def _field_sales(scenario: Scenario, rosters: dict[str, Roster], streams: RandomStreams,
                 leads: NewLeads, lead_table: pd.DataFrame, meetings: Meetings,
                 sdr_names: tuple[str, ...], world: AccountWorld | None,
                 begin: Start | None = None, invalid: Meetings | None = None
                 ) -> list[_SalesResult]:
    """Meetings routed to AE teams; each team works its opportunities (with
    territories: each goes to the rep holding its account's territory). ``invalid``
    held meetings are routed by the same rules; they take AE time under the time
    model."""
    teams = scenario.teams_of("ae")
    names = list(teams)
    rows = meetings.lead_row
    taken, accounts = _route_meetings(scenario, names, leads, lead_table, meetings,
                                      sdr_names, world)
    if invalid is None:
        invalid = Meetings(np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, np.int64))
    invalid_taken, invalid_accounts = _route_meetings(scenario, names, leads, lead_table,
                                                      invalid, sdr_names, world)
    segment_codes = lead_table["segment"].cat.codes.to_numpy(dtype=np.int64)
    # AE and CS draws are keyed by lead id (1..number of new leads): common random numbers
    lead_ids = lead_table["lead_id"].to_numpy(dtype=np.int64)
    results = []
    opened = 0  # opportunities open on day one so far (they follow the new ones)
    sourced = 0  # self-sourced opportunities so far (they follow those open on day one)
    all_opening = sum(len(p) for p in begin.pipeline.values()) if begin is not None else 0
    for index, (name, team) in enumerate(teams.items()):
        assert isinstance(team, AE)
        position = np.flatnonzero(taken == index)
        mine = rows[position]
        sales = SalesTeam(scenario, team, name, rosters[name], streams, leads.segment_names)
        land = _territorial(world, name, accounts[position])
        opening = begin.pipeline.get(name) if begin is not None else None
        count = len(opening) if opening is not None else 0
        extra = np.arange(opened, opened + count, dtype=np.int64)
        held = np.flatnonzero(invalid_taken == index)
        wasted = InvalidMeetings(invalid.held_at[held], segment_codes[invalid.lead_row[held]],
                                 _territorial(world, name, invalid_accounts[held]))
        opportunities = sales.run(mine, segment_codes[mine], meetings.held_at[position],
                                  lead_ids[mine], len(leads), land, opening,
                                  len(lead_table) + extra, wasted)
        position = np.concatenate([position, len(meetings) + extra])
        opened += count
        if opportunities.sourced:
            # self-sourced opportunities: their own rows of the work table, after the
            # rows of every opportunity open on day one
            own = all_opening + sourced + np.arange(opportunities.sourced, dtype=np.int64)
            opportunities.lead_row[-opportunities.sourced:] = len(lead_table) + own
            position = np.concatenate([position, len(meetings) + own])
            sourced += opportunities.sourced
        results.append(_SalesResult(name, sales, position, opportunities))
    return results


def _route_meetings(scenario: Scenario, names: list[str], leads: NewLeads,
                    lead_table: pd.DataFrame, meetings: Meetings, sdr_names: tuple[str, ...],
                    world: AccountWorld | None) -> tuple[np.ndarray, np.ndarray]:
    """The AE team (index into ``names``) taking each of ``meetings``, by the routing
    rules, and the account (index, -1 none) of each."""
    rows = meetings.lead_row
    attributes = _work_attributes(lead_table, leads, rows, world)
    attributes["source"] = Attribute(meetings.source_team, sdr_names)
    territory_team = None
    accounts = np.full(len(rows), -1, dtype=np.int64)
    if world is not None:
        accounts = world.of_leads(lead_table["lead_id"].to_numpy(dtype=np.int64)[rows])
        if world.territories is not None:
            covering = np.array([names.index(n) if n in names else -1
                                 for n in world.territories.team_names], dtype=np.int64)
            team_code = np.where(accounts >= 0,
                                 world.territories.team[np.clip(accounts, 0, None)], -1)
            territory_team = np.where(team_code >= 0, covering[np.clip(team_code, 0, None)], -1)
    taken = route(scenario.routing.meetings, names, len(meetings), attributes,
                  score=lead_table["score"].to_numpy(dtype=float)[rows],
                  territory_team=territory_team)
    return taken, accounts


def _work_table(lead_table: pd.DataFrame, begin: Start, leads: NewLeads) -> pd.DataFrame:
    """What the work after a meeting needs of its lead (id, channel, segment, score and
    the key of its random numbers), with one row more per opportunity open on day one
    (no lead: id -1, no channel), in AE team order, keyed after the new leads."""
    table = lead_table[["lead_id", "channel", "segment", "score"]].copy()
    table["key"] = table["lead_id"]
    segments = [pipeline.segment for pipeline in begin.pipeline.values()]
    if not segments:
        return table
    codes = np.concatenate(segments)
    m = len(codes)
    extra = pd.DataFrame({
        "lead_id": np.full(m, -1, dtype=np.int64),
        "channel": _coded(np.full(m, -1), leads.channel_names),
        "segment": _coded(codes, leads.segment_names),
        "score": np.full(m, np.nan),
        "key": len(leads) + 1 + np.arange(m, dtype=np.int64),
    })
    return pd.concat([table, extra], ignore_index=True)


def _with_sourced(work: pd.DataFrame, sales: list[_SalesResult], leads: NewLeads
                  ) -> pd.DataFrame:
    """The work table with one row more per self-sourced opportunity (no lead: id -1,
    channel ``self_sourced``, no score), in AE team order, keyed after the rows of the
    opportunities open on day one."""
    parts = [result.opportunities for result in sales if result.opportunities.sourced]
    if not parts:
        return work
    codes = np.concatenate([opps.segment[-opps.sourced:] for opps in parts])
    m = len(codes)
    channels = (*leads.channel_names, SELF_SOURCED)
    first_key = int(work["key"].max()) + 1 if len(work) else 1
    extra = pd.DataFrame({
        "lead_id": np.full(m, -1, dtype=np.int64),
        "channel": _coded(np.full(m, len(channels) - 1), channels),
        "segment": _coded(codes, leads.segment_names),
        "score": np.full(m, np.nan),
        "key": max(first_key, len(leads) + 1) + np.arange(m, dtype=np.int64),
    })
    work = work.copy()
    work["channel"] = work["channel"].cat.set_categories(list(channels))
    return pd.concat([work, extra], ignore_index=True)


def _work_attributes(lead_table: pd.DataFrame, leads: NewLeads, rows: np.ndarray,
                     world: AccountWorld | None) -> dict[str, Attribute]:
    """What routing rules may test about the work from lead rows ``rows``."""
    attributes = {
        "channel": Attribute(lead_table["channel"].cat.codes.to_numpy()[rows],
                             tuple(lead_table["channel"].cat.categories)),
        "segment": Attribute(lead_table["segment"].cat.codes.to_numpy()[rows],
                             leads.segment_names),
    }
    if world is not None:
        accounts = world.of_leads(lead_table["lead_id"].to_numpy(dtype=np.int64)[rows])
        attributes["region"] = world.attribute(accounts, "region")
        attributes["industry"] = world.attribute(accounts, "industry")
    return attributes


def _territorial(world: AccountWorld | None, team: str, accounts: np.ndarray
                 ) -> Territorial | None:
    """What an AE team's opportunities (of ``accounts``) need to know of its territories."""
    if world is None or world.territories is None or team not in world.territories.team_names:
        return None
    land = world.territories
    code = land.team_names.index(team)
    known = accounts >= 0
    safe = np.clip(accounts, 0, None)
    ours = known & (land.team[safe] == code)
    return Territorial(
        territory=np.where(ours, land.territory[safe], -1).astype(np.int64),
        split_to=np.where(ours, world.split_to[safe], -1).astype(np.int64),
        fit=np.where(ours, world.fit[safe], 1.0),
        count=int(land.territory_counts[code]),
        on_leaving=world.on_leaving[team],
    )


def _won_deals(sales: list[_SalesResult]) -> WonDeals:
    """Every AE team's won deals, in the order of all opportunities."""
    parts = []
    for index, result in enumerate(sales):
        opps = result.opportunities
        won = np.flatnonzero(opps.status == "won")
        parts.append((result.position[won], opps.closed_at[won], opps.amount[won],
                      opps.lead_row[won], np.full(len(won), index, dtype=np.int64)))
    columns = [np.concatenate(column) for column in zip(*parts, strict=True)]
    order = np.argsort(columns[0], kind="stable")
    return WonDeals(*(column[order] for column in columns))


@dataclass(frozen=True)
class _ServedCustomers:
    name: str
    customers: Customers  # its ``opportunity`` column indexes the won deals


def _customer_success(scenario: Scenario, rosters: dict[str, Roster], streams: RandomStreams,
                      leads: NewLeads, lead_table: pd.DataFrame, won: WonDeals,
                      ae_names: tuple[str, ...], world: AccountWorld | None,
                      begin: Start | None = None) -> list[_ServedCustomers]:
    """Won deals routed to CS teams; each team serves its customers."""
    teams = scenario.teams_of("cs")
    names = list(teams)
    rows = won.lead_row
    attributes = _work_attributes(lead_table, leads, rows, world)
    attributes["source"] = Attribute(won.source_team, ae_names)
    taken = route(scenario.routing.customers, names, len(won), attributes,
                  score=lead_table["score"].to_numpy(dtype=float)[rows])
    lead_ids = lead_table["key"].to_numpy(dtype=np.int64)
    served = []
    for index, (name, team) in enumerate(teams.items()):
        assert isinstance(team, CS)
        deals = np.flatnonzero(taken == index)
        customers = serve_customers(scenario, team, name, rosters[name], streams,
                                    deals, won.closed_at[deals], won.amount[deals],
                                    lead_ids[won.lead_row[deals]], len(leads),
                                    begin.customers.get(name) if begin is not None else None)
        served.append(_ServedCustomers(name, customers))
    return served


# ----------------------------------------------------------------------------- table builders


def _looked_up(values: pd.Series, keys: pd.Series) -> pd.Series:
    """``values`` at ``keys`` (missing: NaT/NaN), keeping their dtype even when either
    is empty (``Series.map`` would not)."""
    return pd.Series(values.reindex(keys.to_numpy()).to_numpy(), index=keys.index)


def _account_tables(world: AccountWorld, tables: dict[str, pd.DataFrame],
                    sales: list[_SalesResult], rosters: dict[str, Roster], start: dt.date
                    ) -> dict[str, pd.DataFrame]:
    """The account columns of the work tables, and the accounts and territories tables.

    An opportunity is an ``expansion`` when its account already had a won deal closed
    before the opportunity was created; ``customer_since`` is an account's first won
    deal.
    """
    leads = tables["leads"].copy()
    leads["account_id"] = world.account_ids(world.of_leads(leads["lead_id"].to_numpy()))
    opps = tables["opportunities"].copy()
    opp_accounts = world.of_leads(opps["lead_id"].to_numpy())
    opps["account_id"] = world.account_ids(opp_accounts)
    won = (opps["status"] == "won").to_numpy()
    first_won = (opps.loc[won].groupby("account_id")["closed_at"].min()
                 if won.any() else pd.Series(dtype="datetime64[ns]"))
    since = _looked_up(first_won, opps["account_id"])
    expansion = (opps["account_id"] >= 0) & since.notna() & (since < opps["created_at"])
    opps["type"] = pd.Categorical(np.where(expansion, "expansion", "new"),
                                  categories=["new", "expansion"])
    subs = tables["subscriptions"].copy()
    subs["account_id"] = subs["opportunity_id"].map(
        opps.set_index("opportunity_id")["account_id"]).fillna(-1).astype(np.int64)

    accounts = world.book.to_frame()
    accounts["employees"] = accounts["employees"].astype(float)
    land = world.territories
    if land is not None:
        owner = land.owner_frame()
        accounts["team"] = owner["team"].to_numpy()
        accounts["territory_id"] = np.where(owner["territory_id"] > 0, owner["territory_id"], -1)
    else:
        accounts["team"] = pd.Categorical([None] * len(accounts), categories=[])
        accounts["territory_id"] = -1
    accounts["customer_since"] = _looked_up(first_won, accounts["account_id"])

    reps = tables["reps"].copy()
    territories = _territory_table(world, sales, rosters, start, reps)
    return {"leads": leads, "opportunities": opps, "subscriptions": subs,
            "accounts": accounts, "territories": territories, "reps": reps}


def _territory_table(world: AccountWorld, sales: list[_SalesResult],
                     rosters: dict[str, Roster], start: dt.date, reps: pd.DataFrame
                     ) -> pd.DataFrame:
    """One row per holding period of each territory; sets ``reps.territory_id`` to the
    first territory each rep held."""
    land = world.territories
    rows: list[tuple[int, str, int, float, float, int, float, str]] = []
    if land is not None:
        workload = land.territory_workload()
        potential = land.territory_potential()
        for result in sales:
            if result.name not in land.team_names:
                continue
            first = int(land.offsets[land.team_names.index(result.name)])
            ids = rosters[result.name].rep_ids
            for local, rep, since, until, status in result.team.territory_periods:
                territory = first + local
                rows.append((territory + 1, result.name, int(ids[rep]) if rep >= 0 else -1,
                             max(since, 0.0), until, int(workload[territory]),
                             float(potential[territory]), status))
    frame = pd.DataFrame(rows, columns=["territory_id", "team", "rep_id", "from_at", "to_at",
                                        "accounts", "potential", "status"])
    frame["to_at"] = frame["to_at"].replace(np.inf, np.nan)
    frame["status"] = pd.Categorical(frame["status"],
                                     categories=["assigned", "held", "house", "split"])
    held = frame[frame["rep_id"] >= 0].groupby("rep_id")["territory_id"].first()
    reps["territory_id"] = reps["rep_id"].map(held).fillna(-1).astype(np.int64)
    return _timestamps(frame, start)



def to_datetime(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Calendar days from ``start`` as ``datetime64[ns]``; NaN and inf become NaT."""
    return timestamps(start, days)


def _timestamps(table: pd.DataFrame, start: dt.date) -> pd.DataFrame:
    for column in table.columns:
        if column.endswith("_at") or column in ("meeting_scheduled_for", "at", "date"):
            table[column] = to_datetime(start, table[column].to_numpy(dtype=float))
    return table


def _nullable_bool(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """1.0 / 0.0 as True / False, NaN as missing."""
    result: pd.api.extensions.ExtensionArray = pd.array(values == 1.0, dtype="boolean")
    result[np.isnan(values)] = pd.NA
    return result


def _coded(codes: list[int] | np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    result: pd.Categorical = pd.Categorical.from_codes(  # type: ignore[call-overload]
        np.asarray(codes, dtype=np.int64), categories=list(categories))
    return result


def _lead_table(book: LeadBook, leads: NewLeads, sdr_names: tuple[str, ...]) -> pd.DataFrame:
    new_row = book.lead_id - 1  # lead ids number the new leads; a recycled row keeps its id
    return pd.DataFrame({
        "lead_id": book.lead_id,
        "cycle": book.cycle,
        "channel": _coded(book.channel, leads.channel_names),
        "segment": _coded(book.segment, leads.segment_names),
        "score": book.score,
        "attribute_score": leads.attribute_score[new_row],
        "behaviour_score": leads.behaviour_score[new_row],
        "cost": book.cost,
        "created_at": book.created_at,
        "sdr_id": book.sdr_id,
        "first_attempt_at": book.first_attempt_at,
        "attempts": book.attempts,
        "contacted_at": book.contacted_at,
        "meeting_set_at": book.meeting_set_at,
        "meeting_scheduled_for": book.meeting_scheduled_for,
        "reschedules": book.reschedules,
        "meeting_held_at": book.meeting_held_at,
        "valid": _nullable_bool(book.valid),
        "status": _coded(book.status, LEAD_STATUSES),
        "reason": _coded(book.reason, LEAD_REASONS),
        "ended_at": book.ended_at,
        "team": _coded(book.team, sdr_names),
        "account_id": np.full(len(book), -1, dtype=np.int64),
    })


def _opportunity_tables(sales: list[_SalesResult], leads: pd.DataFrame,
                        stage_names: tuple[str, ...], start: dt.date
                        ) -> dict[str, pd.DataFrame]:
    """Opportunities of every AE team, numbered in the order their meetings were held.

    Columns are built from each team's arrays and codes, stacked, and put in order of
    opportunity (then stage) once, already in their record types."""
    parts = [_team_opportunities(index, result, stage_names) for index, result in
             enumerate(sales)]
    opps = {name: np.concatenate([part[0][name] for part in parts]) for name in parts[0][0]}
    stages = {name: np.concatenate([part[1][name] for part in parts]) for name in parts[0][1]}
    order = np.argsort(opps["opportunity_id"], kind="stable")
    opps = {name: column[order] for name, column in opps.items()}
    rows = opps["lead_row"]
    team_names = [result.name for result in sales]
    table = pd.DataFrame({
        "opportunity_id": opps["opportunity_id"],
        "lead_id": leads["lead_id"].to_numpy(dtype=np.int64)[rows],
        "channel": categories_found(leads["channel"].cat.codes.to_numpy()[rows],
                                    tuple(leads["channel"].cat.categories)),
        "segment": categories_found(leads["segment"].cat.codes.to_numpy()[rows],
                                    tuple(leads["segment"].cat.categories)),
        "ae_id": opps["ae_id"],
        "created_at": timestamps(start, opps["created_at"]),
        "assigned_at": timestamps(start, opps["assigned_at"]),
        "stage": coded(opps["stage"], stage_names),
        "status": coded(opps["status"], OPPORTUNITY_STATUSES),
        "closed_at": timestamps(start, opps["closed_at"]),
        "amount": opps["amount"],
        "team": coded(opps["team"], team_names),
        "account_id": np.full(len(rows), -1, dtype=np.int64),
        "type": coded(np.zeros(len(rows), dtype=np.int64), ("new", "expansion")),
        "discount": opps["discount"],
    })
    order = np.lexsort((stages["stage_index"], stages["opportunity_id"]))  # stable
    stage_table = pd.DataFrame({
        "opportunity_id": stages["opportunity_id"][order],
        "stage": coded(stages["stage"][order], stage_names),
        "stage_index": stages["stage_index"][order],
        "entered_at": timestamps(start, stages["entered_at"][order]),
        "exited_at": timestamps(start, stages["exited_at"][order]),
        "outcome": coded(stages["outcome"][order], _STAGE_OUTCOMES),
    })
    return {"opportunities": table, "opportunity_stages": stage_table}


_STAGE_OUTCOMES = ("advanced", "won", "lost", "open")


def _team_opportunities(team: int, result: _SalesResult, all_stages: tuple[str, ...]
                        ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """One AE team's opportunity columns and stage columns, categories as codes (stages
    as codes into ``all_stages``)."""
    opps = result.opportunities
    ids = result.position.astype(np.int64) + 1
    n = len(ids)
    stage_code = np.array([all_stages.index(name) for name in result.team.stage_names],
                          dtype=np.int64)
    last_stage = len(stage_code) - 1
    status = codes_of(opps.status, OPPORTUNITY_STATUSES)
    columns = {
        "opportunity_id": ids,
        "lead_row": np.asarray(opps.lead_row, dtype=np.int64),
        "ae_id": np.asarray(opps.ae_id, dtype=np.int64),
        "created_at": np.asarray(opps.created_at, dtype=float),
        "assigned_at": np.asarray(opps.assigned_at, dtype=float),
        "stage": np.where(opps.stage_index >= 0,
                          stage_code[np.clip(opps.stage_index, 0, last_stage)], -1),
        "status": status,
        "closed_at": np.asarray(opps.closed_at, dtype=float),
        "amount": np.asarray(opps.amount, dtype=float),
        "team": np.full(n, team, dtype=np.int64),
        "discount": (np.asarray(opps.discount, dtype=float) if opps.discount is not None
                     else np.zeros(n)),
    }
    entered = opps.stage_entered
    exited = opps.stage_exited
    row, stage = np.nonzero(~np.isnan(entered))
    last = opps.stage_index[row] == stage
    # a stage left is "advanced", or the opportunity's status if it was the last one
    # entered; a stage not left is "open"
    as_outcome = np.array([_STAGE_OUTCOMES.index(name) for name in OPPORTUNITY_STATUSES] + [-1],
                          dtype=np.int64)  # status code (-1: unknown) -> outcome code
    advanced, still_open = _STAGE_OUTCOMES.index("advanced"), _STAGE_OUTCOMES.index("open")
    outcome = np.where(~np.isnan(exited[row, stage]),
                       np.where(last, as_outcome[status[row]], advanced), still_open)
    stage_columns = {
        "opportunity_id": ids[row],
        "stage": stage_code[stage],
        "stage_index": stage.astype(np.int64),
        "entered_at": entered[row, stage].astype(float),
        "exited_at": exited[row, stage].astype(float),
        "outcome": outcome.astype(np.int64),
    }
    return columns, stage_columns


def _subscription_tables(served: list[_ServedCustomers], sales: list[_SalesResult],
                         won: WonDeals, leads: pd.DataFrame, start: dt.date,
                         begin: Start | None = None) -> dict[str, pd.DataFrame]:
    """Customers of every CS team, numbered in the order they signed (ties: in the
    order of their opportunities), with their ARR events."""
    ae_id = np.full(sum(len(r.opportunities.ae_id) for r in sales), -1, dtype=np.int64)
    for result in sales:
        ae_id[result.position] = result.opportunities.ae_id
    lead_segment = leads["segment"].cat.codes.to_numpy(dtype=np.int64)
    lead_channel = leads["channel"].cat.codes.to_numpy(dtype=np.int64)
    parts: list[dict[str, np.ndarray]] = []
    events: list[dict[str, np.ndarray]] = []
    for index, part in enumerate(served):
        customers = part.customers
        n = len(customers.start_at)
        deal = np.asarray(customers.opportunity, dtype=np.int64)  # index into won deals
        existing = customers.existing  # the first ones came with the start state
        opportunity = won.opportunity[deal[existing:]]
        lead_rows = won.lead_row[deal[existing:]]
        if existing:
            assert begin is not None
            book_segment = np.asarray(begin.customers[part.name].segment, dtype=np.int64)
        else:
            book_segment = np.zeros(0, dtype=np.int64)
        parts.append({
            "opportunity_id": np.concatenate([np.full(existing, -1), opportunity + 1]),
            "segment": np.concatenate([book_segment, lead_segment[lead_rows]]),
            "channel": np.concatenate([np.full(existing, -1), lead_channel[lead_rows]]),
            "ae_id": np.concatenate([np.full(existing, -1), ae_id[opportunity]]),
            "csm_id": np.asarray(customers.csm_id, dtype=np.int64),
            "start_at": np.asarray(customers.start_at, dtype=float),
            "initial_arr": np.asarray(customers.initial_arr, dtype=float),
            "onboarded_at": np.asarray(customers.onboarded_at, dtype=float),
            "onboarded": np.asarray(customers.onboarded, dtype=bool),
            "renewals": np.asarray(customers.renewals, dtype=np.int64),
            "churned_at": np.asarray(customers.churned_at, dtype=float),
            "arr": np.asarray(customers.arr, dtype=float),
            "team": np.full(n, index, dtype=np.int64),
        })
        count = len(customers.event_at)
        events.append({
            "customer": np.asarray(customers.event_customer, dtype=np.int64),
            "team": np.full(count, index, dtype=np.int64),
            "at": np.asarray(customers.event_at, dtype=float),
            "kind": codes_of(np.asarray(customers.event_kind, dtype=str),
                             SUBSCRIPTION_EVENT_KINDS),
            "arr_change": np.asarray(customers.event_change, dtype=float),
        })
    subs = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    order = np.lexsort((subs["opportunity_id"], subs["start_at"]))  # stable
    subs = {name: column[order] for name, column in subs.items()}
    subscription_id = np.empty(len(order), dtype=np.int64)  # by position before sorting
    subscription_id[order] = np.arange(1, len(order) + 1, dtype=np.int64)
    churned = subs["churned_at"]
    table = pd.DataFrame({
        "subscription_id": np.arange(1, len(order) + 1, dtype=np.int64),
        "opportunity_id": subs["opportunity_id"],
        "segment": categories_found(subs["segment"], tuple(leads["segment"].cat.categories)),
        "channel": categories_found(subs["channel"], tuple(leads["channel"].cat.categories)),
        "ae_id": subs["ae_id"],
        "csm_id": subs["csm_id"],
        "start_at": timestamps(start, subs["start_at"]),
        "initial_arr": subs["initial_arr"],
        "onboarded_at": timestamps(start, subs["onboarded_at"]),
        "onboarded": pd.array(subs["onboarded"], dtype="boolean"),
        "renewals": subs["renewals"],
        "churned_at": timestamps(start, churned),
        "status": coded((~np.isnan(churned)).astype(np.int64), ("active", "churned")),
        "arr": subs["arr"],
        "team": coded(subs["team"], [part.name for part in served]),
        "account_id": np.full(len(order), -1, dtype=np.int64),
    })
    kinds = {name: np.concatenate([part[name] for part in events]) for name in events[0]}
    first = np.cumsum([0] + [len(part["team"]) for part in parts])  # each team's first row
    owner = subscription_id[first[kinds["team"]] + kinds["customer"]]
    order = np.argsort(owner, kind="stable")
    event_table = pd.DataFrame({
        "subscription_id": owner[order],
        "at": timestamps(start, kinds["at"][order]),
        "kind": coded(kinds["kind"][order], SUBSCRIPTION_EVENT_KINDS),
        "arr_change": kinds["arr_change"][order],
    })
    return {"subscriptions": table, "subscription_events": event_table}


def _rep_table(rosters: dict[str, Roster], start: dt.date,
               ae_segments: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every team's people, team after team, built from the rosters' arrays."""
    teams = list(rosters.values())

    def stacked(column: str, dtype: Any) -> np.ndarray:
        return np.concatenate([np.asarray(getattr(r, column), dtype=dtype) for r in teams])

    def each(values: list[Any], dtype: Any) -> np.ndarray:
        return np.repeat(np.asarray(values, dtype=dtype), [len(r) for r in teams])

    segment = np.concatenate([np.asarray(ae_segments.get(name, np.full(len(roster), "")),
                                         dtype=object) for name, roster in rosters.items()])
    names, segment_codes = np.unique(segment.astype(str), return_inverse=True)
    return pd.DataFrame({
        "rep_id": stacked("rep_ids", np.int64),
        "role": coded(each([ROLES.index(r.role) if r.role in ROLES else -1 for r in teams],
                           np.int64), ROLES),
        "origin": coded(codes_of(stacked("origin", str), _ORIGINS), _ORIGINS),
        "requisition_at": timestamps(start, stacked("requisition_at", float)),
        "hired_at": timestamps(start, stacked("hired_at", float)),
        "left_at": timestamps(start, stacked("left_at", float)),
        "ramp_months": each([len(r.ramp) for r in teams], np.int64),
        "skill": stacked("skill", float),
        "segment": categories_found(segment_codes.reshape(-1), tuple(names.tolist())),
        "annual_cost": each([r.annual_cost for r in teams], float),
        "team": coded(each(list(range(len(teams))), np.int64), tuple(rosters)),
        "territory_id": np.full(len(segment), -1, dtype=np.int64),
    })


_ORIGINS = ("initial", "plan", "backfill")


def _selling_time_table(sales: list[_SalesResult], rosters: dict[str, Roster],
                        start: dt.date) -> pd.DataFrame:
    """Per AE of a team with the time model, per calendar day employed: selling hours
    available, committed to deals, spent prospecting and on invalid meetings."""
    frames = []
    for result in sales:
        hours = result.team.selling_time
        if hours is None:
            continue
        frames.append(pd.DataFrame({
            "rep_id": rosters[result.name].rep_ids[hours.rep].astype(np.int64),
            "date": hours.day.astype(float),
            "available_hours": hours.available,
            "deal_hours": hours.deals,
            "prospecting_hours": hours.prospecting,
            "meeting_hours": hours.meetings,
        }))
    table = pd.concat(frames, ignore_index=True).sort_values(["rep_id", "date"],
                                                             kind="stable")
    return _timestamps(table.reset_index(drop=True), start)


def _activity_table(desks: list[SdrDesk], book: LeadBook, calendar: WorkCalendar,
                    start: dt.date) -> pd.DataFrame:
    logs = [desk.calls for desk in desks]
    rep = np.concatenate([log.rep_id for log in logs])
    day = np.floor(calendar.to_calendar(np.concatenate([log.start for log in logs]))
                   ).astype(np.int64)
    reached = np.concatenate([log.reached for log in logs]).astype(float)
    busy = np.concatenate([log.busy for log in logs])
    held = book.meeting_held_at
    owner = book.sdr_id
    mask = ~np.isnan(held)
    rep = np.concatenate([rep, owner[mask]])
    day = np.concatenate([day, np.floor(held[mask]).astype(np.int64)])
    calls = len(reached)
    # one row per (rep, day): sum the calls' and the meetings' counts per pair
    span = int(day.max()) + 1 if len(day) else 1
    pairs, slot = np.unique(rep * span + day, return_inverse=True)
    is_call = np.arange(len(rep)) < calls
    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(slot, weights=weights, minlength=len(pairs))
    daily = pd.DataFrame({
        "rep_id": (pairs // span).astype(np.int64),
        "date": (pairs % span).astype(float),
        "attempts": total(is_call.astype(float)).astype(np.int64),
        "contacts": total(np.concatenate([reached, np.zeros(len(rep) - calls)])
                          ).astype(np.int64),
        "meetings_held": total((~is_call).astype(float)).astype(np.int64),
        "busy_hours": total(np.concatenate([busy * 24, np.zeros(len(rep) - calls)])),
    })
    return _timestamps(daily, start)
