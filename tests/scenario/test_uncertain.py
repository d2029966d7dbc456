"""Uncertain assumptions: checked at load, drawn once per replication, common random numbers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from salesim.engine.random_streams import RandomStreams
from salesim.scenario import Scenario, ScenarioError, load_scenario, loads_scenario
from salesim.scenario.uncertain import TAIL, assumptions, draw, realise, realise_with_values
from salesim.scenario.units import Duration

from .conftest import BASE_TEXT, REPO, SCENARIOS, edited


def _with(*lines: str) -> Scenario:
    return loads_scenario(edited(append=("uncertain:", *lines)), "t.yaml")


def _problems(*lines: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        _with(*lines)
    return [str(issue) for issue in caught.value.issues]


def test_without_uncertain_values_realise_is_the_scenario_itself() -> None:
    scenario = loads_scenario(BASE_TEXT)
    assert scenario.uncertain == {}
    assert realise_with_values(scenario, 5) == (scenario, {})


def test_each_kind_of_value_is_drawn_and_set_in_its_unit() -> None:
    scenario = _with(
        "  sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}",
        "  channels.inbound.leads_per_month: {range: [100, 300]}",
        "  ae.stages.discovery.duration: {range: [1 week, 3 weeks]}",
        "  sdr.handle_time.gamma.mean: {range: [8 min, 15 min]}",
        "  segments.enterprise.deal_size: {lognormal: {median: 150k, p90: 250k}}",
    )
    concrete, drawn = realise_with_values(scenario, seed=11)
    assert concrete.uncertain == {}
    assert concrete.sdr is not None
    assert concrete.ae is not None
    assert concrete.sdr.meeting_rate == drawn["sdr.meeting_rate"]
    assert 100 <= concrete.channels["inbound"].leads_per_month == \
        drawn["channels.inbound.leads_per_month"] <= 300
    duration = concrete.ae.stages["discovery"].duration
    assert duration.family == "fixed"
    assert isinstance(duration.fixed, Duration)
    assert 7 <= duration.fixed.days == drawn["ae.stages.discovery.duration"] <= 21
    handle = concrete.sdr.handle_time
    assert handle.gamma is not None
    assert handle.gamma.cv == 0.5
    assert handle.sampler().mean * 1440 == pytest.approx(
        drawn["sdr.handle_time.gamma.mean"] * 1440)
    assert 8 <= drawn["sdr.handle_time.gamma.mean"] * 1440 <= 15
    assert concrete.segments["enterprise"].deal_size.sampler().mean == \
        drawn["segments.enterprise.deal_size"]
    # everything else is untouched
    assert concrete.channels["partners"] == scenario.channels["partners"]
    assert concrete.sdr.contact_rate == scenario.sdr.contact_rate  # type: ignore[union-attr]


def test_a_draw_is_the_inverse_distribution_of_one_uniform_from_the_paths_stream() -> None:
    scenario = _with("  channels.inbound.leads_per_month: {range: [100, 300]}")
    u = RandomStreams(4).generator("uncertain/channels.inbound.leads_per_month").random()
    assert draw(scenario, 4) == {"channels.inbound.leads_per_month":
                                 pytest.approx(100 + 200 * u)}


def test_common_random_numbers_same_seed_same_draw_in_two_plans() -> None:
    plan_a = _with("  sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}",
                   "  sdr.contact_rate: {range: [20%, 40%]}")
    plan_b = loads_scenario(edited({12: "  headcount: 9"}, ("uncertain:",
                            "  sdr.contact_rate: {range: [20%, 40%]}")), "t.yaml")
    for seed in range(5):
        assert draw(plan_a, seed)["sdr.contact_rate"] == draw(plan_b, seed)["sdr.contact_rate"]
    # a wider range for the same path moves the draw monotonically (same uniform number)
    plan_c = _with("  sdr.contact_rate: {range: [10%, 50%]}")
    for seed in range(5):
        a, c = draw(plan_a, seed)["sdr.contact_rate"], draw(plan_c, seed)["sdr.contact_rate"]
        assert (a - 0.3) * 2 == pytest.approx(c - 0.3)


def test_beta_draws_have_the_mean_and_sd_written() -> None:
    scenario = _with("  sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}")
    values = np.array([draw(scenario, seed)["sdr.meeting_rate"] for seed in range(3000)])
    # standard errors: 0.05 / sqrt(3000) = 0.0009 for the mean, about 0.0007 for the sd
    assert values.mean() == pytest.approx(0.40, abs=0.004)
    assert values.std() == pytest.approx(0.05, abs=0.003)
    assert ((values > 0) & (values < 1)).all()


def test_the_prior_knows_its_mean_and_variance() -> None:
    scenario = _with("  sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}",
                     "  channels.inbound.leads_per_month: {range: [100, 300]}")
    found = {a.path: a.prior for a in assumptions(scenario)[0]}
    assert found["sdr.meeting_rate"].mean == pytest.approx(0.4)
    assert found["sdr.meeting_rate"].variance == pytest.approx(0.05**2)
    assert found["channels.inbound.leads_per_month"].variance == pytest.approx(200**2 / 12)


def test_unbounded_families_stay_within_the_checked_tail() -> None:
    scenario = _with("  channels.inbound.leads_per_month: {normal: {mean: 200, sd: 20}}")
    prior = assumptions(scenario)[0][0].prior
    values = [draw(scenario, seed)["channels.inbound.leads_per_month"] for seed in range(200)]
    assert prior.quantile(TAIL) <= min(values)
    assert max(values) <= prior.quantile(1 - TAIL)


def test_problems_are_reported_at_their_line_with_a_hint() -> None:
    problems = _problems(
        "  sdr.meeting_rte: {beta: {mean: 40%, sd: 5%}}",                  # 22
        "  ae.headcount: {range: [2, 5]}",                                  # 23
        "  sdr.no_show_rate: {lognormal: {median: 12%, p90: 50%}}",         # 24
        "  channels.inbund.leads_per_month: {range: [1, 2]}",               # 25
        "  meta.horizon: {range: [1 year, 2 years]}",                      # 26
        "  segments.smb.deal_size: {range: [1k, 2k]}",                      # 27
        "  sdr.reschedule_rate: {range: [20%, 10%]}",                       # 28
        "  ae.stages: {range: [1, 2]}",                                     # 29
        "  sdr.handle_time.gamma.mean: {beta: {mean: 40%, sd: 5%}}",        # 30
    )
    text = "\n".join(problems)
    assert "t.yaml:22:3: uncertain.sdr.meeting_rte: no field 'meeting_rte' in sdr " \
           "(hint: did you mean 'meeting_rate'?)" in text
    assert "t.yaml:23:3: uncertain.ae.headcount: is a whole number" in text
    assert "t.yaml:24:3: uncertain.sdr.no_show_rate: the highest value the distribution " \
           "can draw, 9546.9159%, is not a rate: rates lie from 0% to 100% (hint: use " \
           "beta or range for a rate)" in text
    assert "t.yaml:25:3: uncertain.channels.inbund.leads_per_month: no entry 'inbund' in " \
           "channels (hint: did you mean 'inbound'?)" in text
    assert "t.yaml:26:3: uncertain.meta.horizon: 'meta' cannot be uncertain" in text
    assert "t.yaml:27:3: uncertain.segments.smb.deal_size: is a lognormal distribution " \
           "already (hint: make one of its parameters uncertain instead, e.g. " \
           "segments.smb.deal_size.lognormal.median)" in text
    assert "t.yaml:28:3: uncertain.sdr.reschedule_rate: range: needs [low, high] with " \
           "low < high" in text
    assert "t.yaml:29:3: uncertain.ae.stages: is a section or a list, not a value" in text
    assert "t.yaml:30:3: uncertain.sdr.handle_time.gamma.mean: a beta distribution is for " \
           "rates and shares, not durations" in text
    assert len(problems) == 9


def test_an_impossible_beta_is_refused() -> None:
    problems = _problems("  sdr.contact_rate: {beta: {mean: 40%, sd: 50%}}")
    assert problems == ["t.yaml:22:22: uncertain.sdr.contact_rate.beta: a beta with mean 0.4 "
                        "needs sd below sqrt(mean x (1 - mean)) = 0.4899, got 0.5"]


def test_a_value_the_scenario_leaves_unset_cannot_be_uncertain() -> None:
    problems = _problems("  channels.inbound.not_ready_share: {range: [50%, 70%]}")
    assert problems == ["t.yaml:22:3: uncertain.channels.inbound.not_ready_share: has no "
                        "value in this scenario (hint: write the value in the scenario "
                        "first, then make it uncertain)"]


def test_two_families_in_one_entry_are_refused() -> None:
    problems = _problems("  sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}, range: [1%, 2%]}")
    assert len(problems) == 1
    assert "name exactly one distribution" in problems[0]


def test_a_variant_replaces_an_uncertain_entry_whole(write: Callable[..., Path]) -> None:
    write("base.yaml", edited(append=("uncertain:",
                                      "  sdr.meeting_rate: {beta: {mean: 40%, sd: 5%}}")))
    write("variant.yaml", "extends: base.yaml\nuncertain:\n"
                          "  sdr.meeting_rate: {range: [30%, 50%]}\n")
    scenario = load_scenario("variant.yaml")
    assert scenario.uncertain["sdr.meeting_rate"].family == "range"


def test_an_uncertain_scenario_survives_the_trip_to_a_worker() -> None:
    scenario = _with("  ae.stages.discovery.duration: {range: [1 week, 3 weeks]}",
                     "  segments.smb.deal_size.lognormal.median: {range: [10k, 14k]}")
    again = Scenario.model_validate_json(scenario.model_dump_json())
    assert draw(again, 3) == draw(scenario, 3)
    assert realise(again, 3) == realise(scenario, 3)


def test_the_readme_example_loads_on_the_reference(write: Callable[..., Path]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = readme.split("```yaml\nuncertain:\n", 1)[1].split("```", 1)[0]
    write("plan.yaml", f"extends: {SCENARIOS / 'reference.yaml'}\nuncertain:\n{block}")
    scenario = load_scenario("plan.yaml")
    assert len(scenario.uncertain) == 5
    concrete, drawn = realise_with_values(scenario, 1)
    assert concrete.channels["webinars"].leads_per_month == \
        drawn["channels.webinars.leads_per_month"]
    assert 300 <= drawn["channels.webinars.leads_per_month"] <= 450
