"""salesim: simulate and plan B2B sales organisations.

>>> import salesim
>>> scenario = salesim.load_scenario("scenarios/minimal.yaml")
>>> scenario.meta.name
'Minimal'
"""

from importlib.metadata import PackageNotFoundError, version

from salesim.engine import Records, simulate
from salesim.scenario import Scenario, ScenarioError, dump_scenario, load_scenario

try:
    __version__ = version("salesim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Records",
    "Scenario",
    "ScenarioError",
    "__version__",
    "dump_scenario",
    "load_scenario",
    "simulate",
]
