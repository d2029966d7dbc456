"""The event queue fires timeouts and processes in simpy's order, at simpy's times."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from salesim.engine.event_queue import EventQueue

# delays on a coarse grid, so that many entries fall due at the same time
DELAYS = st.sampled_from([0.0, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0, 0.7])
# a plan: timeouts set up front (each may set one more when it fires) and processes
# (the delays each waits in turn)
PLANS = st.tuples(
    st.lists(st.tuples(DELAYS, st.one_of(st.none(), DELAYS)), max_size=12),
    st.lists(st.lists(DELAYS, max_size=6), max_size=4),
    st.sampled_from([2.0, 3.0, 5.5, 100.0]),
)

Plan = tuple[list[tuple[float, float | None]], list[list[float]], float]


def on_simpy(plan: Plan) -> list[tuple[str, float]]:
    timeouts, processes, until = plan
    env = simpy.Environment()
    fired: list[tuple[str, float]] = []

    def callback(label: str, then: float | None) -> Callable[[simpy.Event], None]:
        def fire(_event: simpy.Event) -> None:
            fired.append((label, env.now))
            if then is not None:
                env.timeout(then).callbacks.append(callback(label + "+", None))
        return fire

    def process(label: str, delays: list[float]) -> Generator[simpy.Event, Any, None]:
        fired.append((label, env.now))
        for step, delay in enumerate(delays):
            yield env.timeout(delay)
            fired.append((f"{label}.{step}", env.now))

    for k, (delay, then) in enumerate(timeouts[:len(timeouts) // 2]):
        env.timeout(delay).callbacks.append(callback(f"t{k}", then))
    for k, delays in enumerate(processes):
        env.process(process(f"p{k}", delays))
    for k, (delay, then) in enumerate(timeouts):
        if k >= len(timeouts) // 2:
            env.timeout(delay).callbacks.append(callback(f"t{k}", then))
    env.run(until=until)
    return fired


def on_queue(plan: Plan) -> list[tuple[str, float]]:
    timeouts, processes, until = plan
    clock = EventQueue()
    fired: list[tuple[str, float]] = []

    def fire(entry: tuple[str, float | None]) -> None:
        label, then = entry
        fired.append((label, clock.now))
        if then is not None:
            clock.call_later(then, fire, (label + "+", None))

    def process(label: str, delays: list[float]) -> Generator[float, None, None]:
        fired.append((label, clock.now))
        for step, delay in enumerate(delays):
            yield delay
            fired.append((f"{label}.{step}", clock.now))

    for k, (delay, then) in enumerate(timeouts[:len(timeouts) // 2]):
        clock.call_later(delay, fire, (f"t{k}", then))
    for k, delays in enumerate(processes):
        clock.process(process(f"p{k}", delays))
    for k, (delay, then) in enumerate(timeouts):
        if k >= len(timeouts) // 2:
            clock.call_later(delay, fire, (f"t{k}", then))
    clock.run(until=until)
    return fired


@settings(max_examples=100, deadline=None)
@given(PLANS)
def test_fires_in_simpys_order_at_simpys_times(plan: Plan) -> None:
    assert on_queue(plan) == on_simpy(plan)


def test_ties_go_to_processes_starting_then_to_scheduling_order() -> None:
    """The process starts first at time 0 (before t0, set up earlier); at time 1 the
    entries go in the order they were set: t1 and t2 at set-up, the process's first
    wait when it started, t1's follow-up when t1 fired, the process's second wait
    (of 0) when its first ended."""
    plan: Plan = ([(0.0, None), (1.0, 0.0), (1.0, None)], [[1.0, 0.0]], 10.0)
    assert on_queue(plan) == [("p0", 0.0), ("t0", 0.0), ("t1", 1.0), ("t2", 1.0),
                              ("p0.0", 1.0), ("t1+", 1.0), ("p0.1", 1.0)]


def test_stops_before_what_is_due_at_the_end() -> None:
    clock = EventQueue()
    fired: list[float] = []
    clock.call_later(2.0, fired.append, 2.0)
    clock.call_later(1.0, fired.append, 1.0)
    clock.run(until=2.0)
    assert fired == [1.0]
    assert clock.now == 2.0


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="negative delay"):
        EventQueue().call_later(-1.0, print)
