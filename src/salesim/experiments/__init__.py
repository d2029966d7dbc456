"""Experiments: run many replications of a scenario and summarise them.

``run(scenario, reps=..., seed=..., workers=...)`` returns an :class:`Ensemble`.
Executors (:mod:`salesim.experiments.executors`) decide where replications run.
"""

from salesim.experiments.ensemble import Ensemble
from salesim.experiments.executors import Executor, LocalExecutor, SerialExecutor
from salesim.experiments.montecarlo import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    ReplicationResult,
    run,
    run_replication,
)
from salesim.experiments.seeds import replication_seeds
from salesim.experiments.stats import Probability

__all__ = [
    "DEFAULT_REPS",
    "DEFAULT_SEED",
    "Ensemble",
    "Executor",
    "LocalExecutor",
    "Probability",
    "ReplicationResult",
    "SerialExecutor",
    "replication_seeds",
    "run",
    "run_replication",
]
