"""One replication of a scenario: world wiring, clocks, random streams, records."""

from salesim.engine.records import Records
from salesim.engine.simulation import simulate

__all__ = ["Records", "simulate"]
