"""Named teams and the routing between them: what validates, and what each mistake says.

Each case writes a small scenario with a ``teams:`` section, breaks one thing, and
checks the problem's file:line, field path, message and hint.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import pytest

from salesim.scenario import ScenarioError
from salesim.scenario.loader import loads_scenario

HEAD = """\
meta: {name: Teams, start: 2027-01-01, horizon: 12 months}
segments:
  smb: {share: 70%, deal_size: 12k}
  enterprise: {share: 30%, deal_size: 150k}
channels:
  inbound: {leads_per_month: 200}
  events: {leads_per_month: 50}
"""
STAGES = "stages: {discovery: {conversion: 50%, duration: 2 weeks}}"
TEAMS = f"""\
teams:
  インサイドセールス: {{kind: sdr, headcount: 3}}
  enterprise: {{kind: ae, headcount: 2, {STAGES}}}
  commercial: {{kind: ae, headcount: 3, {STAGES}}}
  success: {{kind: cs, headcount: 1}}
"""
ROUTING = """\
routing:
  meetings:
    - {segment: enterprise, to: enterprise}
    - {to: commercial}
"""


def load(text: str) -> object:
    return loads_scenario(textwrap.dedent(text), source="t.yaml")


def problems(text: str) -> list[tuple[str, str, str, str]]:
    with pytest.raises(ScenarioError) as caught:
        load(text)
    return [(f"{i.location.source}:{i.location.line}", i.path, i.message, i.hint)
            for i in caught.value.issues]


def test_a_valid_organisation_lists_every_team_in_order() -> None:
    scenario = load(HEAD + TEAMS + ROUTING)
    assert list(scenario.organisation) == [  # type: ignore[attr-defined]
        "インサイドセールス", "enterprise", "commercial", "success"]
    assert list(scenario.teams_of("ae")) == ["enterprise", "commercial"]  # type: ignore[attr-defined]


def test_shorthand_and_teams_mix_and_shorthand_comes_first() -> None:
    text = HEAD + f"sdr: {{headcount: 2}}\nae: {{headcount: 2, {STAGES}}}\n" + \
        "teams:\n  success: {kind: cs, headcount: 1}\n"
    scenario = load(text)
    assert list(scenario.organisation) == ["sdr", "ae", "success"]  # type: ignore[attr-defined]
    assert scenario.team_path("sdr") == ("sdr",)  # type: ignore[attr-defined]
    assert scenario.team_path("success") == ("teams", "success")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    where: str
    path: str
    message: str
    hint: str = ""


CASES = [
    Case("two AE teams and no rule for meetings", HEAD + TEAMS,
         "t.yaml:1", "routing.meetings",
         "there are 2 ae teams (enterprise, commercial): say which takes which meetings",
         "e.g. routing: {meetings: [{segment: ..., to: enterprise}, {to: commercial}]}"),
    Case("routing to a team that does not exist",
         HEAD + TEAMS + ROUTING.replace("to: commercial", "to: comercial"),
         "t.yaml:16", "routing.meetings.1.to", "'comercial' is not a team",
         "did you mean 'commercial'?"),
    Case("routing meetings to a CS team",
         HEAD + TEAMS + ROUTING.replace("to: commercial", "to: success"),
         "t.yaml:16", "routing.meetings.1.to", "'success' is a cs team; meetings go to ae teams",
         "ae teams: enterprise, commercial"),
    Case("a segment no rule takes",
         HEAD + TEAMS + ROUTING.replace("- {to: commercial}", "- {segment: [enterprise], "
                                        "to: commercial}"),
         "t.yaml:14", "routing.meetings",
         "some meetings match no rule: segment smb",
         "add a rule for them, or end with a catch-all {to: commercial}"),
    Case("a team nothing reaches",
         HEAD + TEAMS + ROUTING.replace("- {to: commercial}", "- {to: enterprise}"),
         "t.yaml:11", "teams.commercial", "nothing is routed to this ae team",
         "add a routing.meetings rule with 'to: commercial'"),
    Case("a team without its kind",
         HEAD + TEAMS.replace("{kind: cs, headcount: 1}", "{headcount: 1}"),
         "t.yaml:12", "teams.success", "a team needs its kind",
         "add 'kind:' with one of sdr, ae, cs"),
    Case("a kind that does not exist",
         HEAD + TEAMS.replace("kind: cs", "kind: csm") + ROUTING,
         "t.yaml:12", "teams.success",
         "unknown team kind 'csm': expected one of sdr, ae, cs", "did you mean 'cs'?"),
    Case("no customer success team", HEAD + TEAMS.replace(
        "  success: {kind: cs, headcount: 1}\n", "") + ROUTING,
         "t.yaml:1", "cs", "the scenario has no customer success team",
         "add a 'cs:' section, or a team with 'kind: cs' under 'teams'"),
    Case("a shorthand section and a team of the same name",
         HEAD + "sdr: {headcount: 1}\n" + TEAMS.replace("インサイドセールス", "sdr") + ROUTING,
         "t.yaml:10", "teams.sdr", "the team name 'sdr' is taken by the 'sdr:' section",
         "rename this team, or move that section here"),
    Case("leads routed by the team they come from",
         HEAD + TEAMS + ROUTING + "  leads:\n    - {source: enterprise, to: インサイドセールス}\n",
         "t.yaml:18", "routing.leads.0.source", "leads come from channels, not from a team",
         "use 'channel' to pick leads by channel"),
    Case("a channel that does not exist in a rule",
         HEAD + TEAMS + ROUTING + "  leads:\n    - {channel: evnts, to: インサイドセールス}\n"
         "    - {to: インサイドセールス}\n",
         "t.yaml:18", "routing.leads.0.channel.evnts", "'evnts' is not a channel",
         "did you mean 'events'?"),
    Case("routing by region without accounts",
         HEAD + TEAMS + ROUTING.replace("{segment: enterprise, to: enterprise}",
                                        "{region: kanto, to: enterprise}"),
         "t.yaml:15", "routing.meetings.0", "routing by region or industry needs accounts",
         "add an accounts section, or route by segment"),
    Case("a rule without a target",
         HEAD + TEAMS + ROUTING.replace("- {to: commercial}", "- {segment: smb}"),
         "t.yaml:16", "routing.meetings.1",
         "a rule needs a target: 'to: <team name>' or 'by: territory'"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_mistake_is_reported_where_it_is(case: Case) -> None:
    found = problems(case.text)
    assert (case.where, case.path, case.message, case.hint) in found, found


def test_score_bands_that_leave_a_gap_are_reported() -> None:
    text = HEAD + TEAMS.replace("  インサイドセールス: {kind: sdr, headcount: 3}\n",
                                "  hot: {kind: sdr, headcount: 1}\n"
                                "  warm: {kind: sdr, headcount: 1}\n") + ROUTING + \
        "  leads:\n    - {score_at_least: 70, to: hot}\n    - {score_below: 40, to: warm}\n"
    messages = [message for _, _, message, _ in problems(text)]
    assert "some leads match no rule: score from 40" in messages


def test_a_catch_all_closes_every_gap() -> None:
    text = HEAD + TEAMS.replace("  インサイドセールス: {kind: sdr, headcount: 3}\n",
                                "  hot: {kind: sdr, headcount: 1}\n"
                                "  warm: {kind: sdr, headcount: 1}\n") + ROUTING + \
        "  leads:\n    - {score_at_least: 70, channel: events, to: hot}\n    - {to: warm}\n"
    scenario = load(text)
    assert [rule.to for rule in scenario.routing.leads] == ["hot", "warm"]  # type: ignore[attr-defined]
