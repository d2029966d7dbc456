"""salesim: simulate and plan B2B sales organisations.

>>> import salesim
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml")
>>> scenario.meta.name
'Minimal'
>>> records = salesim.simulate(scenario, seed=7)           # one replication: CRM-shaped tables
>>> ensemble = salesim.run(scenario, reps=4, seed=7, workers=1, progress=False)
>>> sorted(ensemble.summary().columns)[:2]
['mean', 'p10']
"""

from importlib.metadata import PackageNotFoundError, version

from salesim.experiments import Comparison, Ensemble, Goal, Sensitivity, Sweep, run, seek_goal
from salesim.experiments.compare import compare
from salesim.experiments.quota import QuotaAnswer
from salesim.experiments.quota import find_quota as quota
from salesim.experiments.sensitivity import sensitivity
from salesim.experiments.sweep import sweep
from salesim.record_files import read_records
from salesim.records import Records
from salesim.scenario import Scenario, ScenarioError, dump_scenario, load_scenario
from salesim.world import simulate

try:
    __version__ = version("salesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Comparison",
    "Ensemble",
    "Goal",
    "QuotaAnswer",
    "Records",
    "Scenario",
    "ScenarioError",
    "Sensitivity",
    "Sweep",
    "__version__",
    "compare",
    "dump_scenario",
    "load_scenario",
    "quota",
    "read_records",
    "run",
    "seek_goal",
    "sensitivity",
    "simulate",
    "sweep",
]
