"""Invalid scenarios: every problem names its file, line, column and field path.

Each case starts from the small valid scenario in conftest (BASE_LINES, whose line
numbers the expectations refer to), breaks one thing, and checks the exact place
and dotted path of the problem reported. A problem with a value is reported at its
key (``conversion: 140%`` at the column of ``conversion``); problems found while
reading YAML (tags, bytes, syntax) at the offending text itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from salesim.scenario import Location, ScenarioError, ScenarioIssue, load_scenario
from salesim.scenario.loader import loads_scenario

from .conftest import BASE_TEXT, edited


@dataclass(frozen=True)
class Case:
    name: str
    content: str | bytes
    where: str  # "t.yaml:LINE" or "t.yaml:LINE:COLUMN"
    path: str
    message: str
    hint: str = ""


CASES = [
    Case("typo key with a suggestion", edited({12: "  headcont: 4"}),
         "t.yaml:12:3", "sdr.headcont", "unknown field 'headcont'", "did you mean 'headcount'?"),
    Case("probability of 140%",
         edited({18: "    discovery: {conversion: 140%, duration: 2 weeks}"}),
         "t.yaml:18:17", "ae.stages.discovery.conversion", "140% is outside 0%..100%"),
    Case("negative headcount", edited({12: "  headcount: -2"}),
         "t.yaml:12:3", "sdr.headcount", "must be at least 0, got -2"),
    Case("horizon of zero", edited({4: "  horizon: 0 months"}),
         "t.yaml:4:3", "meta.horizon", "must be longer than zero (got 0 months)"),
    Case("rate written as 35",
         edited({18: "    discovery: {conversion: 35, duration: 2 weeks}"}),
         "t.yaml:18:17", "ae.stages.discovery.conversion", "35 is not a rate",
         "did you mean 35%?"),
    Case("segment shares summing to 95%",
         edited({7: "  enterprise: {share: 25%, deal_size: 150k}"}),
         "t.yaml:5:1", "segments", "segment shares sum to 95%, 5 points short of 100%",
         "adjust the shares so they add up to 100%"),
    Case("segment shares summing to 110%",
         edited({7: "  enterprise: {share: 40%, deal_size: 150k}"}),
         "t.yaml:5:1", "segments", "sum to 110%, 10 points over 100%"),
    Case("unknown segment in a segment_mix",
         edited({10: "  partners: {leads_per_month: 20, "
                     "segment_mix: {smbb: 50%, enterprise: 50%}}"}),
         "t.yaml:10:49", "channels.partners.segment_mix.smbb", "'smbb' is not a segment",
         "did you mean 'smb'?"),
    Case("unsafe python tag",
         edited({2: "  name: !!python/object/apply:os.system ['echo unsafe']"}),
         "t.yaml:2:9", "meta.name", "the YAML tag 'tag:yaml.org,2002:python/object/apply:"
         "os.system' is not allowed", "scenarios are plain data"),
    Case("custom tag", edited({12: "  headcount: !env SDR_COUNT"}),
         "t.yaml:12:14", "sdr.headcount", "the YAML tag '!env' is not allowed"),
    Case("missing base file", "extends: missing.yaml\n" + BASE_TEXT,
         "t.yaml:1:1", "extends", "file not found: missing.yaml",
         "check the path; 'extends' is relative to the file"),
    Case("empty file", "", "t.yaml:1:1", "", "the file is empty"),
    Case("only comments", "# nothing here yet\n", "t.yaml:1:1", "", "the file is empty"),
    Case("non-UTF-8 bytes", b"meta:\n  name: Caf\xe9\n", "t.yaml:2:12", "",
         "the file is not UTF-8 text (byte 0xe9)", "save the file as UTF-8"),
    Case("duplicate key", edited({13: "  headcount: 5\nae:"}),
         "t.yaml:13:3", "sdr.headcount", "duplicate key (first written at line 12)",
         "YAML keeps only the last one"),
    Case("duplicate section", edited(append=("sdr: {headcount: 9}",)),
         "t.yaml:21:1", "sdr", "duplicate key (first written at line 11)"),
    Case("YAML syntax error", edited({9: "  inbound: {leads_per_month: 200"}),
         "t.yaml:10:11", "", "YAML syntax error: expected ',' or '}', but got ':'",
         "while parsing a flow mapping that starts at line 9"),
    Case("tab indentation", edited({12: "\theadcount: 4"}),
         "t.yaml:12:1", "", "YAML syntax error: found character '\\t' that cannot start"),
    Case("wrong type for a mapping", edited({20: "cs: 5"}),
         "t.yaml:20:1", "cs", "expected a mapping (indented 'key: value' lines), got 5"),
    Case("list where a mapping belongs", edited({12: "  headcount: 4\n  attempts: [1, 2]"}),
         "t.yaml:13:3", "sdr.attempts", "expected a mapping"),
    Case("bad duration unit",
         edited({18: "    discovery: {conversion: 50%, duration: 2 fortnights}"}),
         "t.yaml:18:34", "ae.stages.discovery.duration", "unknown time unit 'fortnights'"),
    Case("p90 below the median",
         edited({6: "  smb: {share: 70%, deal_size: {lognormal: {median: 12k, p90: 8k}}}"}),
         "t.yaml:6:33", "segments.smb.deal_size.lognormal",
         "p90 must be greater than the median"),
    Case("hiring month outside the horizon", edited({16: "    - {month: 2029-03, count: 2}"}),
         "t.yaml:16:8", "ae.hiring.0.month", "2029-03 is outside the horizon",
         "the scenario runs 2027-01-01 to 2028-01-01"),
    Case("unknown stage in segment overrides",
         edited({7: "  enterprise: {share: 30%, deal_size: 150k, "
                    "stages: {discovry: {conversion: 10%}}}"}),
         "t.yaml:7:54", "segments.enterprise.stages.discovry", "'discovry' is not a stage",
         "did you mean 'discovery'?"),
    Case("working hours ending before they start",
         edited(append=("calendar: {working_hours: '18:00-09:00'}",)),
         "t.yaml:21:12", "calendar.working_hours",
         "'18:00-09:00' ends before it starts (night shifts are not supported)"),
    Case("working hours not as times", edited(append=("calendar: {working_hours: 9-5}",)),
         "t.yaml:21:12", "calendar.working_hours", "'9-5' is not working hours"),
    Case("currency mismatch",
         edited({7: "  enterprise: {share: 30%, deal_size: 150k EUR}"}),
         "t.yaml:7:28", "segments.enterprise.deal_size",
         "'150k EUR' is in EUR but the scenario's currency is USD"),
    Case("planned but unsupported section", edited(append=("bdr: {headcount: 3}",)),
         "t.yaml:21:1", "bdr", "'bdr' (outbound (BDR) teams) is not supported yet",
         "remove the section for now"),
    Case("missing required section", edited({20: None}),
         "t.yaml:1:1", "cs", "the scenario has no customer success team",
         "add a 'cs:' section, or a team with 'kind: cs' under 'teams'"),
    Case("value not in a list of choices", edited({14: "  headcount: 3\n  routing: least_load"}),
         "t.yaml:15:3", "ae.routing", "expected one of 'round_robin', 'least_loaded' or "
         "'by_segment', got 'least_load'", "did you mean 'least_loaded'?"),
    Case("text where a whole number belongs", edited({12: "  headcount: many"}),
         "t.yaml:12:3", "sdr.headcount", "expected a whole number, got 'many'"),
    Case("impossible date", edited({3: "  start: 2027-13-01"}),
         "t.yaml:3:10", "meta.start", "cannot read value: month must be in 1..12"),
    Case("seasonality with eleven months",
         edited({9: "  inbound: {leads_per_month: 200, seasonality: [1,1,1,1,1,1,1,1,1,1,1]}"}),
         "t.yaml:9:35", "channels.inbound.seasonality",
         "needs 12 monthly multipliers (January first), got 11"),
    Case("two distribution families",
         edited({18: "    discovery: {conversion: 50%, duration: {gamma: {mean: 3, cv: 1}, "
                     "lognormal: {median: 2, p90: 3}}}"}),
         "t.yaml:18:34", "ae.stages.discovery.duration",
         "name exactly one distribution family"),
    Case("misspelt distribution family",
         edited({18: "    discovery: {conversion: 50%, duration: {gama: {mean: 3, cv: 1}}}"}),
         "t.yaml:18:45", "ae.stages.discovery.duration.gama", "unknown field 'gama'",
         "did you mean 'gamma'?"),
    Case("both leads and spend for a channel",
         edited({9: "  inbound: {leads_per_month: 200, spend_per_month: 10k, cost_per_lead: 50}"}),
         "t.yaml:9:3", "channels.inbound", "give leads_per_month or spend_per_month, not both"),
    Case("a scenario that is not a mapping", "- meta\n- segments\n",
         "t.yaml:1:1", "", "a scenario must be a mapping of sections"),
    Case("extends that is not a file name", "extends: [a.yaml]\n" + BASE_TEXT,
         "t.yaml:1:1", "extends", "must be the path of a base scenario file"),
    Case("hire with both count and target",
         edited({16: "    - {month: 2027-03, count: 2, target: 9}"}),
         "t.yaml:16:7", "ae.hiring.0",
         "give either count (hires to make) or target (headcount to reach)"),
    Case("linear ramp without a unit", edited({12: "  headcount: 4\n  ramp: {linear: 5}"}),
         "t.yaml:13:10", "sdr.ramp.linear", "write the unit: {linear: 5 months}"),
    Case("ramp fraction above one", edited({12: "  headcount: 4\n  ramp: [0.5, 1.5]"}),
         "t.yaml:13:15", "sdr.ramp.1", "must be at most 1.0, got 1.5"),
    Case("unknown currency code", edited({2: "  name: Base\n  currency: euro"}),
         "t.yaml:3:3", "meta.currency",
         "expected a three-letter currency code such as USD, EUR or JPY, got 'EURO'"),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_problem_is_reported_where_it_is(case: Case, write: Callable[..., Path]) -> None:
    path = write("t.yaml", case.content)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    issues = caught.value.issues
    assert len(issues) == 1, [str(issue) for issue in issues]
    issue = issues[0]
    location = str(issue.location)
    assert location == case.where or location.startswith(case.where + ":"), location
    assert issue.path == case.path
    assert case.message in issue.message
    assert case.hint in issue.hint
    expected_line = (f"{issue.location}: {case.path + ': ' if case.path else ''}"
                     f"{issue.message}")
    assert str(issue).startswith(expected_line)
    if case.hint:
        assert str(issue).endswith(f" (hint: {issue.hint})")


def test_at_least_twenty_distinct_invalid_scenarios() -> None:
    assert len({case.content for case in CASES}) >= 20


def test_unsafe_tag_is_never_constructed(write: Callable[..., Path], tmp_path: Path) -> None:
    marker = tmp_path / "created"
    unsafe = f"  name: !!python/object/apply:os.system ['touch {marker}']"
    path = write("t.yaml", edited({2: unsafe}))
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert not marker.exists()


def test_typo_of_a_required_key_is_reported_once(write: Callable[..., Path]) -> None:
    path = write("t.yaml", edited({12: "  headcont: 4"}))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert not any("missing" in issue.message for issue in caught.value.issues)


def test_every_problem_is_reported_at_once_in_file_order(write: Callable[..., Path]) -> None:
    path = write("t.yaml", edited({
        4: "  horizon: 0 months",
        12: "  headcount: -2",
        18: "    discovery: {conversion: 140%, duration: 2 fortnights}",
    }, append=("bdr: {headcount: 3}",)))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    found = [(issue.location.line, issue.path) for issue in caught.value.issues]
    assert found == [
        (4, "meta.horizon"),
        (12, "sdr.headcount"),
        (18, "ae.stages.discovery.conversion"),
        (18, "ae.stages.discovery.duration"),
        (21, "bdr"),
    ]
    text = str(caught.value)
    assert len(text.splitlines()) == 5
    assert text.splitlines()[0].startswith("t.yaml:4:3: meta.horizon: ")


def test_cross_section_problems_are_reported_together(write: Callable[..., Path]) -> None:
    path = write("t.yaml", edited({
        7: "  enterprise: {share: 25%, deal_size: 150k}",
        10: "  partners: {leads_per_month: 20, segment_mix: {smbb: 50%, enterprise: 50%}}",
        16: "    - {month: 2029-03, count: 2}",
    }))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    paths = [issue.path for issue in caught.value.issues]
    assert paths == ["segments", "channels.partners.segment_mix.smbb", "ae.hiring.0.month"]


def test_problems_in_a_base_name_the_base_file(write: Callable[..., Path]) -> None:
    write("base.yaml", edited({12: "  headcount: -2"}))
    child = write("child.yaml", "extends: base.yaml\nmeta: {name: Child}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert [str(issue.location) for issue in caught.value.issues] == ["base.yaml:12:3"]


def test_problems_in_a_child_name_the_child_file(write: Callable[..., Path]) -> None:
    write("base.yaml", BASE_TEXT)
    child = write("sub/child.yaml", "extends: ../base.yaml\nae:\n  headcount: -1\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    issue = caught.value.issues[0]
    assert str(issue.location) == str(Path("sub/child.yaml")) + ":3:3"
    assert issue.path == "ae.headcount"


def test_extends_cycle_names_the_chain(write: Callable[..., Path]) -> None:
    write("a.yaml", "extends: b.yaml\n")
    write("b.yaml", "extends: a.yaml\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario("a.yaml")
    issue = caught.value.issues[0]
    assert str(issue.location) == "b.yaml:1:1"
    assert issue.path == "extends"
    assert issue.message == "extends forms a cycle: a.yaml -> b.yaml -> a.yaml"
    assert "cannot extend itself" in issue.hint


def test_a_scenario_extending_itself(write: Callable[..., Path]) -> None:
    write("self.yaml", "extends: self.yaml\n")
    with pytest.raises(ScenarioError, match=r"extends forms a cycle: self\.yaml -> self\.yaml"):
        load_scenario("self.yaml")


def test_missing_scenario_file(write: Callable[..., Path]) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario("nowhere.yaml")
    assert str(caught.value) == ("nowhere.yaml: file not found: nowhere.yaml "
                                 "(hint: check the path; 'extends' is relative to the file)")


def test_a_folder_is_not_a_scenario(write: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(ScenarioError, match="folder is a folder, not a scenario file"):
        load_scenario("folder")


def test_set_with_a_value_of_the_wrong_type_names_set(write: Callable[..., Path]) -> None:
    path = write("t.yaml", BASE_TEXT)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides=["ae.headcount=abc"])
    assert str(caught.value) == ("--set ae.headcount=abc: ae.headcount: expected a whole "
                                 "number, got 'abc'")


def test_errors_in_text_name_the_source() -> None:
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(edited({12: "  headcount: -2"}), source="inline")
    assert str(caught.value.issues[0].location) == "inline:12:3"


def test_issue_text_format() -> None:
    issue = ScenarioIssue(Location("s.yaml", 3, 5), "ae.headcount", "must be at least 0",
                          "hire someone")
    assert str(issue) == "s.yaml:3:5: ae.headcount: must be at least 0 (hint: hire someone)"
    assert str(ScenarioIssue(Location("s.yaml"), "", "the file is empty")) == (
        "s.yaml: the file is empty")
    error = ScenarioError([issue, issue])
    assert str(error) == f"{issue}\n{issue}"


@pytest.mark.parametrize(("value", "path", "message"), [
    ("{gamma: {mean: 10k, cv: .inf}}", "segments.smb.deal_size.gamma",
     "cv must be a finite number, got inf"),
    ("{lognormal: {mu: .nan, sigma: 1}}", "segments.smb.deal_size.lognormal",
     "mu must be a finite number, got nan"),
    ("{empirical: {values: [1k, 2k], weights: [.nan, 1]}}", "segments.smb.deal_size.empirical",
     "weights must be a finite number, got nan"),
    ("{normal: {mean: .inf, sd: 1k}}", "segments.smb.deal_size.normal.mean",
     "must be a finite number"),
])
def test_non_finite_distribution_parameters_are_refused(write: Callable[..., Path], value: str,
                                                        path: str, message: str) -> None:
    """Infinite or NaN parameters would pass as numbers and break sampling later."""
    file = write("t.yaml", BASE_TEXT)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file, overrides=[f"segments.smb.deal_size={value}"])
    (issue,) = caught.value.issues
    assert issue.path == path
    assert message in issue.message


def test_non_finite_bare_number_is_refused(write: Callable[..., Path]) -> None:
    file = write("t.yaml", BASE_TEXT)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(file, overrides=["ae.skill=.nan"])
    (issue,) = caught.value.issues
    assert (issue.path, issue.message) == ("ae.skill", "must be a finite number, got nan")
