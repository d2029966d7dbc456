"""Checkpoints: every finished replication kept on disk, so an interrupted run resumes.

A checkpoint folder holds ``run.json`` (the scenario hash and root seed it
belongs to) and one ``replication-NNNNNN.pickle`` per finished replication
(its seed, headline metrics and KPI table), each written atomically as the
replication finishes, so Ctrl-C or a crash loses at most the replications
still running. :func:`salesim.experiments.run` with ``checkpoint=`` skips the
replications found there; because a replication is fully decided by its seed,
the resumed ensemble equals an uninterrupted one.

The files are Python pickles: read them only from folders your own runs wrote.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from salesim.experiments.provenance import scenario_hash
from salesim.io import atomic_path, atomic_write_json
from salesim.scenario import Scenario

if TYPE_CHECKING:
    from salesim.experiments.montecarlo import ReplicationResult

IDENTITY_FILE = "run.json"
_RESULT_RE = re.compile(r"^replication-(\d+)\.pickle$")


class CheckpointMismatchError(ValueError):
    """The checkpoint folder holds replications of another scenario or seed."""


class CheckpointStore:
    """The finished replications of one run (scenario and root seed) in ``folder``.

    Nothing is created on disk until the first replication is saved.
    """

    def __init__(self, folder: Path, scenario: Scenario, seed: int) -> None:
        self.folder = Path(folder)
        self.identity: dict[str, Any] = {"scenario_hash": scenario_hash(scenario),
                                         "seed": int(seed)}
        self._identity_written = False

    def _check_identity(self) -> bool:
        """Whether the folder has replications of this run; raise if of another one."""
        identity_file = self.folder / IDENTITY_FILE
        if not identity_file.is_file():
            return False
        try:
            found = json.loads(identity_file.read_text(encoding="utf-8"))
        except ValueError:
            found = None
        if found != self.identity:
            raise CheckpointMismatchError(
                f"{self.folder} holds replications of another run (another scenario or "
                "seed); remove it or run without resuming")
        self._identity_written = True
        return True

    def load(self, seeds: Sequence[int]) -> list[ReplicationResult]:
        """The finished replications among ``seeds`` (replication ``k`` has ``seeds[k]``)."""
        if not self.folder.is_dir() or not self._check_identity():
            return []
        results = []
        for path in sorted(self.folder.iterdir()):
            match = _RESULT_RE.match(path.name)
            if match is None:
                continue
            index = int(match.group(1))
            if index >= len(seeds):
                continue
            with path.open("rb") as stream:
                result = pickle.load(stream)
            if result.index == index and result.seed == seeds[index]:
                results.append(result)
        return results

    def save(self, result: ReplicationResult) -> None:
        """Keep one finished replication (atomically; its record tables are not kept)."""
        if not self._identity_written:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._check_identity()
            atomic_write_json(self.folder / IDENTITY_FILE, self.identity)
            self._identity_written = True
        kept = type(result)(result.index, result.seed, result.headline, result.kpis)
        with atomic_path(self.folder / f"replication-{result.index:06d}.pickle") as temporary, \
                temporary.open("wb") as stream:
            pickle.dump(kept, stream, protocol=pickle.HIGHEST_PROTOCOL)

    def count(self) -> int:
        """How many replications the folder holds (of any run)."""
        if not self.folder.is_dir():
            return 0
        return sum(1 for path in self.folder.iterdir() if _RESULT_RE.match(path.name))

    def clear(self) -> None:
        """Remove the folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._identity_written = False
