"""Today's results, pinned: the shipped scenarios give the same records for the same seed.

Each table is reduced to a digest of the values in the columns the record contract
had when the pin was taken; columns added later are left out, so a new column never
moves the pin, while any change to what is simulated does. A refactor that moves
code keeps these digests; only an issue that sets out to change results may update
them, and says so.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pandas as pd
import pytest

import salesim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

PINNED_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": ("lead_id", "cycle", "channel", "segment", "score", "attribute_score",
              "behaviour_score", "cost", "created_at", "sdr_id", "first_attempt_at", "attempts",
              "contacted_at", "meeting_set_at", "meeting_scheduled_for", "reschedules",
              "meeting_held_at", "valid", "status", "reason", "ended_at"),
    "opportunities": ("opportunity_id", "lead_id", "channel", "segment", "ae_id", "created_at",
                      "assigned_at", "stage", "status", "closed_at", "amount"),
    "opportunity_stages": ("opportunity_id", "stage", "stage_index", "entered_at", "exited_at",
                           "outcome"),
    "subscriptions": ("subscription_id", "opportunity_id", "segment", "channel", "ae_id",
                      "csm_id", "start_at", "initial_arr", "onboarded_at", "onboarded",
                      "renewals", "churned_at", "status", "arr"),
    "subscription_events": ("subscription_id", "at", "kind", "arr_change"),
    "reps": ("rep_id", "role", "origin", "requisition_at", "hired_at", "left_at", "ramp_months",
             "skill", "segment", "annual_cost"),
    "activities": ("rep_id", "date", "attempts", "contacts", "meetings_held", "busy_hours"),
}

PINS: dict[tuple[str, int], dict[str, str]] = {
    ("minimal", 1): {
        "leads": "590b13fd8b0bf413", "opportunities": "33749ad270df3c17",
        "opportunity_stages": "1024cddb54523d41", "subscriptions": "853cfe45fff89b83",
        "subscription_events": "39b1c4acd162c646", "reps": "01c8f6b5487292b5",
        "activities": "7d9fa1662ac70999"},
    ("minimal", 7): {
        "leads": "ca463f6d63fbd9ec", "opportunities": "ac6e5adface27c94",
        "opportunity_stages": "52da00582f6748e1", "subscriptions": "81085912efb7efbd",
        "subscription_events": "896b825caeeb4d71", "reps": "01c8f6b5487292b5",
        "activities": "34d77e5265d18b22"},
    ("reference", 1): {
        "leads": "c015a56cabf5c58c", "opportunities": "52a0473693870e20",
        "opportunity_stages": "67b6b28986032452", "subscriptions": "669b32e821c0b967",
        "subscription_events": "a5cd9ecaba7a02be", "reps": "2dfdc1978bf700d1",
        "activities": "ecb088892a301c69"},
    ("reference", 7): {
        "leads": "839a7752fe86d1e9", "opportunities": "725028fb525d73e3",
        "opportunity_stages": "bdeebb7797473433", "subscriptions": "d67257a0250b4508",
        "subscription_events": "5f5ed0d85b13a737", "reps": "1f88a7069737d7b8",
        "activities": "66b2036af6f1479c"},
    ("japanese_example", 1): {
        "leads": "7e52d94ef27ef241", "opportunities": "3cbbf1c0753bcb4e",
        "opportunity_stages": "a10c6cc6b20fff0b", "subscriptions": "8529c8779831ec31",
        "subscription_events": "28a9a88956e21f1a", "reps": "2a9b28d65358e937",
        "activities": "5830bb5a3d33a8c2"},
    ("japanese_example", 7): {
        "leads": "79d4ac78a6f60a36", "opportunities": "18c5f7a8691dcfc1",
        "opportunity_stages": "62ecab4847cd6a40", "subscriptions": "f8bcf51b062137ab",
        "subscription_events": "f8502c3a230e4659", "reps": "fe319f23fd36ce58",
        "activities": "c62a360a5320f20a"},
}


def table_digest(table: pd.DataFrame, columns: tuple[str, ...]) -> str:
    """A short digest of the values (not the dtypes' spelling) of ``columns``."""
    digest = hashlib.sha256()
    for column in columns:
        values = pd.util.hash_pandas_object(table[column], index=False).to_numpy()
        digest.update(column.encode())
        digest.update(values.tobytes())
    return digest.hexdigest()[:16]


@functools.cache
def records(name: str, seed: int) -> salesim.Records:
    return salesim.simulate(salesim.load_scenario(SCENARIOS / f"{name}.yaml"), seed=seed)


@pytest.mark.parametrize(("name", "seed"), sorted(PINS))
def test_records_match_the_pin(name: str, seed: int) -> None:
    result = records(name, seed)
    digests = {table: table_digest(getattr(result, table), columns)
               for table, columns in PINNED_COLUMNS.items()}
    assert digests == PINS[name, seed]


def test_digest_sees_a_changed_value() -> None:
    table = records("minimal", 1).opportunities.copy()
    before = table_digest(table, PINNED_COLUMNS["opportunities"])
    table.loc[table.index[0], "amount"] += 1
    assert table_digest(table, PINNED_COLUMNS["opportunities"]) != before
