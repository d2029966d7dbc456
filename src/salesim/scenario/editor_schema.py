"""The JSON Schema of a scenario file, for editors that check YAML as it is typed.

It is generated from the :class:`~salesim.scenario.schema.Scenario` model, then
shaped for people writing files by hand:

- definitions get readable names (``DurationGamma`` rather than pydantic's
  spelling of a generic type) and defaults are written the way a scenario
  writes them (``"12 months"``, ``[1.0]``), so an editor's suggestions load;
- a file with ``extends:`` is checked as an overlay on its base: every key is
  optional, because the base provides what the overlay leaves out, and may be
  ``null``, which drops the base's value. Lists and distributions are replaced
  whole by an overlay, so they stay complete.

The loader remains the authority: the schema helps while typing, the loader's
errors (with file, line and field path) are what a run relies on.

>>> schema = scenario_json_schema()
>>> schema["$schema"]
'https://json-schema.org/draft/2020-12/schema'
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from salesim.scenario.distributions import (
    Distribution,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
)
from salesim.scenario.fields import DurationValue, Money
from salesim.scenario.schema import RampCurve, Scenario, WorkingHours, _ramp_serializer
from salesim.scenario.units import Duration

DRAFT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "salesim scenario"
OVERLAY_SUFFIX = "Overlay"

_QUANTITIES: dict[str, Any] = {"Duration": DurationValue, "Money": Money, "Number": float}
_PARAMETERS: dict[str, Any] = {
    "Exponential": Exponential, "Gamma": Gamma, "LogNormal": LogNormal, "Normal": Normal,
    "Triangular": Triangular, "Uniform": Uniform, "Empirical": Empirical,
}


def _as_written(value: Any) -> Any:
    """A default value in the form a scenario file writes it."""
    if isinstance(value, Duration | WorkingHours):
        return str(value)
    if isinstance(value, RampCurve):
        return _ramp_serializer(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, list | tuple):
        return [_as_written(item) for item in value]
    return value


class _Generator(GenerateJsonSchema):
    def encode_default(self, dft: Any) -> Any:
        return super().encode_default(_as_written(dft))


def _readable_names() -> dict[str, tuple[str, str]]:
    """Pydantic's title of each generic definition -> (definition name, title)."""
    names: dict[str, tuple[str, str]] = {}
    for quantity, annotation in _QUANTITIES.items():
        kind = quantity.lower()
        names[Distribution[annotation].__name__] = (  # type: ignore[valid-type]
            f"{quantity}Distribution", f"{kind} distribution")
        for family, model in _PARAMETERS.items():
            names[model[annotation].__name__] = (
                f"{quantity}{family}", f"{family.lower()} parameters ({kind})")
    return names


def _replace_refs(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: (renamed.get(value, value) if key == "$ref" else _replace_refs(value, renamed))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_replace_refs(item, renamed) for item in node]
    return node


def _rename_definitions(schema: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The schema with readable definition names, and the names of the value definitions
    (distributions and their parameters)."""
    readable = _readable_names()
    definitions: dict[str, Any] = schema["$defs"]
    renamed: dict[str, str] = {}
    tidy: dict[str, Any] = {}
    values: set[str] = set()
    for key, definition in definitions.items():
        name, title = key, definition.get("title")
        if title in readable:
            name, title = readable[title]
            values.add(name)
        renamed[f"#/$defs/{key}"] = f"#/$defs/{name}"
        tidy[name] = {**definition, "title": title} if title else definition
    result = _replace_refs({k: v for k, v in schema.items() if k != "$defs"}, renamed)
    result["$defs"] = _replace_refs(tidy, renamed)
    return result, values


_LITERAL_KEYS = ("default", "examples", "enum", "const")
_NULL = {"type": "null"}
_ANNOTATIONS = ("title", "description", "default", "examples")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or ``null``: in an overlay, ``key: null`` drops what the base set."""
    if "anyOf" in schema:
        options = schema["anyOf"]
        return schema if _NULL in options else {**schema, "anyOf": [*options, _NULL]}
    notes = {k: v for k, v in schema.items() if k in _ANNOTATIONS}
    rule = {k: v for k, v in schema.items() if k not in _ANNOTATIONS}
    return {**notes, "anyOf": [rule, _NULL]}


def _overlay(node: Any, values: set[str], in_list: bool = False) -> Any:
    """``node`` with nothing required, pointing at overlay definitions outside lists.

    Inside a list, and for ``values`` (definitions an overlay replaces whole), the
    complete definitions apply.
    """
    if isinstance(node, list):
        return [_overlay(item, values, in_list) for item in node]
    if not isinstance(node, dict):
        return node
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key == "required" and not in_list:
            continue
        if key in _LITERAL_KEYS:
            result[key] = value
        elif key == "$ref":
            name = value.removeprefix("#/$defs/")
            keep = in_list or name in values
            result[key] = value if keep else value + OVERLAY_SUFFIX
        elif key == "properties" and not in_list:
            result[key] = {name: _nullable(_overlay(sub, values)) for name, sub in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict) and not in_list:
            result[key] = _nullable(_overlay(value, values))
        elif key == "properties":
            result[key] = {name: _overlay(sub, values, in_list) for name, sub in value.items()}
        else:
            result[key] = _overlay(value, values, in_list or key in ("items", "prefixItems"))
    return result


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix("#/$defs/")} if "$ref" in node else set()
        for key, value in node.items():
            if key not in _LITERAL_KEYS:
                found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node))
    return set()


def _reachable(root: Any, candidates: dict[str, Any]) -> dict[str, Any]:
    """The ``candidates`` that ``root`` refers to, directly or through each other."""
    kept: dict[str, Any] = {}
    pending = _references(root)
    while pending:
        name = pending.pop()
        if name in candidates and name not in kept:
            kept[name] = candidates[name]
            pending |= _references(kept[name])
    return kept


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a scenario YAML file follows."""
    generated, values = _rename_definitions(
        Scenario.model_json_schema(schema_generator=_Generator, mode="validation")
    )
    definitions: dict[str, Any] = generated.pop("$defs")
    full = copy.deepcopy(generated)
    full["title"] = "Scenario"
    overlay = _overlay(full, values)
    overlay["title"] = "Scenario that extends another"
    overlay["description"] = (
        "A scenario with 'extends:' holds only what differs from its base scenario; "
        "every key is optional. Mappings merge key by key, lists and distributions "
        "replace the base's value whole."
    )
    overlay["properties"] = {
        "extends": {
            "type": "string",
            "minLength": 1,
            "description": "Path of the base scenario, relative to this file.",
            "examples": ["reference.yaml"],
        },
        **overlay["properties"],
    }
    overlay_definitions = _reachable(overlay, {
        name + OVERLAY_SUFFIX: _overlay(definition, values)
        for name, definition in definitions.items()
        if name not in values
    })
    return {
        "$schema": DRAFT,
        "title": TITLE,
        "description": (
            "A salesim scenario: the market, the sales teams and the plan. "
            "Durations are written '5 min', '3 business days' or '6 months' "
            "(a bare number is days); rates '35%' or 0.35; money 12000, '12k' or '$1.2M'."
        ),
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/ScenarioOverlay"},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": {
            "Scenario": full,
            "ScenarioOverlay": overlay,
            **dict(sorted({**definitions, **overlay_definitions}.items())),
        },
    }


def scenario_json_schema_text() -> str:
    """The schema as the text of ``salesim.schema.json`` (stable key order, UTF-8)."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
