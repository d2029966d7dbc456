"""The scenario language: typed models, units, distributions and the YAML loader."""

from salesim.scenario.distributions import Distribution, Sampler
from salesim.scenario.errors import Location, ScenarioError, ScenarioIssue
from salesim.scenario.loader import dump_scenario, load_scenario, loads_scenario
from salesim.scenario.schema import Scenario
from salesim.scenario.units import Duration

__all__ = [
    "Distribution",
    "Duration",
    "Location",
    "Sampler",
    "Scenario",
    "ScenarioError",
    "ScenarioIssue",
    "dump_scenario",
    "load_scenario",
    "loads_scenario",
]
