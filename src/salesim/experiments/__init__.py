"""Experiments: run many replications of a scenario and summarise them.

``run(scenario, reps=..., seed=..., workers=...)`` returns an :class:`Ensemble`;
``compare(plans, ...)`` a :class:`Comparison` of plans run on the same seeds.
Executors (:mod:`salesim.experiments.executors`) decide where replications run.
"""

from salesim.experiments.compare import Comparison, compare
from salesim.experiments.dask_executor import DaskExecutor
from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import Executor, LocalExecutor, SerialExecutor
from salesim.experiments.goal import Goal, seek_goal
from salesim.experiments.montecarlo import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    ReplicationResult,
    run,
    run_replication,
)
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.sensitivity import Sensitivity, sensitivity
from salesim.experiments.stats import Probability
from salesim.experiments.sweep import Sweep, sweep

__all__ = [
    "DEFAULT_REPS",
    "DEFAULT_SEED",
    "Comparison",
    "DaskExecutor",
    "Ensemble",
    "Executor",
    "Goal",
    "LocalExecutor",
    "Probability",
    "ReplicationResult",
    "Sensitivity",
    "SerialExecutor",
    "Sweep",
    "compare",
    "replication_seeds",
    "run",
    "run_replication",
    "seek_goal",
    "sensitivity",
    "sweep",
]
