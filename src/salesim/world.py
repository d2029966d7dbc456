"""One replication: build the world from a scenario, run it, return CRM-shaped records.

The flow is one-way, phase by phase, because nothing downstream feeds back
upstream within a replication:

1. workforce: each team's roster over the horizon (:mod:`salesim.model.workforce`);
2. marketing: every new lead (:mod:`salesim.model.marketing`);
3. the SDR desk and the nurture pool, a simpy model on the business clock
   (:mod:`salesim.model.sdr`, :mod:`salesim.model.recycle`);
4. field sales: valid held meetings become opportunities, a simpy model on the
   calendar clock (:mod:`salesim.model.sales`);
5. customer success: won deals become customers (:mod:`salesim.model.success`).

>>> import salesim
>>> records = salesim.simulate(salesim.load_scenario("scenarios/minimal.yaml"), seed=1)
>>> int((records.leads.cycle == 0).sum()) > 0
True
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np
import pandas as pd

from salesim.engine.calendar import WorkCalendar
from salesim.engine.random_streams import RandomStreams
from salesim.model.marketing import NewLeads, generate_leads
from salesim.model.recycle import NurturePool
from salesim.model.sales import Opportunities, SalesTeam
from salesim.model.sdr import LeadBook, SdrDesk
from salesim.model.success import Customers, serve_customers
from salesim.model.workforce import Roster, build_roster
from salesim.records import (
    LEAD_REASONS,
    LEAD_STATUSES,
    OPPORTUNITY_STATUSES,
    ROLES,
    SUBSCRIPTION_EVENT_KINDS,
    Records,
    conform,
)
from salesim.scenario.schema import Scenario

_NS_PER_DAY = 86_400 * 10**9


def simulate(scenario: Scenario, seed: int = 0) -> Records:
    """Run one replication of ``scenario`` with root ``seed``.

    Same scenario and seed give identical records, whatever machine or executor runs it.
    """
    began = time.perf_counter()
    streams = RandomStreams(seed)
    calendar = WorkCalendar(scenario.calendar, scenario.meta.start, scenario.meta.horizon_days)

    rosters: dict[str, Roster] = {}
    next_id = 1
    for role, team in scenario.organisation.items():
        skill = scenario.ae.skill.sampler() if role == "ae" else None
        rosters[role] = build_roster(role, team, scenario, streams.generator(f"workforce/{role}"),
                                     next_id, skill)
        next_id += len(rosters[role])

    leads = generate_leads(scenario, streams)
    book = LeadBook()
    pool = NurturePool(scenario, streams, book)
    desk = SdrDesk(scenario, calendar, rosters["sdr"], streams, book, pool.nurture)
    pool.desk = desk

    book.add_many(leads.channel, leads.segment, leads.score, leads.cost, leads.created_at,
                  desk.attempts_needed(len(leads)))
    not_ready = np.flatnonzero(leads.not_ready)
    pool.nurture_new(not_ready, leads.created_at[not_ready], leads.channel, leads.segment,
                     leads.score)
    ready = np.flatnonzero(~leads.not_ready)
    desk.schedule_arrivals(ready, leads.created_at[ready])
    desk.run()
    desk.finalise()

    lead_table = _lead_table(book, leads, scenario)
    converted = lead_table.index[lead_table["status"] == "converted"].to_numpy()
    sales = SalesTeam(scenario, rosters["ae"], streams, leads.segment_names)
    segment_codes = np.asarray(book.segment, dtype=np.int64)
    held = np.asarray(book.meeting_held_at, dtype=float)
    # AE and CS draws are keyed by lead id (1..number of new leads): common random numbers
    lead_ids = lead_table["lead_id"].to_numpy(dtype=np.int64)
    opportunities = sales.run(converted, segment_codes[converted], held[converted],
                              lead_ids[converted], len(leads))

    won = np.flatnonzero(opportunities.status == "won")
    customers = serve_customers(scenario, rosters["cs"], streams, won,
                                opportunities.closed_at[won], opportunities.amount[won],
                                lead_ids[opportunities.lead_row[won]], len(leads))

    start = scenario.meta.start
    tables = {
        "leads": _timestamps(lead_table, start),
        **_opportunity_tables(opportunities, book, lead_table, sales, start),
        **_subscription_tables(customers, opportunities, lead_table, start),
        "reps": _rep_table(rosters, start, sales.rep_segment_names()),
        "activities": _activity_table(desk, book, calendar, start),
    }
    return Records(
        **{name: conform(name, table) for name, table in tables.items()},
        start=start,
        end=scenario.meta.end,
        seed=seed,
        scenario_name=scenario.meta.name,
        info={"seconds": time.perf_counter() - began, "reengaged": float(pool.reengaged)},
    )


# ----------------------------------------------------------------------------- table builders


def to_datetime(start: dt.date, days: np.ndarray) -> np.ndarray:
    """Calendar days from ``start`` as ``datetime64[ns]``; NaN and inf become NaT."""
    values = np.asarray(days, dtype=float)
    finite = np.isfinite(values)
    nanoseconds = np.where(finite, np.round(values * _NS_PER_DAY), 0).astype(np.int64)
    stamps = np.datetime64(start, "ns") + nanoseconds.astype("timedelta64[ns]")
    return np.where(finite, stamps, np.datetime64("NaT"))


def _timestamps(table: pd.DataFrame, start: dt.date) -> pd.DataFrame:
    for column in table.columns:
        if column.endswith("_at") or column in ("meeting_scheduled_for", "at", "date"):
            table[column] = to_datetime(start, table[column].to_numpy(dtype=float))
    return table


def _categorical(values: Any, categories: tuple[str, ...]) -> pd.Categorical:
    result: pd.Categorical = pd.Categorical(np.asarray(values, dtype=object),
                                            categories=list(categories))
    return result


def _nullable_bool(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """1.0 / 0.0 as True / False, NaN as missing."""
    result: pd.api.extensions.ExtensionArray = pd.array(values == 1.0, dtype="boolean")
    result[np.isnan(values)] = pd.NA
    return result


def _coded_text(values: list[str], categories: tuple[str, ...]) -> pd.Categorical:
    """Many short texts from a known set, as a categorical built from integer codes."""
    code = {name: index for index, name in enumerate(categories)}
    codes = np.fromiter(map(code.__getitem__, values), dtype=np.int64, count=len(values))
    return _coded(codes, categories)


def _coded(codes: list[int] | np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    result: pd.Categorical = pd.Categorical.from_codes(  # type: ignore[call-overload]
        np.asarray(codes, dtype=np.int64), categories=list(categories))
    return result


def _lead_table(book: LeadBook, leads: NewLeads, scenario: Scenario) -> pd.DataFrame:
    valid = np.asarray(book.valid, dtype=float)
    lead_id = np.asarray(book.lead_id, dtype=np.int64)
    new_row = lead_id - 1  # lead ids number the new leads; a recycled row keeps its id
    return pd.DataFrame({
        "lead_id": lead_id,
        "cycle": np.asarray(book.cycle, dtype=np.int64),
        "channel": _coded(book.channel, leads.channel_names),
        "segment": _coded(book.segment, leads.segment_names),
        "score": np.asarray(book.score, dtype=float),
        "attribute_score": leads.attribute_score[new_row],
        "behaviour_score": leads.behaviour_score[new_row],
        "cost": np.asarray(book.cost, dtype=float),
        "created_at": np.asarray(book.created_at, dtype=float),
        "sdr_id": np.asarray(book.sdr_id, dtype=np.int64),
        "first_attempt_at": np.asarray(book.first_attempt_at, dtype=float),
        "attempts": np.asarray(book.attempts, dtype=np.int64),
        "contacted_at": np.asarray(book.contacted_at, dtype=float),
        "meeting_set_at": np.asarray(book.meeting_set_at, dtype=float),
        "meeting_scheduled_for": np.asarray(book.meeting_scheduled_for, dtype=float),
        "reschedules": np.asarray(book.reschedules, dtype=np.int64),
        "meeting_held_at": np.asarray(book.meeting_held_at, dtype=float),
        "valid": _nullable_bool(valid),
        "status": _coded_text(book.status, LEAD_STATUSES),
        "reason": _coded_text(book.reason, LEAD_REASONS),
        "ended_at": np.asarray(book.ended_at, dtype=float),
    })


def _opportunity_tables(opps: Opportunities, book: LeadBook, leads: pd.DataFrame,
                        sales: SalesTeam, start: dt.date) -> dict[str, pd.DataFrame]:
    n = len(opps.created_at)
    ids = np.arange(1, n + 1, dtype=np.int64)
    stages = sales.stage_names
    stage_names = np.asarray(stages, dtype=object)
    table = pd.DataFrame({
        "opportunity_id": ids,
        "lead_id": leads["lead_id"].to_numpy()[opps.lead_row],
        "channel": leads["channel"].to_numpy()[opps.lead_row],
        "segment": leads["segment"].to_numpy()[opps.lead_row],
        "ae_id": opps.ae_id,
        "created_at": opps.created_at,
        "assigned_at": opps.assigned_at,
        "stage": _categorical(np.where(opps.stage_index >= 0,
                                       stage_names[np.clip(opps.stage_index, 0, None)], None),
                              stages),
        "status": _categorical(opps.status, OPPORTUNITY_STATUSES),
        "closed_at": opps.closed_at,
        "amount": opps.amount,
    })
    entered = opps.stage_entered
    exited = opps.stage_exited
    row, stage = np.nonzero(~np.isnan(entered))
    last = opps.stage_index[row] == stage
    outcome = np.where(~np.isnan(exited[row, stage]),
                       np.where(last, opps.status[row], "advanced"), "open")
    outcome = np.where((outcome == "advanced") & ~last, "advanced", outcome)
    stage_table = pd.DataFrame({
        "opportunity_id": ids[row],
        "stage": _categorical(stage_names[stage], stages),
        "stage_index": stage.astype(np.int64),
        "entered_at": entered[row, stage],
        "exited_at": exited[row, stage],
        "outcome": pd.Categorical(outcome, categories=["advanced", "won", "lost", "open"]),
    })
    return {"opportunities": _timestamps(table, start),
            "opportunity_stages": _timestamps(stage_table, start)}


def _subscription_tables(customers: Customers, opps: Opportunities, leads: pd.DataFrame,
                         start: dt.date) -> dict[str, pd.DataFrame]:
    n = len(customers.start_at)
    ids = np.arange(1, n + 1, dtype=np.int64)
    opportunity = np.asarray(customers.opportunity, dtype=np.int64)
    lead_rows = opps.lead_row[opportunity] if n else np.empty(0, dtype=np.int64)
    churned = np.asarray(customers.churned_at, dtype=float)
    table = pd.DataFrame({
        "subscription_id": ids,
        "opportunity_id": opportunity + 1,
        "segment": leads["segment"].to_numpy()[lead_rows],
        "channel": leads["channel"].to_numpy()[lead_rows],
        "ae_id": opps.ae_id[opportunity] if n else np.empty(0, dtype=np.int64),
        "csm_id": np.asarray(customers.csm_id, dtype=np.int64),
        "start_at": np.asarray(customers.start_at, dtype=float),
        "initial_arr": np.asarray(customers.initial_arr, dtype=float),
        "onboarded_at": np.asarray(customers.onboarded_at, dtype=float),
        "onboarded": pd.array(customers.onboarded, dtype="boolean"),
        "renewals": np.asarray(customers.renewals, dtype=np.int64),
        "churned_at": churned,
        "status": _categorical(np.where(np.isnan(churned), "active", "churned"),
                               ("active", "churned")),
        "arr": np.asarray(customers.arr, dtype=float),
    })
    events = pd.DataFrame({
        "subscription_id": np.asarray(customers.event_customer, dtype=np.int64) + 1,
        "at": np.asarray(customers.event_at, dtype=float),
        "kind": _categorical(customers.event_kind, SUBSCRIPTION_EVENT_KINDS),
        "arr_change": np.asarray(customers.event_change, dtype=float),
    })
    return {"subscriptions": _timestamps(table, start),
            "subscription_events": _timestamps(events, start)}


def _rep_table(rosters: dict[str, Roster], start: dt.date, ae_segments: np.ndarray
               ) -> pd.DataFrame:
    frames = []
    for role, roster in rosters.items():
        segment = ae_segments if role == "ae" else np.full(len(roster), "", dtype=object)
        frames.append(pd.DataFrame({
            "rep_id": roster.rep_ids,
            "role": role,
            "origin": roster.origin,
            "requisition_at": roster.requisition_at,
            "hired_at": roster.hired_at,
            "left_at": roster.left_at,
            "ramp_months": np.full(len(roster), len(roster.ramp), dtype=np.int64),
            "skill": roster.skill,
            "segment": segment,
            "annual_cost": np.full(len(roster), roster.annual_cost),
        }))
    table = pd.concat(frames, ignore_index=True)
    table["role"] = _categorical(table["role"], ROLES)
    table["origin"] = _categorical(table["origin"], ("initial", "plan", "backfill"))
    return _timestamps(table, start)


def _activity_table(desk: SdrDesk, book: LeadBook, calendar: WorkCalendar, start: dt.date
                    ) -> pd.DataFrame:
    log = np.array(desk.log, dtype=float).reshape(-1, 4)
    rep = log[:, 0].astype(np.int64)
    day = np.floor(calendar.to_calendar(log[:, 1])).astype(np.int64)
    held = np.asarray(book.meeting_held_at, dtype=float)
    owner = np.asarray(book.sdr_id, dtype=np.int64)
    mask = ~np.isnan(held)
    rep = np.concatenate([rep, owner[mask]])
    day = np.concatenate([day, np.floor(held[mask]).astype(np.int64)])
    calls = len(log)
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
        "contacts": total(np.concatenate([log[:, 2], np.zeros(len(rep) - calls)])
                          ).astype(np.int64),
        "meetings_held": total((~is_call).astype(float)).astype(np.int64),
        "busy_hours": total(np.concatenate([log[:, 3] * 24, np.zeros(len(rep) - calls)])),
    })
    return _timestamps(daily, start)
