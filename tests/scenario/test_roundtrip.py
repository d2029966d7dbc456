"""Any scenario the schema accepts survives dump_scenario -> loads_scenario unchanged.

The strategies below write valid scenarios the way people do: units in many forms
(including Japanese ones), every distribution family and parameter set, shares
that add up to 100%, and names in any script.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesim.scenario import Scenario, dump_scenario, load_scenario, loads_scenario
from salesim.scenario.editor_schema import scenario_json_schema
from salesim.scenario.schema import Meta
from salesim.scenario.units import add_months

from .conftest import SCENARIOS
from .test_schema import as_json

Draw = Any  # hypothesis' draw function inside @st.composite

# ----------------------------------------------------------------------------- basic values

NAME_CHARACTERS = st.one_of(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz_-0123456789"),
    st.sampled_from("中小企業堅大ウェビナー展示会営業日本語ÄéüñçøßΩЖ한국"),
    st.characters(categories=("L", "N")),
)
names = st.text(NAME_CHARACTERS, min_size=1, max_size=12)
free_text = st.text(max_size=40)

UNIT_LABELS = {
    "min": ["min", "minutes", "分"],
    "h": ["h", "hours", "時間"],
    "day": ["days", "d", "日"],
    "business_day": ["business days", "working days", "bd", "営業日"],
    "week": ["weeks", "w", "週間"],
    "month": ["months", "mo", "ヶ月", "か月"],
    "year": ["years", "y", "年"],
}
amounts = st.one_of(st.integers(1, 400), st.floats(0.05, 400).map(lambda x: round(x, 2)))


@st.composite
def durations(draw: Draw, minimum: float = 0.0) -> tuple[Any, str, float]:
    """(written form, unit key, amount): a bare number of days or 'amount unit'."""
    unit = draw(st.sampled_from(sorted(UNIT_LABELS)))
    amount = draw(amounts) + minimum
    if unit == "day" and draw(st.booleans()):
        return amount, unit, amount
    label = draw(st.sampled_from(UNIT_LABELS[unit]))
    space = draw(st.sampled_from(["", " "]))
    return f"{amount}{space}{label}", unit, amount


def written_duration(unit: str, amount: float, draw: Draw) -> Any:
    label = draw(st.sampled_from(UNIT_LABELS[unit]))
    return f"{amount} {label}"


positive_durations = durations().map(lambda d: d[0])


def money_text(amount: float, currency: str, draw: Draw) -> Any:
    form = draw(st.sampled_from(["number", "plain", "code", "k", "symbol"]))
    if form == "number":
        return amount
    if form == "plain":
        return f"{amount:,}"
    if form == "code":
        return f"{amount} {currency}"
    if form == "k":
        return f"{amount / 1000}k"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}[currency]
    return f"{symbol}{amount}"


def rate(draw: Draw) -> Any:
    return draw(st.one_of(st.floats(0, 1), st.integers(0, 100).map(lambda p: f"{p}%"),
                          st.floats(0, 100).map(lambda p: f"{p:.2f}%")))


rates = st.composite(lambda draw: rate(draw))()

# ----------------------------------------------------------------------------- distributions


@st.composite
def duration_distributions(draw: Draw) -> Any:
    """A duration distribution in any family and parameter set."""
    family = draw(st.sampled_from(["fixed", "bare", "exponential", "gamma", "lognormal",
                                   "normal", "triangular", "uniform", "empirical"]))
    unit = draw(st.sampled_from(sorted(UNIT_LABELS)))
    low = draw(amounts)
    step = draw(st.integers(1, 50))

    def at(amount: float) -> Any:
        return written_duration(unit, amount, draw)

    if family == "bare":
        return draw(positive_durations)
    if family == "fixed":
        return {"fixed": at(low)}
    if family == "exponential":
        return {"exponential": {"mean": at(low)}}
    if family == "gamma":
        form = draw(st.sampled_from(["cv", "sd", "native"]))
        if form == "cv":
            return {"gamma": {"mean": at(low), "cv": draw(st.floats(0.05, 3))}}
        if form == "sd":
            return {"gamma": {"mean": at(low), "sd": at(step)}}
        return {"gamma": {"shape": draw(st.floats(0.1, 20)), "scale": at(low)}}
    if family == "lognormal":
        form = draw(st.sampled_from(["p90", "sigma", "cv", "native"]))
        if form == "p90":
            return {"lognormal": {"median": at(low), "p90": at(low + step)}}
        if form == "sigma":
            return {"lognormal": {"median": at(low), "sigma": draw(st.floats(0.05, 2))}}
        if form == "cv":
            return {"lognormal": {"mean": at(low), "cv": draw(st.floats(0.05, 3))}}
        return {"lognormal": {"mu": draw(st.floats(-3, 6)), "sigma": draw(st.floats(0.05, 2))}}
    if family == "normal":
        return {"normal": {"mean": at(low), "sd": at(draw(st.integers(0, 20)))}}
    if family == "triangular":
        mode = low + draw(st.integers(0, 20))
        return {"triangular": {"low": at(low), "mode": at(mode), "high": at(mode + step)}}
    if family == "uniform":
        return {"uniform": {"low": at(low), "high": at(low + step)}}
    values = draw(st.lists(amounts, min_size=1, max_size=4))
    spec: dict[str, Any] = {"values": [at(v) for v in values]}
    if draw(st.booleans()):
        weights = draw(st.lists(st.floats(0, 10), min_size=len(values), max_size=len(values)))
        spec["weights"] = [w + 0.5 for w in weights]  # positive sum
    return {"empirical": spec}


@st.composite
def money_distributions(draw: Draw, currency: str) -> Any:
    family = draw(st.sampled_from(["bare", "lognormal", "gamma", "uniform", "triangular",
                                   "empirical", "normal", "exponential"]))
    low = draw(st.integers(100, 200_000))
    step = draw(st.integers(1, 100_000))

    def money(amount: float) -> Any:
        return money_text(amount, currency, draw)

    if family == "bare":
        return money(low)
    if family == "lognormal":
        return {"lognormal": {"median": money(low), "p90": money(low + step)}}
    if family == "gamma":
        return {"gamma": {"mean": money(low), "cv": draw(st.floats(0.05, 2))}}
    if family == "uniform":
        return {"uniform": {"low": money(low), "high": money(low + step)}}
    if family == "triangular":
        return {"triangular": {"low": money(low), "mode": money(low + step),
                               "high": money(low + 2 * step)}}
    if family == "normal":
        return {"normal": {"mean": money(low), "sd": money(step)}}
    if family == "exponential":
        return {"exponential": {"mean": money(low)}}
    return {"empirical": {"values": [money(low), money(low + step)]}}


@st.composite
def number_distributions(draw: Draw) -> Any:
    family = draw(st.sampled_from(["bare", "lognormal", "gamma", "uniform", "normal",
                                   "triangular", "empirical"]))
    low = draw(st.floats(0.01, 5))
    step = draw(st.floats(0.01, 5))
    if family == "bare":
        return draw(st.floats(-10, 10))
    if family == "lognormal":
        return {"lognormal": {"median": low, "p90": low + step}}
    if family == "gamma":
        return {"gamma": {"shape": draw(st.floats(0.1, 10)), "scale": low}}
    if family == "uniform":
        return {"uniform": {"low": -low, "high": step}}
    if family == "normal":
        return {"normal": {"mean": draw(st.floats(-5, 5)), "sd": step}}
    if family == "triangular":
        return {"triangular": {"low": low, "mode": low + step / 2, "high": low + step}}
    return {"empirical": {"values": draw(st.lists(st.floats(-5, 5), min_size=1, max_size=5))}}


# ----------------------------------------------------------------------------- sections


def shares(draw: Draw, keys: list[str]) -> dict[str, Any]:
    """Shares for ``keys`` that add up to 100%, as fractions or percentages."""
    weights = draw(st.lists(st.integers(1, 100), min_size=len(keys), max_size=len(keys)))
    total = sum(weights)
    as_percent = draw(st.booleans())
    return {key: f"{100 * w / total:.3f}%" if as_percent else w / total
            for key, w in zip(keys, weights, strict=True)}


def ramp(draw: Draw) -> Any:
    if draw(st.booleans()):
        return draw(st.lists(st.floats(0, 1), min_size=1, max_size=6))
    # a linear ramp is written with its unit (a bare number is refused there)
    written, _unit, amount = draw(durations())
    return {"linear": written if isinstance(written, str) else f"{amount} days"}


@st.composite
def scenarios(draw: Draw) -> dict[str, Any]:
    currency = draw(st.sampled_from(["USD", "EUR", "GBP", "JPY"]))
    start = draw(st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)))
    horizon = draw(st.one_of(
        st.integers(1, 60).map(lambda n: f"{n} months"),
        st.integers(1, 5).map(lambda n: f"{n}年"),
        st.integers(5, 200).map(lambda n: f"{n} weeks"),
        st.integers(30, 1500).map(lambda n: f"{n} days"),
    ))
    end = Meta.model_validate({"name": "x", "start": start, "horizon": horizon}).end
    first = start.replace(day=1)
    months = []
    while (month := add_months(first, len(months))) < end:
        months.append(month)
    month_texts = st.sampled_from([f"{m:%Y-%m}" for m in months])

    segment_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    stage_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    segment_shares = shares(draw, segment_names)

    def segment(name: str) -> dict[str, Any]:
        result: dict[str, Any] = {"share": segment_shares[name],
                                  "deal_size": draw(money_distributions(currency))}
        overrides = draw(st.lists(st.sampled_from(stage_names), unique=True, max_size=2))
        if overrides:
            result["stages"] = {
                stage: {key: value for key, value in (
                    ("conversion", rate(draw) if draw(st.booleans()) else None),
                    ("duration", draw(duration_distributions()) if draw(st.booleans())
                     else None),
                ) if value is not None}
                for stage in overrides
            }
        if draw(st.booleans()):
            result["valid_rate_multiplier"] = draw(st.floats(0, 10))
        return result

    def channel() -> dict[str, Any]:
        result: dict[str, Any] = {}
        if draw(st.booleans()):
            result["leads_per_month"] = draw(st.floats(0, 100_000))
            if draw(st.booleans()):
                result["cost_per_lead"] = money_text(draw(st.integers(0, 500)), currency, draw)
        else:
            result["spend_per_month"] = money_text(draw(st.integers(0, 10**6)), currency, draw)
            result["cost_per_lead"] = money_text(draw(st.integers(1, 500)), currency, draw)
        if draw(st.booleans()):
            result["fixed_cost_per_month"] = money_text(draw(st.integers(0, 10**5)),
                                                        currency, draw)
        if draw(st.booleans()):
            result["annual_growth"] = draw(st.one_of(
                st.floats(-1, 5), st.integers(-100, 300).map(lambda p: f"{p}%")))
        if draw(st.booleans()):
            result["seasonality"] = draw(st.lists(st.floats(0, 3), min_size=12, max_size=12))
        if draw(st.booleans()):
            result["ramp"] = ramp(draw)
        if draw(st.booleans()):
            bounds = sorted(draw(st.lists(month_texts, min_size=2, max_size=2)))
            result["start"], result["end"] = bounds
        if draw(st.booleans()):
            mix = draw(st.lists(st.sampled_from(segment_names), min_size=1, unique=True))
            result["segment_mix"] = shares(draw, mix)
        if draw(st.booleans()):
            result["not_ready_share"] = rate(draw)
        if draw(st.booleans()):
            result["score"] = {"attribute": draw(number_distributions()),
                               "behaviour": draw(number_distributions())}
        if draw(st.booleans()):
            weight = st.floats(0.01, 5)
            result["arrivals"] = {
                "days": draw(st.one_of(
                    st.just("flat"), st.lists(weight, min_size=7, max_size=7),
                    st.dictionaries(st.sampled_from(["mon", "tue", "sat", "sun"]), weight,
                                    min_size=1))),
                "hours": draw(st.one_of(st.just("flat"),
                                        st.lists(weight, min_size=24, max_size=24))),
            }
            if draw(st.booleans()) and "start" not in result:
                chosen = draw(st.lists(month_texts, min_size=1, max_size=3, unique=True))
                result["arrivals"]["monthly"] = {
                    m: draw(st.integers(0, 5000)) for m in chosen}
        return result

    def team() -> dict[str, Any]:
        result: dict[str, Any] = {"headcount": draw(st.integers(0, 500))}
        hires = []
        for _ in range(draw(st.integers(0, 3))):
            hire: dict[str, Any] = {"month": draw(month_texts)}
            if draw(st.booleans()):
                hire["count"] = draw(st.integers(1, 20))
            else:
                hire["target"] = draw(st.integers(0, 600))
            hires.append(hire)
        if hires:
            result["hiring"] = hires
        optional = {
            "time_to_fill": lambda: draw(duration_distributions()),
            "ramp": lambda: ramp(draw),
            "attrition": lambda: rate(draw),
            "backfill": lambda: draw(st.one_of(
                st.booleans(),
                st.fixed_dictionaries({"enabled": st.booleans(),
                                       "delay": duration_distributions()}))),
            "annual_cost": lambda: money_text(draw(st.integers(0, 500_000)), currency, draw),
            "quota": lambda: {"amount": money_text(draw(st.integers(1, 10**6)), currency, draw),
                              "period": draw(st.sampled_from(["month", "quarter", "year"]))},
        }
        for key, make in optional.items():
            if draw(st.booleans()):
                result[key] = make()
        return result

    def calendar() -> dict[str, Any]:
        begin = draw(st.integers(0, 22))
        finish = draw(st.integers(begin + 1, 24))
        days = draw(st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                             min_size=1, max_size=7, unique=True))
        return {
            "always_open": draw(st.booleans()),
            "working_days": days,
            "working_hours": f"{begin:02d}:{draw(st.sampled_from(['00', '30']))}-"
                             f"{finish:02d}:00",
            "holidays": draw(st.lists(st.dates(start, end), max_size=4)),
        }

    sdr = team()
    if draw(st.booleans()):
        within = sorted(draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=4,
                                      unique=True)))
        sdr["speed_to_lead"] = [{"within": f"{m} min", "multiplier": draw(st.floats(0, 1))}
                                for m in within]
    if draw(st.booleans()):
        sdr.update({
            "queue": draw(st.sampled_from(["fifo", "score_priority", "newest_first"])),
            "stale_after": draw(st.one_of(st.none(), positive_durations)),
            "handle_time": draw(duration_distributions()),
            "attempts": {"max": draw(st.integers(1, 50)),
                         "cadence": draw(st.lists(positive_durations, min_size=1, max_size=3))},
            "contact_rate": rate(draw),
            "meeting_rate": rate(draw),
            "meeting_lead_time": draw(duration_distributions()),
            "reschedule_rate": rate(draw),
            "no_show_rate": rate(draw),
            "valid_rate": {"at_score_0": rate(draw), "at_score_100": rate(draw)},
        })

    ae = team()
    ae["stages"] = {name: {"conversion": rate(draw), "duration": draw(duration_distributions())}
                    for name in stage_names}
    ae["routing"] = draw(st.sampled_from(["round_robin", "least_loaded", "by_segment"]))
    if ae["routing"] == "by_segment" or draw(st.booleans()):
        ae["segment_split"] = shares(draw, segment_names)
    if draw(st.booleans()):
        ae.update({
            "max_open_opportunities": draw(st.integers(1, 200)),
            "over_capacity": draw(st.sampled_from(["wait", "degrade"])),
            "degrade_per_extra": rate(draw),
            "skill": draw(number_distributions()),
        })

    cs = team()
    if draw(st.booleans()):
        cs.update({
            "accounts_per_csm": draw(st.integers(1, 500)),
            "onboarding_duration": draw(duration_distributions()),
            "onboarding_success": rate(draw),
            "overload_sensitivity": draw(st.floats(0, 10)),
        })

    data: dict[str, Any] = {
        "meta": {"name": draw(names), "description": draw(free_text), "currency": currency,
                 "start": start, "horizon": horizon},
        "segments": {name: segment(name) for name in segment_names},
        "channels": {name: channel()
                     for name in draw(st.lists(names, min_size=1, max_size=3, unique=True))},
        "sdr": sdr,
        "ae": ae,
        "cs": cs,
    }
    if draw(st.booleans()):
        data["calendar"] = calendar()
    if draw(st.booleans()):
        data["recycle"] = {
            "not_ready_share": rate(draw),
            "unreached_to_nurture": rate(draw),
            "disqualified_to_nurture": rate(draw),
            "reengage_rate": rate(draw),
            "reengage_after": draw(duration_distributions()),
            "max_cycles": draw(st.integers(0, 20)),
        }
    if draw(st.booleans()):
        data["customers"] = {
            "contract_term": draw(positive_durations),
            "renewal": {"onboarded": rate(draw), "not_onboarded": rate(draw)},
            "expansion": {"probability": rate(draw), "size": draw(number_distributions())},
            "contraction": {"probability": rate(draw), "size": draw(number_distributions())},
            "health_noise": draw(st.floats(0, 1)),
        }
    return data


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(scenario_json_schema())


def assert_round_trip(scenario: Scenario) -> str:
    text = dump_scenario(scenario)
    again = loads_scenario(text, source="dumped")
    assert again == scenario
    assert dump_scenario(again) == text
    return text


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(data=scenarios())
def test_any_valid_scenario_round_trips(data: dict[str, Any], validator: Any) -> None:
    written = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    scenario = loads_scenario(written, source="generated")
    text = assert_round_trip(scenario)
    # what salesim writes is also what the editor schema accepts
    errors = [error.message for error in validator.iter_errors(as_json(yaml.safe_load(text)))]
    assert errors == []


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")),
                         ids=lambda p: p.name)
def test_shipped_scenarios_round_trip(path: Any) -> None:
    assert_round_trip(load_scenario(path))


def test_dump_writes_unicode_as_text() -> None:
    text = dump_scenario(load_scenario(SCENARIOS / "japanese_example.yaml"))
    assert "日本語の例" in text
    assert "\\u" not in text
