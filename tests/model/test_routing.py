"""Routing at run time: the first matching rule takes each item, and nothing is lost."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesim.model.routing import Attribute, route
from salesim.scenario.routing import Route

CHANNELS = ("web", "events", "partners")
SEGMENTS = ("smb", "mid", "ent")
TEAMS = ["a", "b", "c"]


def attributes(channel: np.ndarray, segment: np.ndarray) -> dict[str, Attribute]:
    return {"channel": Attribute(channel, CHANNELS), "segment": Attribute(segment, SEGMENTS)}


def test_first_matching_rule_wins_and_catch_all_takes_the_rest() -> None:
    rules = [Route(segment=("ent",), to="a"), Route(channel=("events",), to="b"), Route(to="c")]
    channel = np.array([0, 1, 1, 2, 0])
    segment = np.array([2, 2, 0, 1, 0])
    taken = route(rules, TEAMS, 5, attributes(channel, segment))
    assert taken.tolist() == [0, 0, 1, 2, 2]


def test_score_bands() -> None:
    rules = [Route(score_at_least=70, to="a"), Route(score_below=30, to="b"), Route(to="c")]
    score = np.array([90.0, 70.0, 69.9, 29.9, 0.0])
    taken = route(rules, TEAMS, 5, attributes(np.zeros(5, int), np.zeros(5, int)), score=score)
    assert taken.tolist() == [0, 0, 2, 1, 1]


def test_by_territory_takes_only_covered_items() -> None:
    rules = [Route(by="territory"), Route(to="c")]
    territory_team = np.array([1, -1, 0, -1])
    taken = route(rules, TEAMS, 4, attributes(np.zeros(4, int), np.zeros(4, int)),
                  territory_team=territory_team)
    assert taken.tolist() == [1, 2, 0, 2]


def test_one_team_takes_everything_without_rules() -> None:
    assert route([], ["only"], 3, {}).tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match="no rule"):
        route([], TEAMS, 3, {})


def test_work_no_rule_takes_is_an_error_not_a_silent_drop() -> None:
    with pytest.raises(ValueError, match="match no routing rule"):
        route([Route(segment=("ent",), to="a")], TEAMS, 2,
              attributes(np.zeros(2, int), np.array([2, 0])))


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=40),
       st.lists(st.tuples(st.sampled_from(CHANNELS), st.sampled_from(SEGMENTS),
                          st.sampled_from(TEAMS)), max_size=5))
def test_every_item_goes_to_exactly_the_first_rule_it_matches(
        items: list[tuple[int, int]], specific: list[tuple[str, str, str]]) -> None:
    rules = [Route(channel=(c,), segment=(s,), to=t) for c, s, t in specific] + [Route(to="c")]
    channel = np.array([c for c, _ in items])
    segment = np.array([s for _, s in items])
    taken = route(rules, TEAMS, len(items), attributes(channel, segment))
    for (c, s), team in zip(items, taken.tolist(), strict=True):
        first = next(rule for rule in rules
                     if rule.is_catch_all or (rule.channel == (CHANNELS[c],)
                                              and rule.segment == (SEGMENTS[s],)))
        assert TEAMS[team] == first.to
