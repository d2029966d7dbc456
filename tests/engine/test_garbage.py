from __future__ import annotations

import gc
from pathlib import Path

import pytest

from salesim.engine.garbage import paused_collection
from salesim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_collection_is_paused_inside_and_restored_after_an_error() -> None:
    seen: list[bool] = []

    @paused_collection
    def fails() -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("boom")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        fails()
    assert seen == [False]
    assert gc.isenabled()


def test_a_caller_that_paused_collection_itself_keeps_it_paused() -> None:
    inner = paused_collection(gc.isenabled)
    gc.disable()
    try:
        assert inner() is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_simulate_runs_with_collection_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    import salesim.world as world

    states: list[bool] = []
    original = world.build_start

    def spy(*args: object, **kwargs: object) -> object:
        states.append(gc.isenabled())
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(world, "build_start", spy)
    world.simulate(load_scenario(ROOT / "scenarios" / "minimal.yaml"), seed=1)
    assert states == [False]
    assert gc.isenabled()
