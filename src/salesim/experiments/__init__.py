"""Experiments: run many replications of a scenario and summarise them.

``run(scenario, reps=..., seed=..., workers=...)`` returns an :class:`Ensemble`.
Executors (:mod:`salesim.experiments.executors`) decide where replications run.
Comparisons, sweeps, sensitivity and goal seeking live in their modules
(:mod:`~salesim.experiments.compare`, :mod:`~salesim.experiments.sweep`,
:mod:`~salesim.experiments.sensitivity`, :mod:`~salesim.experiments.goal`); their
functions are ``salesim.compare``, ``salesim.sweep``, ``salesim.sensitivity`` and
``salesim.seek_goal`` (not re-exported here, where they would hide the modules of
the same name).
"""

from salesim.experiments.compare import Comparison
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
from salesim.experiments.sensitivity import Sensitivity
from salesim.experiments.stats import Probability
from salesim.experiments.sweep import Sweep

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
    "replication_seeds",
    "run",
    "run_replication",
    "seek_goal",
]
