"""Loading scenarios: shipped files, extends, --set overrides, safe YAML."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from salesim.scenario import ScenarioError, load_scenario, loads_scenario
from salesim.scenario.loader import MAX_VALUES, deep_merge, normalise_overrides
from salesim.scenario.units import Duration

from .conftest import BASE_TEXT, SCENARIOS, edited

# ----------------------------------------------------------------------------- shipped scenarios


def test_reference_scenario() -> None:
    scenario = load_scenario(SCENARIOS / "reference.yaml")
    assert scenario.meta.currency == "USD"
    assert scenario.meta.start == dt.date(2027, 1, 1)
    assert scenario.meta.horizon == Duration(36, "month")
    assert len(scenario.months) == 36
    assert list(scenario.segments) == ["smb", "mid_market", "enterprise"]
    assert [s.share for s in scenario.segments.values()] == pytest.approx([0.6, 0.3, 0.1])
    medians = [s.deal_size.sampler().quantile(0.5) for s in scenario.segments.values()]
    assert medians == pytest.approx([12_000, 40_000, 150_000])
    assert sum(c.base_leads_per_month for c in scenario.channels.values()) == pytest.approx(3000)
    assert scenario.channels["paid_search"].base_leads_per_month == pytest.approx(1000)
    assert scenario.channels["content"].ramp is not None
    assert scenario.channels["partner_referrals"].segment_mix is not None
    assert (scenario.sdr.headcount, scenario.ae.headcount, scenario.cs.headcount) == (10, 14, 17)
    assert scenario.sdr.ramp.monthly_fractions() == (0.3, 0.6, 0.9, 1.0)
    assert scenario.sdr.attrition == pytest.approx(0.35)
    assert scenario.sdr.time_to_fill.sampler().mean == pytest.approx(45)
    assert scenario.ae.ramp.months_to_full == 5
    assert scenario.ae.quota is not None
    assert scenario.ae.quota.per_month == pytest.approx(550_000 / 12)
    assert scenario.ae.max_open_opportunities == 30
    assert list(scenario.ae.stages) == ["discovery", "proposal", "negotiation"]
    enterprise = scenario.segments["enterprise"].stages
    assert enterprise["discovery"].conversion is not None
    assert enterprise["discovery"].conversion < scenario.ae.stages["discovery"].conversion
    assert scenario.cs.accounts_per_csm == 60
    assert scenario.customers.contract_term == Duration(12, "month")
    assert len(scenario.calendar.holidays) >= 3


def test_japanese_example_extends_the_reference() -> None:
    scenario = load_scenario(SCENARIOS / "japanese_example.yaml")
    reference = load_scenario(SCENARIOS / "reference.yaml")
    assert scenario.meta.name == "日本語の例：中堅SaaS企業"
    assert list(scenario.segments) == ["中小企業", "中堅企業", "大企業"]
    assert "ウェビナー" in scenario.channels
    assert "paid_search" not in scenario.channels
    mix = scenario.channels["パートナー紹介"].segment_mix
    assert mix is not None
    assert set(mix) == set(scenario.segments)
    duration = scenario.segments["中小企業"].stages["discovery"].duration
    assert duration is not None
    assert duration.lognormal is not None
    assert duration.lognormal.median == Duration(5, "business_day")
    assert scenario.sdr.handle_time.sampler().mean == pytest.approx(24 / 1440)
    assert scenario.calendar.working_hours.start_hour == 9
    # inherited unchanged from the base
    assert scenario.ae == reference.ae
    assert scenario.customers == reference.customers
    assert scenario.meta.start == reference.meta.start


def test_minimal_scenario() -> None:
    scenario = load_scenario(SCENARIOS / "minimal.yaml")
    assert scenario.meta.name == "Minimal"
    assert scenario.recycle.not_ready_share == pytest.approx(0.65)


# ----------------------------------------------------------------------------- extends


def test_extends_merges_mappings_key_by_key(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    child = write("child.yaml", "\n".join([
        "extends: base.yaml",
        "meta: {name: Child}",
        "ae:",
        "  headcount: 9",
        "  stages:",
        "    proposal: {conversion: 45%}",
        "channels:",
        "  events: {leads_per_month: 50}",
    ]) + "\n")
    scenario = load_scenario(child)
    assert scenario.meta.name == "Child"
    assert scenario.meta.horizon == Duration(12, "month")  # kept from the base
    assert scenario.ae.headcount == 9
    assert scenario.ae.stages["proposal"].conversion == pytest.approx(0.45)
    assert scenario.ae.stages["proposal"].duration.sampler().mean == pytest.approx(21)
    assert list(scenario.ae.stages) == ["discovery", "proposal"]
    assert list(scenario.channels) == ["inbound", "partners", "events"]


def test_extends_replaces_lists_whole(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    child = write("child.yaml", "extends: base.yaml\n"
                                "ae: {hiring: [{month: 2027-06, target: 8}]}\n")
    hiring = load_scenario(child).ae.hiring
    assert len(hiring) == 1
    assert hiring[0].target == 8
    assert hiring[0].month == dt.date(2027, 6, 1)


def test_extends_replaces_a_distribution_whole(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    child = write("child.yaml", "extends: base.yaml\nsegments:\n"
                                "  smb: {deal_size: {gamma: {mean: 10k, cv: 0.5}}}\n")
    deal_size = load_scenario(child).segments["smb"].deal_size
    assert deal_size.family == "gamma"
    assert deal_size.lognormal is None
    assert deal_size.sampler().mean == pytest.approx(10_000)


def test_extends_null_drops_an_inherited_key(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    child = write("child.yaml", "\n".join([
        "extends: base.yaml",
        "channels:",
        "  partners: null",
        "segments:",
        "  enterprise: null",
        "  smb: {share: 100%}",
    ]) + "\n")
    scenario = load_scenario(child)
    assert list(scenario.channels) == ["inbound"]
    assert list(scenario.segments) == ["smb"]


def test_extends_relative_to_the_file(write: Callable[..., Path]) -> None:
    write("bases/base.yaml", BASE_TEXT)
    child = write("variants/team/child.yaml",
                  "extends: ../../bases/base.yaml\nsdr: {headcount: 7}\n")
    assert load_scenario(child).sdr.headcount == 7


def test_extends_chain_of_two(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    write("middle/child.yaml", "extends: ../base.yaml\nsdr: {headcount: 7}\nmeta: {name: Child}\n")
    grandchild = write("grandchild.yaml", "extends: middle/child.yaml\n"
                                          "ae: {headcount: 11}\nmeta: {name: Grandchild}\n")
    scenario = load_scenario(grandchild)
    assert scenario.meta.name == "Grandchild"
    assert scenario.sdr.headcount == 7       # from the child
    assert scenario.ae.headcount == 11       # from the grandchild
    assert scenario.cs.headcount == 1        # from the base


def test_extends_cycle_of_three(write: Callable[..., Path]) -> None:
    write("a.yaml", "extends: b.yaml\n")
    write("b.yaml", "extends: c.yaml\n")
    write("c.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario("a.yaml")
    assert caught.value.issues[0].message == (
        "extends forms a cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml")


def test_extends_is_refused_in_text() -> None:
    with pytest.raises(ScenarioError, match="extends needs a scenario file"):
        loads_scenario("extends: base.yaml\n")


def test_deep_merge() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    override = {"a": {"c": [3], "e": 5}, "d": None, "f": None}
    assert deep_merge(base, override) == {"a": {"b": 1, "c": [3], "e": 5}, "f": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 4}  # not modified


# ----------------------------------------------------------------------------- overrides


def test_override_headcount(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    assert load_scenario(path, overrides=["ae.headcount=24"]).ae.headcount == 24
    assert load_scenario(path, overrides={"ae.headcount": 24}).ae.headcount == 24


def test_override_a_channel_by_name(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    scenario = load_scenario(path, overrides=["channels.inbound.leads_per_month=400"])
    assert scenario.channels["inbound"].leads_per_month == 400


def test_override_a_list_item_by_index(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    scenario = load_scenario(path, overrides=["ae.hiring.0.count=3"])
    assert scenario.ae.hiring[0].count == 3
    assert scenario.ae.hiring[0].month == dt.date(2027, 3, 1)


def test_overrides_are_typed_by_the_schema(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    scenario = load_scenario(path, overrides=[
        "sdr.attrition=35%",
        "ae.stages.discovery.duration={gamma: {mean: 3 weeks, cv: 0.5}}",
        "meta.horizon=2 years",
        "calendar.working_days=[mon, tue, wed]",
        "segments.smb.deal_size=15k",
    ])
    assert scenario.sdr.attrition == pytest.approx(0.35)
    assert scenario.ae.stages["discovery"].duration.sampler().mean == pytest.approx(21)
    assert scenario.meta.horizon == Duration(2, "year")
    assert scenario.calendar.working_days == ("mon", "tue", "wed")
    assert scenario.segments["smb"].deal_size.sampler().mean == pytest.approx(15_000)


def test_overrides_apply_after_extends(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    child = write("child.yaml", "extends: base.yaml\nsdr: {headcount: 7}\n")
    assert load_scenario(child, overrides=["sdr.headcount=8"]).sdr.headcount == 8


def test_override_with_unicode_names() -> None:
    scenario = load_scenario(SCENARIOS / "japanese_example.yaml",
                             overrides=["channels.ウェビナー.leads_per_month=100"])
    assert scenario.channels["ウェビナー"].leads_per_month == 100


def test_override_adds_a_new_entry_set_whole(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    scenario = load_scenario(path, overrides=["channels.events={leads_per_month: 30}"])
    assert scenario.channels["events"].leads_per_month == 30
    assert set(scenario.channels) == {"inbound", "partners", "events"}


def test_override_of_a_misspelt_name_is_refused_with_the_closest(
        write: Callable[..., Path]) -> None:
    """A typo in a name must not quietly add a channel of its own."""
    path = write("t.yaml", BASE_TEXT)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides=["channels.inbund.leads_per_month=400"])
    (issue,) = caught.value.issues
    assert str(issue.location) == "--set channels.inbund.leads_per_month=400"
    assert issue.path == "channels.inbund.leads_per_month"
    assert issue.message == "no entry 'inbund' in channels (known: inbound, partners)"
    assert issue.hint == "did you mean 'channels.inbound.leads_per_month'?"
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides=["segments.xyz.share=10%"])
    assert caught.value.issues[0].hint == "to add one, set it whole: --set segments.xyz={...}"


def test_override_creates_a_section_the_file_leaves_out(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    scenario = load_scenario(path, overrides=["recycle.reengage_rate=10%"])
    assert scenario.recycle.reengage_rate == pytest.approx(0.1)


@pytest.mark.parametrize(("override", "text"), [
    ("meta.name=2027", "2027"), ("meta.name=yes", "yes"), ("meta.name=2027-04-01", "2027-04-01"),
    ("meta.name=1.5", "1.5"), ("meta.description=no", "no"),
])
def test_override_of_a_text_field_keeps_the_text_written(write: Callable[..., Path],
                                                         override: str, text: str) -> None:
    path = write("t.yaml", BASE_TEXT)
    field = override.split("=")[0].split(".")[1]
    assert getattr(load_scenario(path, overrides=[override]).meta, field) == text


@pytest.mark.parametrize(
    ("override", "where", "path", "message"),
    [
        ("ae.headcount=abc", "--set ae.headcount=abc", "ae.headcount",
         "expected a whole number, got 'abc'"),
        ("sdr.attrition=35", "--set sdr.attrition=35", "sdr.attrition", "35 is not a rate"),
        ("ae.headcont=3", "--set ae.headcont=3", "ae.headcont", "unknown field 'headcont'"),
        ("ae.hiring.5.count=3", "--set ae.hiring.5.count=3", "ae.hiring.5.count",
         "'5' is not an item of the list at ae.hiring"),
        ("ae.headcount.x=3", "--set ae.headcount.x=3", "ae.headcount.x",
         "ae.headcount is a value, not a section"),
        ("ae.headcount", "--set ae.headcount", "", "expected key=value"),
        ("=3", "--set =3", "", "expected key=value"),
        ("meta.start=2027-02-30", "--set meta.start=2027-02-30", "meta.start",
         "expected a date written YYYY-MM-DD, got '2027-02-30'"),
    ],
)
def test_bad_overrides_name_set(write: Callable[..., Path], override: str, where: str,
                                path: str, message: str) -> None:
    file = write("t.yaml", BASE_TEXT)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file, overrides=[override])
    issue = caught.value.issues[0]
    assert str(issue.location) == where
    assert issue.path == path
    assert message in issue.message


def test_normalise_overrides_reads_values_as_yaml() -> None:
    assert normalise_overrides(["a.b=3", "c=35%", "d=[1, 2]", "e=", "f=x=y"]) == [
        ("a.b", 3, "--set a.b=3"),
        ("c", "35%", "--set c=35%"),
        ("d", [1, 2], "--set d=[1, 2]"),
        ("e", "", "--set e="),
        ("f", "x=y", "--set f=x=y"),
    ]
    assert normalise_overrides(None) == []


# ----------------------------------------------------------------------------- YAML


def test_anchors_and_merge_keys_are_plain_data() -> None:
    text = edited({18: "    discovery: &stage {conversion: 50%, duration: 2 weeks}",
                   19: "    proposal: {<<: *stage, conversion: 40%}"})
    scenario = loads_scenario(text)
    assert scenario.ae.stages["proposal"].conversion == pytest.approx(0.4)
    assert scenario.ae.stages["proposal"].duration == scenario.ae.stages["discovery"].duration


def test_merged_keys_may_be_overridden_but_written_keys_not_repeated() -> None:
    text = edited({18: "    discovery: &stage {conversion: 50%, duration: 2 weeks}",
                   19: "    proposal: {<<: *stage, conversion: 40%, conversion: 30%}"})
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(text)
    assert [str(issue.location) for issue in caught.value.issues] == ["<string>:19:45"]
    assert caught.value.issues[0].path == "ae.stages.proposal.conversion"


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(ScenarioError) as caught:
        loads_scenario("meta: &m {name: x, again: *m}\n", source="t.yaml")
    (issue,) = caught.value.issues
    assert (str(issue.location), issue.path) == ("t.yaml:1:7", "meta.again")
    assert "refers to a section that contains it" in issue.message


def test_an_alias_bomb_is_refused_quickly() -> None:
    """Nine levels of nine aliases would be 387 million values."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(ScenarioError) as caught:
        loads_scenario("\n".join(lines) + "\n", source="t.yaml")
    (issue,) = caught.value.issues
    assert f"expands to more than {MAX_VALUES:,} values" in issue.message


def test_byte_order_mark_is_accepted(write: Callable[..., Path]) -> None:
    path = write("bom.yaml", "\ufeff" + BASE_TEXT)
    assert load_scenario(path).meta.name == "Base"


def test_keys_stay_as_written() -> None:
    text = edited({6: "  on: {share: 70%, deal_size: 12k}",
                   10: "  partners: {leads_per_month: 20, "
                       "segment_mix: {on: 50%, enterprise: 50%}}"})
    assert list(loads_scenario(text).segments) == ["on", "enterprise"]


def test_loaded_scenarios_are_immutable() -> None:
    scenario = loads_scenario(BASE_TEXT)
    with pytest.raises(ValueError, match="frozen"):
        scenario.sdr.headcount = 5  # type: ignore[misc]
