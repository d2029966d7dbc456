"""The compiled SDR desk against its Python reference: identical records.

Every scenario here runs twice, ``engine="compiled"`` and ``engine="python"``, and
every record table must be equal value for value (and so must the count of leads
re-engaged). The scenarios are small and each exercises one rule of the desk: queue
disciplines, stale leads on both clocks, ramping and leaving reps, several SDR
teams, nurture cycles up to ``max_cycles``, contact rates at both ends; a
hypothesis test then draws small desks at random.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesim
from salesim.engine.calendar import WorkCalendar
from salesim.model import sdr_kernel
from salesim.scenario import Scenario, loads_scenario
from validation.test_invariants import scenarios as random_scenarios

from .builders import build

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

WORKING_HOURS = {"calendar": {"always_open": False}}
BUSY_DESK: dict[str, Any] = {
    "channels": {"web": {"leads_per_month": 400}},
    "sdr": {"headcount": 2, "handle_time": {"gamma": {"mean": "25 min", "cv": 0.5}},
            "contact_rate": 0.4, "meeting_rate": 0.6},
    "recycle": {"not_ready_share": 0.3, "unreached_to_nurture": 0.6,
                "disqualified_to_nurture": 0.6, "reengage_rate": 0.5,
                "reengage_after": "20 days", "max_cycles": 2},
    "meta": {"horizon": "4 months"},
}


def assert_same_records(scenario: Scenario, seed: int = 1) -> salesim.Records:
    compiled = salesim.simulate(scenario, seed=seed)
    reference = salesim.simulate(scenario, seed=seed, engine="python")
    for name, table in reference.tables().items():  # exactly: no float tolerance
        pd.testing.assert_frame_equal(compiled.tables()[name], table, check_exact=True,
                                      obj=name)
    assert compiled.info["reengaged"] == reference.info["reengaged"]
    return compiled


def shipped(name: str, months: int) -> Scenario:
    """A shipped scenario cut to its first ``months`` months (hires and channels that
    would start later left out)."""
    data = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    data["meta"]["horizon"] = f"{months} months"
    start = dt.date.fromisoformat(str(data["meta"]["start"]))
    year, month = divmod(start.month - 1 + months, 12)
    end = f"{start.year + year}-{month + 1:02d}"  # the first month left out
    for section in data.values():
        if isinstance(section, dict):
            for key, part in list(section.items()):
                if isinstance(part, dict) and str(part.get("start", "")) >= end:
                    del section[key]
            if isinstance(section.get("hiring"), list):
                section["hiring"] = [h for h in section["hiring"] if str(h["month"]) < end]
    return loads_scenario(yaml.safe_dump(data, allow_unicode=True))


def test_minimal_scenario() -> None:
    scenario = salesim.load_scenario(SCENARIOS / "minimal.yaml")
    records = assert_same_records(scenario)
    assert records.activities["attempts"].sum() > 1000


def test_reference_scenario_over_five_months() -> None:
    records = assert_same_records(shipped("reference", 5), seed=2)
    assert (records.leads["cycle"] > 0).any()  # leads back from the starting nurture pool


@pytest.mark.parametrize("queue", ["fifo", "score_priority", "newest_first"])
def test_queue_disciplines(queue: str) -> None:
    records = assert_same_records(build(BUSY_DESK, WORKING_HOURS, {"sdr": {"queue": queue}}))
    assert records.leads["first_attempt_at"].isna().sum() > 50  # a backlog to order


@pytest.mark.parametrize("stale_after", ["2 business days", "3 days"])
def test_stale_leads(stale_after: str) -> None:
    records = assert_same_records(build(BUSY_DESK, WORKING_HOURS,
                                        {"sdr": {"stale_after": stale_after}}))
    assert (records.leads["reason"] == "stale").sum() > 20


def test_ramping_and_leaving_reps() -> None:
    records = assert_same_records(build(BUSY_DESK, WORKING_HOURS, {
        "sdr": {"headcount": 3, "ramp": [0.0, 0.3, 0.7], "attrition": 0.9,
                "hiring": [{"month": "2027-01", "count": 2}], "time_to_fill": "5 days",
                "backfill": {"enabled": True, "delay": "1 week"}}}))
    reps = records.reps[records.reps["role"] == "sdr"]
    assert reps["left_at"].notna().any()
    ramping = reps.loc[reps["hired_at"] > pd.Timestamp(records.start), "rep_id"]
    calls = records.activities[records.activities["rep_id"].isin(ramping)]
    assert calls["attempts"].sum() > 100  # calls at ramp productivity 0.3 and 0.7


def test_several_sdr_teams() -> None:
    records = assert_same_records(build(BUSY_DESK, {
        "channels": {"web": {"leads_per_month": 300}, "events": {"leads_per_month": 150}},
        "teams": {"outbound": {"kind": "sdr", "headcount": 1, "queue": "newest_first",
                               "contact_rate": 0.5, "handle_time": "20 min"}},
        "routing": {"leads": [{"channel": "events", "to": "outbound"}, {"to": "sdr"}]}}))
    teams = records.leads.groupby("team", observed=True)["cycle"].max()
    assert len(teams) == 2
    assert (teams > 0).all()  # both desks take leads back


def test_nurture_cycles_up_to_max_cycles() -> None:
    records = assert_same_records(build(BUSY_DESK, {
        "recycle": {"unreached_to_nurture": 1.0, "disqualified_to_nurture": 1.0,
                    "reengage_rate": 0.9, "reengage_after": "5 days", "max_cycles": 3}}))
    assert records.leads["cycle"].max() == 3


@pytest.mark.parametrize("contact_rate", [0.0, 1.0])
def test_contact_rate_at_both_ends(contact_rate: float) -> None:
    records = assert_same_records(build(BUSY_DESK, {"sdr": {"contact_rate": contact_rate}}))
    reached = records.leads["contacted_at"].notna().any()
    assert reached == (contact_rate == 1.0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headcount=st.integers(1, 3),
    queue=st.sampled_from(["fifo", "score_priority", "newest_first"]),
    handle_minutes=st.integers(5, 90),
    attempts=st.integers(1, 4),
    cadence=st.sampled_from([["1 business day"], ["4 h", "2 days"], ["30 min"]]),
    contact_rate=st.sampled_from([0.0, 0.2, 0.7, 1.0]),
    stale_after=st.sampled_from([None, "1 business day", "2 days"]),
    ramp=st.sampled_from([[1.0], [0.0, 0.5], [0.4]]),
    reengage_rate=st.sampled_from([0.0, 0.5, 1.0]),
    max_cycles=st.integers(0, 3),
    always_open=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_random_small_desks(headcount: int, queue: str, handle_minutes: int, attempts: int,
                            cadence: list[str], contact_rate: float, stale_after: str | None,
                            ramp: list[float], reengage_rate: float, max_cycles: int,
                            always_open: bool, seed: int) -> None:
    sdr: dict[str, Any] = {
        "headcount": headcount, "queue": queue, "handle_time": f"{handle_minutes} min",
        "attempts": {"max": attempts, "cadence": cadence}, "contact_rate": contact_rate,
        "meeting_rate": 0.7, "ramp": ramp, "attrition": 0.5}
    if stale_after is not None:
        sdr["stale_after"] = stale_after
    assert_same_records(build({
        "meta": {"horizon": "3 months"}, "calendar": {"always_open": always_open},
        "channels": {"web": {"leads_per_month": 150}}, "sdr": sdr,
        "recycle": {"not_ready_share": 0.3, "unreached_to_nurture": 0.7,
                    "disqualified_to_nurture": 0.7, "reengage_rate": reengage_rate,
                    "reengage_after": "10 days", "max_cycles": max_cycles}}), seed=seed)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario=random_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_random_scenarios(scenario: Scenario, seed: int) -> None:
    """Whole random scenarios (those the record invariants are checked on)."""
    assert_same_records(scenario, seed)


def test_a_new_process_loads_the_compiled_desk_from_the_cache() -> None:
    """Worker processes (Monte Carlo runs) load the compiled desk from numba's cache next
    to the module instead of compiling it again."""
    minimal = SCENARIOS / "minimal.yaml"
    salesim.simulate(salesim.load_scenario(minimal), seed=1)  # compiles, or loads, here
    source = str(Path(salesim.__file__).resolve().parents[1])
    worker = subprocess.run(
        [sys.executable, "-c",
         f"import salesim; salesim.simulate(salesim.load_scenario({str(minimal)!r}), seed=1)"],
        env={**os.environ, "NUMBA_DEBUG_CACHE": "1",
             "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])},
        capture_output=True, text=True, check=True, timeout=120)
    loaded = [line for line in worker.stdout.splitlines() if "data loaded" in line]
    assert any("sdr_kernel.run_desk" in line for line in loaded), worker.stdout
    assert "data saved" not in worker.stdout


def test_compiled_clock_conversions_match_the_calendar() -> None:
    scenario = build(WORKING_HOURS)
    calendar = WorkCalendar(scenario.calendar, scenario.meta.start, 90)
    clock = sdr_kernel.Clock(calendar.opens, calendar.closes, calendar.work_before)
    rng = np.random.default_rng(5)
    for t in [*rng.uniform(-2, 120, 2000).tolist(), *calendar.opens[:50].tolist(),
              *calendar.closes[:50].tolist(), 0.0, -1.0]:
        assert sdr_kernel.business_at(clock, t) == calendar.business_at(t)
        assert sdr_kernel.calendar_at(clock, t / 3) == calendar.calendar_at(t / 3)
        assert sdr_kernel.next_working(clock, t) == calendar.next_working(t)


def test_compiled_attempts_needed_matches_the_desk_formula() -> None:
    rules = sdr_kernel.Rules(*([0.0] * len(sdr_kernel.Rules._fields)))._replace(
        contact_rate=0.3, log_miss=math.log1p(-0.3), max_attempts=6)
    for u in np.random.default_rng(2).random(5000).tolist():
        expected = min(math.floor(math.log1p(-u) / math.log1p(-0.3)) + 1, 7)
        assert sdr_kernel.attempts_needed(rules, u) == expected
