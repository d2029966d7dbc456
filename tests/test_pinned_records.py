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
        "leads": "e7d419cc7ab27abb", "opportunities": "422f40edcede310d",
        "opportunity_stages": "d0fa2bcec1db844e", "subscriptions": "c3184c364bc22f42",
        "subscription_events": "e39b56eff64d448c", "reps": "01c8f6b5487292b5",
        "activities": "343f4a496b2ec8b5"},
    ("minimal", 7): {
        "leads": "b5ce4bc700e69753", "opportunities": "da0bf949e66e04c8",
        "opportunity_stages": "eb3827963e0ee243", "subscriptions": "1e0bb3758fbc70e3",
        "subscription_events": "a9bda6de88f0d7df", "reps": "01c8f6b5487292b5",
        "activities": "96e4aa360d699b08"},
    ("reference", 1): {
        "leads": "981173f3c7297c96", "opportunities": "3de90ea0a4af5e3e",
        "opportunity_stages": "822761a0848a89c7", "subscriptions": "1ee4ffef07a737b0",
        "subscription_events": "f7016aac7352c9e0", "reps": "2dfdc1978bf700d1",
        "activities": "3e5543aab684fc03"},
    ("reference", 7): {
        "leads": "ce4d3edf91a2fb2c", "opportunities": "39a46a4e5b14cf0d",
        "opportunity_stages": "7f3086f896af2689", "subscriptions": "a1b283a87b7487ca",
        "subscription_events": "4e44e027eed0f8c9", "reps": "1f88a7069737d7b8",
        "activities": "eea404ee56733e34"},
    ("japanese_example", 1): {
        "leads": "5e92547c02891bdb", "opportunities": "35ff7433e8660401",
        "opportunity_stages": "bdc6f681d9a9667d", "subscriptions": "f67d803b72d6a00b",
        "subscription_events": "70fcd54f249989db", "reps": "2a9b28d65358e937",
        "activities": "ede971962622a1f6"},
    ("japanese_example", 7): {
        "leads": "c03c650573784576", "opportunities": "e2dad4129f1cd4b6",
        "opportunity_stages": "fdf070a3e7ae7e2a", "subscriptions": "abdbd39ce985479f",
        "subscription_events": "c5349f8f82a025d1", "reps": "fe319f23fd36ce58",
        "activities": "808564d7172e6112"},
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
