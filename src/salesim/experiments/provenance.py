"""Which run produced an output folder: scenario file, overrides, resolved scenario
hash and seed, and the rules that keep different runs in different folders.

The hash identifies the scenario as simulated: the SHA-256 of
:func:`salesim.dump_scenario` (every default written out), so two files that
resolve to the same scenario share it, and any override that changes a value
changes it.

>>> import salesim
>>> base = salesim.load_scenario("scenarios/minimal.yaml")
>>> more = salesim.load_scenario("scenarios/minimal.yaml", overrides={"ae.headcount": 3})
>>> scenario_hash(base) == scenario_hash(base), scenario_hash(base) == scenario_hash(more)
(True, False)
>>> default_out_folder("Minimal", "0123456789abcdef", overrides=()).as_posix()
'out/minimal'
>>> default_out_folder("Minimal", "0123456789abcdef", overrides=["ae.headcount=3"]).as_posix()
'out/minimal-01234567'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from salesim.scenario import Scenario, dump_scenario

SHORT_HASH = 8
"""Characters of the scenario hash used in default folder names."""


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of the resolved scenario's YAML form."""
    return hashlib.sha256(dump_scenario(scenario).encode("utf-8")).hexdigest()


def slug(name: str) -> str:
    """A scenario name made safe as a folder name.

    >>> slug("Reference SaaS / FY27")
    'reference-saas-fy27'
    """
    return re.sub(r"[^\w.-]+", "-", name.strip().lower()).strip("-.") or "scenario"


def default_out_folder(scenario_name: str, hash_: str, overrides: Sequence[str]) -> Path:
    """``out/<name>`` for a scenario run as written, ``out/<name>-<short hash>`` when
    overrides change it, so runs with different ``--set`` values never share a folder."""
    name = slug(scenario_name)
    return Path("out") / (f"{name}-{hash_[:SHORT_HASH]}" if overrides else name)


@dataclass(frozen=True)
class RunIdentity:
    """What makes two runs the same run: the resolved scenario and the root seed.

    ``scenario_file`` and ``overrides`` say how the scenario was written (for
    people); ``scenario_hash`` and ``seed`` decide whether two runs are the same.
    """

    scenario_file: str
    overrides: tuple[str, ...]
    scenario_hash: str
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {"scenario_file": self.scenario_file, "overrides": list(self.overrides),
                "scenario_hash": self.scenario_hash}

    def same_run(self, summary: dict[str, Any]) -> bool:
        """Whether a ``summary.json`` (as data) was written by this run."""
        return (summary.get("scenario_hash") == self.scenario_hash
                and summary.get("seed") == self.seed)


class OutputConflictError(Exception):
    """The output folder holds the results of a different run."""


def check_not_another_run(folder: Path, identity: RunIdentity, force: bool) -> None:
    """Raise :class:`OutputConflictError` when ``folder/summary.json`` belongs to another run
    (another scenario hash or seed), unless ``force``. A summary without a hash (from
    an older salesim) counts as another run."""
    summary_file = folder / "summary.json"
    if force or not summary_file.is_file():
        return
    try:
        summary = json.loads(summary_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        summary = {}
    if isinstance(summary, dict) and identity.same_run(summary):
        return
    held = "an unreadable summary" if not isinstance(summary, dict) or not summary else (
        f"scenario {str(summary.get('scenario_hash') or 'unknown')[:SHORT_HASH]}, "
        f"seed {summary.get('seed')}")
    raise OutputConflictError(
        f"{folder} holds a different run ({held}; this run: scenario "
        f"{identity.scenario_hash[:SHORT_HASH]}, seed {identity.seed}): "
        "pass --force to replace it or --out to choose another folder")
