"""The simulation kernel the model is built on: the working calendar and named random streams.

The wiring of one replication lives above the model, in :mod:`salesim.world`; the record
contract below it, in :mod:`salesim.records`.
"""
