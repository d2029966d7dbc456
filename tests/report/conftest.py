"""A small run shared by the report tests (a second or two)."""

from __future__ import annotations

from pathlib import Path

import pytest

import salesim

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
SMALL = {
    "ae.quota": {"amount": "60k", "period": "year"},
    "ae.annual_cost": "120k",
    "sdr.quota": {"amount": 4, "period": "month"},
    "channels.events": {"leads_per_month": 60, "cost_per_lead": 40},
    "meta.horizon": "24 months",
}


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a small run with quotas, costs and two channels."""
    folder = tmp_path_factory.mktemp("run")
    scenario = salesim.load_scenario(MINIMAL, overrides=SMALL)
    salesim.run(scenario, reps=6, seed=5, workers=1, progress=False).write(folder)
    return folder


@pytest.fixture
def ensemble(small_run: Path) -> salesim.Ensemble:
    return salesim.Ensemble.read(small_run)
