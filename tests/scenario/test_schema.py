"""The scenario model's rules, and the JSON Schema editors use to check scenario files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from salesim.scenario import (
    Scenario,
    ScenarioError,
    dump_scenario,
    load_scenario,
    loads_scenario,
)
from salesim.scenario.editor_schema import (
    DRAFT,
    scenario_json_schema,
    scenario_json_schema_text,
)
from salesim.scenario.schema import (
    SDR,
    Calendar,
    Channel,
    Quota,
    RampCurve,
    WorkingHours,
    cross_section_problems,
)
from salesim.scenario.units import Duration

from .conftest import BASE_TEXT, REPO, SCENARIOS, edited

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def as_json(value: Any) -> Any:
    """YAML data as an editor sees it: dates are text (YAML 1.2 has no timestamps)."""
    if isinstance(value, dict):
        return {str(key): as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(scenario_json_schema())


def schema_errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    """Every complaint, including those nested under anyOf branches."""
    found = []
    pending = list(validator.iter_errors(data))
    while pending:
        error = pending.pop(0)
        found.append(f"{'.'.join(map(str, error.absolute_path))}: {error.message}")
        pending.extend(error.context or [])
    return found


# ----------------------------------------------------------------------------- the JSON Schema


def test_committed_schema_is_current() -> None:
    committed = (REPO / "salesim.schema.json").read_text(encoding="utf-8")
    assert committed == scenario_json_schema_text(), (
        "salesim.schema.json is out of date: run 'salesim schema --out salesim.schema.json'")


def test_schema_is_valid_draft_2020_12() -> None:
    schema = scenario_json_schema()
    assert schema["$schema"] == DRAFT
    assert schema["title"] == "salesim scenario"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_scenarios_point_editors_at_the_schema() -> None:
    for path in SHIPPED:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../salesim.schema.json", path.name


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_shipped_scenarios_follow_the_schema(path: Path, validator: Any) -> None:
    data = as_json(yaml.safe_load(path.read_text(encoding="utf-8")))
    assert schema_errors(validator, data) == []


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_dumped_scenarios_follow_the_schema(path: Path, validator: Any) -> None:
    data = as_json(yaml.safe_load(dump_scenario(load_scenario(path))))
    assert schema_errors(validator, data) == []


@pytest.mark.parametrize(
    ("replace", "append", "complaint"),
    [
        ({12: "  headcont: 4"}, (), "'headcont' was unexpected"),
        ({12: "  headcount: -2"}, (), "-2 is less than the minimum of 0"),
        ({18: "    discovery: {conversion: 35, duration: 2 weeks}"}, (), "35"),
        ({18: "    discovery: {conversion: 50%, duration: {gamma: {mean: 3, cv: 1}, "
              "lognormal: {median: 2, p90: 3}}}"}, (), "discovery.duration"),
        ({20: "cs: 5"}, (), "5 is not of type 'object'"),
        ({}, ("bdr: {headcount: 3}",), "'bdr' was unexpected"),
        ({14: "  headcount: 3\n  routing: least_load"}, (), "'least_load' is not one of"),
    ],
)
def test_schema_rejects_what_the_loader_rejects(replace: dict[int, str | None],
                                               append: tuple[str, ...], complaint: str,
                                               validator: Any) -> None:
    text = edited(replace, append)
    data = as_json(yaml.safe_load(text))
    errors = schema_errors(validator, data)
    assert errors, "the schema accepted an invalid scenario"
    assert any(complaint in error for error in errors), errors


def test_an_extending_file_needs_only_its_differences(validator: Any) -> None:
    data = {"extends": "reference.yaml", "meta": {"name": "Variant"},
            "segments": {"smb": None, "new": {"share": "10%"}}, "ae": {"headcount": 20}}
    assert schema_errors(validator, data) == []
    assert schema_errors(validator, {"extends": "reference.yaml", "ae": {"headcont": 20}})
    assert schema_errors(validator, {"meta": {"name": "Variant"}})  # no extends: incomplete


def test_lists_in_an_extending_file_stay_complete(validator: Any) -> None:
    data = {"extends": "reference.yaml", "ae": {"hiring": [{"count": 2}]}}
    assert any("'month' is a required property" in e for e in schema_errors(validator, data))


def test_distributions_in_the_schema(validator: Any) -> None:
    base = as_json(yaml.safe_load(BASE_TEXT))
    for written in ("2 weeks", 14, {"gamma": {"mean": "3 weeks", "cv": 0.5}},
                    {"lognormal": {"median": "2 weeks", "p90": "6 weeks"}}):
        base["ae"]["stages"]["discovery"]["duration"] = written
        assert schema_errors(validator, base) == [], written
    for written in ({}, {"gamma": {"mean": 3, "cv": 1}, "uniform": {"low": 1, "high": 2}},
                    {"gama": {"mean": 3}}, [1, 2], {"gamma": {"mean": 3, "cvv": 1}}):
        base["ae"]["stages"]["discovery"]["duration"] = written
        assert schema_errors(validator, base), written


def test_readable_definition_names() -> None:
    definitions = scenario_json_schema()["$defs"]
    for name in ("Scenario", "ScenarioOverlay", "DurationDistribution", "MoneyDistribution",
                 "NumberDistribution", "DurationGamma", "MoneyLogNormal", "Meta", "AE"):
        assert name in definitions
    assert not [name for name in definitions if "Annotated" in name or "[" in name]


def _defaults(node: Any, where: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if "default" in node:
            found.append((where, node))
        for key, value in node.items():
            if key not in ("default", "examples"):
                found += _defaults(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _defaults(value, f"{where}/{index}")
    return found


def test_every_default_in_the_schema_is_valid_where_it_stands() -> None:
    schema = scenario_json_schema()
    defaults = _defaults(schema)
    assert len(defaults) > 50
    for where, node in defaults:
        rule = {k: v for k, v in node.items() if k != "default"}
        rule["$defs"] = schema["$defs"]
        errors = list(jsonschema.Draft202012Validator(rule).iter_errors(node["default"]))
        assert errors == [], (where, node["default"])


def test_documented_defaults_are_the_models_defaults() -> None:
    meta = scenario_json_schema()["$defs"]
    assert meta["Customers"]["properties"]["contract_term"]["default"] == "12 months"
    assert meta["Calendar"]["properties"]["working_hours"]["default"] == "09:00-18:00"
    assert meta["SDR"]["properties"]["ramp"]["default"] == [1.0]
    assert meta["Attempts"]["properties"]["cadence"]["default"] == [
        "1 business day", "2 business days", "3 business days"]


# ----------------------------------------------------------------------------- model rules


def test_cross_section_problems_empty_for_valid_scenarios() -> None:
    for path in SHIPPED:
        assert cross_section_problems(load_scenario(path)) == []


def test_validating_the_model_directly_also_checks_cross_sections() -> None:
    data = yaml.safe_load(edited({7: "  enterprise: {share: 25%, deal_size: 150k}"}))
    with pytest.raises(ValidationError, match="segments: segment shares sum to 95%"):
        Scenario.model_validate(data)


def test_by_segment_routing_needs_a_split() -> None:
    text = edited({14: "  headcount: 3\n  routing: by_segment"})
    with pytest.raises(ScenarioError, match="routing by_segment needs segment_split"):
        loads_scenario(text)
    text = edited({14: "  headcount: 3\n  routing: by_segment\n"
                       "  segment_split: {smb: 60%, enterprise: 40%}"})
    assert loads_scenario(text).ae.segment_split == {"smb": 0.6, "enterprise": 0.4}


def test_ae_time_names_existing_stages_and_sensible_thresholds() -> None:
    text = edited({14: "  headcount: 3\n  time: {per_stage: {pitch: 2 h}}"})
    with pytest.raises(ScenarioError, match="pitch") as caught:
        loads_scenario(text)
    assert caught.value.issues[0].path == "ae.time.per_stage.pitch"
    text = edited({14: "  headcount: 3\n  time: {overload_from: 95%, max_utilisation: 90%}"})
    with pytest.raises(ScenarioError, match="above max_utilisation") as caught:
        loads_scenario(text)
    assert caught.value.issues[0].path == "ae.time.overload_from"
    text = edited({14: "  headcount: 3\n  time: {selling_hours_per_week: 30, per_stage: 3 h}"})
    time = loads_scenario(text).ae.time
    assert time is not None
    assert time.hours_per_week(loads_scenario(text).calendar) == 30


def test_prospecting_names_existing_segments_and_keeps_its_channel_name() -> None:
    prospect = "  time: {prospecting: {opportunities_per_hour: 0.05, %s}}"
    text = edited({14: "  headcount: 3\n" + prospect % "segment_mix: {smb: 50%, mid: 50%}"})
    with pytest.raises(ScenarioError, match="mid") as caught:
        loads_scenario(text)
    assert caught.value.issues[0].path == "ae.time.prospecting.segment_mix.mid"
    text = edited({9: "  self_sourced: {leads_per_month: 200}",
                   14: "  headcount: 3\n" + prospect % "share: 50%"})
    with pytest.raises(ScenarioError, match="kept for the opportunities AEs source") as caught:
        loads_scenario(text)
    assert caught.value.issues[0].path == "channels.self_sourced"
    text = edited({14: "  headcount: 3\n" + prospect % "share: 50%"})
    time = loads_scenario(text).ae.time
    assert time is not None
    assert time.prospecting is not None
    assert time.prospecting.share == 0.5
    assert time.prospecting.opportunities_per_hour == 0.05


def test_channel_outside_the_horizon() -> None:
    text = edited({9: "  inbound: {leads_per_month: 200, start: 2026-06}"})
    with pytest.raises(ScenarioError, match=r"2026-06 is outside the horizon") as caught:
        loads_scenario(text)
    assert caught.value.issues[0].path == "channels.inbound.start"


def test_linear_ramp_is_the_monthly_average_of_a_straight_line() -> None:
    ramp = RampCurve.model_validate({"linear": "4 months"})
    assert ramp.monthly_fractions() == pytest.approx((0.125, 0.375, 0.625, 0.875))
    assert ramp.months_to_full == 4
    half = RampCurve.model_validate({"linear": "2.5 months"}).monthly_fractions()
    # months 1 and 2 rise evenly; month 3 rises for half a month, then is at 100%
    assert half == pytest.approx((0.2, 0.6, 0.5 * (0.8 + 1.0) / 2 + 0.5))


def test_ramp_forms() -> None:
    assert RampCurve.model_validate([0.5, 1.0]).monthly_fractions() == (0.5, 1.0)
    with pytest.raises(ValidationError, match="not both"):
        RampCurve.model_validate({"fractions": [1.0], "linear": "2 months"})
    with pytest.raises(ValidationError, match="empty"):
        RampCurve.model_validate([])


def test_working_hours() -> None:
    hours = WorkingHours.parse("9:00〜18:30")
    assert (hours.start_hour, hours.end_hour, hours.hours) == (9, 18.5, 9.5)
    assert str(hours) == "09:00-18:30"
    assert WorkingHours.parse("00:00-24:00").hours == 24
    assert str(WorkingHours.parse("00:00-24:00")) == "00:00-24:00"
    for bad in ("25:00-26:00", "09:60-10:00", "18:00-09:00", "9-5"):
        with pytest.raises(ValueError, match=r"working hours|impossible|ends before"):
            WorkingHours.parse(bad)


def test_calendar() -> None:
    calendar = Calendar.model_validate({"working_days": ["Friday", "MON", "wed"]})
    assert calendar.working_days == ("mon", "wed", "fri")
    assert calendar.hours_per_week == 27
    assert Calendar(always_open=True).hours_per_week == 168
    with pytest.raises(ValidationError, match="lists a day twice"):
        Calendar.model_validate({"working_days": ["mon", "monday"]})


def test_channel_volume() -> None:
    paid = Channel.model_validate({"spend_per_month": "150k", "cost_per_lead": 150})
    assert paid.base_leads_per_month == 1000
    with pytest.raises(ValidationError, match="needs leads_per_month"):
        Channel.model_validate({"spend_per_month": "150k"})
    with pytest.raises(ValidationError, match="infinite leads"):
        Channel.model_validate({"spend_per_month": "150k", "cost_per_lead": 0})


def test_quota_per_month() -> None:
    assert Quota.model_validate({"amount": "600k", "period": "year"}).per_month == 50_000
    assert Quota.model_validate({"amount": 15}).per_month == 15
    assert Quota.model_validate({"amount": 30, "period": "quarter"}).per_month == 10


def test_speed_to_lead_multiplier() -> None:
    sdr = load_scenario(SCENARIOS / "reference.yaml").sdr
    assert sdr.speed_multiplier(3) == 1.0
    assert sdr.speed_multiplier(7) == 0.5
    assert sdr.speed_multiplier(60) == 0.3
    assert sdr.speed_multiplier(10 * 1440) == 0.15


def test_default_speed_to_lead_follows_the_lead_response_figures() -> None:
    """The domain's figures: a first call within 5 minutes books 5x the meetings of one
    at 10 minutes ("400% higher"), and qualifies about 20x as often as one after 30;
    slower calls never do better than faster ones."""
    sdr = SDR(headcount=1)
    assert sdr.speed_multiplier(5) / sdr.speed_multiplier(10) == pytest.approx(5)
    assert sdr.speed_multiplier(5) / sdr.speed_multiplier(30) == pytest.approx(20)
    minutes = [1, 5, 6, 10, 11, 30, 31, 60, 61, 1440, 1441, 3 * 1440, 30 * 1440]
    multipliers = [sdr.speed_multiplier(m) for m in minutes]
    assert multipliers == sorted(multipliers, reverse=True)
    assert multipliers[-1] > 0


def test_horizon_end_and_months() -> None:
    scenario = loads_scenario(BASE_TEXT)
    assert scenario.meta.end == dt.date(2028, 1, 1)
    assert scenario.months[0] == dt.date(2027, 1, 1)
    assert scenario.months[-1] == dt.date(2027, 12, 1)
    assert scenario.month_index(dt.date(2027, 6, 1)) == 5
    assert scenario.meta.horizon == Duration(12, "month")


def test_json_schema_text_is_stable() -> None:
    text = scenario_json_schema_text()
    assert text.endswith("}\n")
    assert json.loads(text) == scenario_json_schema()
    assert scenario_json_schema_text() == text


@pytest.mark.parametrize("written", ["12", "12.5", "'12'"])
def test_a_horizon_without_a_unit_is_refused_with_a_hint(written: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(edited({4: f"  horizon: {written}"}))
    (issue,) = caught.value.issues
    assert issue.location.line == 4
    assert issue.path == "meta.horizon"
    assert "no unit" in issue.message
    assert issue.hint.startswith("did you mean '12")
    assert issue.hint.endswith(" months'?")


def test_a_bare_number_is_still_days_elsewhere() -> None:
    scenario = loads_scenario(edited({4: "  horizon: 90 days"},
                                     append=("customers: {contract_term: 365}",)))
    assert scenario.meta.horizon == Duration(90, "day")
    assert scenario.customers.contract_term == Duration(365, "day")


def test_arrival_profiles_read_every_form_and_refuse_bad_ones() -> None:
    channel = Channel.model_validate({"leads_per_month": 10, "arrivals": {
        "days": {"Monday": 2, "fri": 1}, "hours": "flat", "monthly": {"2027-03": 40}}})
    assert channel.arrivals.days == (2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    assert channel.arrivals.hours == (1.0,) * 24
    assert channel.arrivals.monthly_volumes(dt.date(2027, 1, 1)) == {dt.date(2027, 3, 1): 40}
    assert Channel.model_validate({"leads_per_month": 10}).arrivals.days[5] < 1  # default
    for bad, message in [({"days": [1, 2]}, "needs 7 day-of-week weights"),
                         ({"hours": [0] * 24}, "every weight is 0"),
                         ({"days": {"someday": 1}}, "unknown day 'someday'"),
                         ({"hours": [-1] + [1] * 23}, "greater than or equal to 0")]:
        with pytest.raises(ValidationError, match=message):
            Channel.model_validate({"leads_per_month": 10, "arrivals": bad})


def test_monthly_volumes_outside_the_horizon_or_the_channel_window_are_problems() -> None:
    with pytest.raises(ScenarioError) as caught:
        loads_scenario(edited({9: "  inbound: {leads_per_month: 200, arrivals: "
                                  "{monthly: {2026-12: 5, 2027-02: 9}}}",
                               10: "  partners: {leads_per_month: 20, start: 2027-06, "
                                   "arrivals: {monthly: [1, 2, 3]}}"}))
    found = {(issue.path, issue.message) for issue in caught.value.issues}
    assert ("channels.inbound.arrivals.monthly.2026-12",
            "2026-12 is outside the horizon") in found
    assert ("channels.partners.arrivals.monthly.0",
            "2027-01 is outside the channel's start and end") in found
    assert len(found) == 4  # 2027-02 is fine; partners' three listed months are early


def test_sdr_queue_and_stale_after() -> None:
    sdr = SDR.model_validate({"headcount": 1, "queue": "newest_first",
                              "stale_after": "5 business days"})
    assert sdr.stale_after == Duration(5, "business_day")
    with pytest.raises(ValidationError):
        SDR.model_validate({"headcount": 1, "stale_after": "0 days"})


@pytest.mark.parametrize("arrivals", [
    "flat",
    {"days": "flat", "hours": [1] * 24},
    {"days": {"mon": 1, "Fri": 0.5}, "monthly": {"2027-02": 700}},
    {"days": [1, 1, 1, 1, 1, 0, 0], "monthly": [800, 750]},
])
def test_editor_schema_takes_every_arrivals_form(validator: jsonschema.Draft202012Validator,
                                                 arrivals: Any) -> None:
    data = yaml.safe_load(edited())
    data["channels"]["inbound"]["arrivals"] = arrivals
    assert not list(validator.iter_errors(as_json(data)))
    Scenario.model_validate(data)  # and the model reads it


@pytest.mark.parametrize("arrivals", [{"days": [1, 2]}, {"hours": "sometimes"},
                                      {"days": {"someday": 1}}])
def test_editor_schema_flags_bad_arrivals(validator: jsonschema.Draft202012Validator,
                                          arrivals: Any) -> None:
    data = yaml.safe_load(edited())
    data["channels"]["inbound"]["arrivals"] = arrivals
    assert list(validator.iter_errors(as_json(data)))
