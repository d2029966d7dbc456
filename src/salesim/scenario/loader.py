"""Load a scenario from YAML: safe parsing with positions, ``extends:``, ``--set`` overrides,
and validation whose every problem names its file, line, column and field path.

>>> from salesim.scenario.loader import load_scenario
>>> scenario = load_scenario("scenarios/minimal.yaml", overrides={"ae.headcount": 3})
>>> scenario.ae.headcount
3
"""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from salesim.roles import KINDS
from salesim.scenario.distributions import Distribution
from salesim.scenario.errors import Location, ScenarioError, ScenarioIssue
from salesim.scenario.schema import PLANNED_SECTIONS, Meta, Scenario, cross_section_problems
from salesim.scenario.uncertain import UncertainValue

PathKey = tuple[str | int, ...]
Positions = dict[PathKey, Location]

_SAFE_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge")
}


# ----------------------------------------------------------------------------- YAML with positions


def _location(source: str, mark: Any) -> Location:
    return Location(source, mark.line + 1, mark.column + 1) if mark else Location(source)


def _read_text(path: Path, source: str, origin: Location | None) -> str:
    """The text of a scenario file; ``origin`` is the ``extends`` that named it, if any."""
    where = origin or Location(source)
    field = "extends" if origin else ""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError.single(where, f"file not found: {shown_path(path)}",
                                   "check the path; 'extends' is relative to the file",
                                   field) from None
    except IsADirectoryError:
        raise ScenarioError.single(where, f"{shown_path(path)} is a folder, not a scenario file",
                                   "", field) from None
    except OSError as error:
        raise ScenarioError.single(where, f"cannot read {shown_path(path)}: {error.strerror}",
                                   "", field) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise ScenarioError.single(
            Location(source, line, column),
            f"the file is not UTF-8 text (byte 0x{raw[error.start]:02x})",
            "save the file as UTF-8",
        ) from None


def parse_yaml(text: str, source: str) -> tuple[Any, Positions]:
    """Parse YAML safely and return the data with the position of every key and item."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        hint = error.context or ""
        if hint and error.context_mark is not None:
            hint += f" that starts at line {error.context_mark.line + 1}"
        raise ScenarioError.single(
            _location(source, error.problem_mark),
            f"YAML syntax error: {error.problem}",
            hint,
        ) from None
    if root is None:
        raise ScenarioError.single(Location(source, 1, 1), "the file is empty",
                                   "a scenario needs at least meta, segments, channels, "
                                   "sdr, ae and cs; see scenarios/minimal.yaml")
    reader = _Reader(source)
    reader.positions[()] = _location(source, root.start_mark)
    data = reader.value(root, ())
    if reader.issues:
        raise ScenarioError(reader.issues)
    return data, reader.positions


MAX_VALUES = 100_000
"""Keys, items and values a scenario may hold once YAML aliases are expanded: far more
than any real scenario, far less than an alias bomb (aliases nesting aliases, each
doubling the data) would make."""


class _Reader:
    """Turns composed YAML nodes into plain data, noting where every key and item was."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.positions: Positions = {}
        self.issues: list[ScenarioIssue] = []
        self.constructor = yaml.SafeLoader("")
        self.open: set[int] = set()  # nodes being read: an alias to one is a cycle
        self.values = 0

    def value(self, node: yaml.Node, path: PathKey) -> Any:
        where = _location(self.source, node.start_mark)
        dotted = ".".join(map(str, path))
        self.values += 1
        if self.values > MAX_VALUES:
            if self.values == MAX_VALUES + 1:
                self.issues.append(ScenarioIssue(
                    where, dotted, f"the scenario expands to more than {MAX_VALUES:,} values",
                    "YAML aliases (*name) here repeat data many times over; write the "
                    "values out instead"))
            return None
        if id(node) in self.open:
            self.issues.append(ScenarioIssue(
                where, dotted, "this alias refers to a section that contains it",
                "an anchor (&name) cannot be used inside itself"))
            return None
        self.open.add(id(node))
        try:
            return self._read(node, path, where, dotted)
        finally:
            self.open.discard(id(node))

    def _read(self, node: yaml.Node, path: PathKey, where: Location, dotted: str) -> Any:
        source, positions, issues = self.source, self.positions, self.issues
        constructor = self.constructor
        if node.tag not in _SAFE_TAGS:
            issues.append(ScenarioIssue(
                where, dotted, f"the YAML tag '{node.tag}' is not allowed",
                "scenarios are plain data: remove the tag (no !!python/... or custom tags)"))
            return None
        if isinstance(node, yaml.MappingNode):
            # Keys written here, as opposed to keys brought in by a merge ('<<: *anchor'):
            # a written key overrides a merged one, as YAML specifies; only two written
            # keys with the same name are a duplicate.
            written = {id(key) for key, _ in node.value if key.tag != "tag:yaml.org,2002:merge"}
            constructor.flatten_mapping(node)
            result: dict[str, Any] = {}
            written_keys: set[str] = set()
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    issues.append(ScenarioIssue(
                        _location(source, key_node.start_mark), dotted,
                        "a key must be a plain name, not a list or mapping"))
                    continue
                # Keys are names: 'on', 'yes' or '2027' stay the text that was written.
                key = str(key_node.value)
                key_path = (*path, key)
                key_where = _location(source, key_node.start_mark)
                is_written = id(key_node) in written
                if key in result:
                    if is_written and key in written_keys:
                        first = positions[key_path]
                        issues.append(ScenarioIssue(
                            key_where, ".".join(map(str, key_path)),
                            f"duplicate key (first written at line {first.line})",
                            "YAML keeps only the last one; remove one of them"))
                        continue
                    for stale in [p for p in positions if p[:len(key_path)] == key_path]:
                        del positions[stale]
                if is_written:
                    written_keys.add(key)
                positions[key_path] = key_where
                result[key] = self.value(value_node, key_path)
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                positions[(*path, index)] = _location(source, item.start_mark)
                items.append(self.value(item, (*path, index)))
            return items
        try:
            return constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as error:
            issues.append(ScenarioIssue(where, dotted, f"cannot read value: {error}"))
            return None


# ----------------------------------------------------------------------------- extends and merge


def deep_merge(base: Any, override: Any, path: PathKey = ()) -> Any:
    """Mappings merge key by key; anything else in ``override`` replaces ``base``.

    ``key: null`` in ``override`` removes ``key`` from ``base``, so a variant can
    drop a segment or channel it inherits (or let a setting fall back to its default).
    A distribution is one value, not a section: an override such as
    ``{gamma: {mean: 5 days, cv: 0.5}}`` replaces the base's distribution whole
    (merging it into a base ``{lognormal: ...}`` would name two families).
    ``path`` is where ``base`` sits in a scenario, to tell distributions apart.
    """
    if isinstance(base, dict) and isinstance(override, dict) and not _is_distribution(path):
        merged = dict(base)
        for key, value in override.items():
            if value is None and key in base:
                del merged[key]
            elif key in base:
                merged[key] = deep_merge(base[key], value, (*path, key))
            else:
                merged[key] = value
        return merged
    return override


def _is_distribution(path: PathKey) -> bool:
    if not path:
        return False
    model = model_at(path)
    return model is not None and issubclass(model, Distribution | UncertainValue)


def _overlay_positions(base: Positions, child: Positions, child_data: Any) -> Positions:
    merged = {
        path: where for path, where in base.items()
        if not _replaced_by(path, child_data)
    }
    merged.update(child)
    return merged


def _replaced_by(path: PathKey, child_data: Any) -> bool:
    node = child_data
    for part in path:
        if not isinstance(node, dict):
            return True
        if part not in node:
            return False
        node = node[part]
    return True


def _load_tree(path: Path, chain: tuple[Path, ...], origin: Location | None
               ) -> tuple[dict[str, Any], Positions]:
    source = str(path)
    data, positions = parse_yaml(_read_text(path, source, origin), source)
    if not isinstance(data, dict):
        raise ScenarioError.single(positions[()], "a scenario must be a mapping of sections",
                                   "start with 'meta:' on the first line")
    if "extends" not in data:
        return data, positions
    extends_where = positions[("extends",)]
    parent = data.pop("extends")
    positions = {p: w for p, w in positions.items() if p[:1] != ("extends",)}
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError.single(extends_where, "must be the path of a base scenario file",
                                   "e.g. extends: reference.yaml", "extends")
    parent_path = (path.parent / parent).resolve()
    if parent_path in chain or parent_path == path:
        cycle = " -> ".join(str(p.name) for p in (*chain, path, parent_path))
        raise ScenarioError.single(extends_where, f"extends forms a cycle: {cycle}",
                                   "a scenario cannot extend itself, directly or indirectly",
                                   "extends")
    base, base_positions = _load_tree(parent_path, (*chain, path), extends_where)
    return deep_merge(base, data), _overlay_positions(base_positions, positions, data)


# ----------------------------------------------------------------------------- overrides


def _split_override(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key.strip():
        raise ScenarioError.single(Location(f"--set {item}"), "expected key=value",
                                   "e.g. --set ae.headcount=24")
    return key.strip(), value


def normalise_overrides(overrides: Mapping[str, Any] | Iterable[str] | None
                        ) -> list[tuple[str, Any, str]]:
    """``{"a.b": 1}`` or ``["a.b=1"]`` as (dotted key, value, how it was written).

    Text values are read as YAML (``3`` is a number, ``[1, 2]`` a list); text YAML
    cannot read, such as ``2027-02-30``, stays text for validation to judge.
    """
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return [(str(k), v, f"--set {k}={v}") for k, v in overrides.items()]
    result = []
    for item in overrides:
        key, text = _split_override(item)
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except (yaml.YAMLError, ValueError):
            value = text
        result.append((key, value, f"--set {item}"))
    return result


def apply_overrides(data: dict[str, Any], positions: Positions,
                    overrides: Sequence[tuple[str, Any, str]]) -> None:
    """Set each dotted key in place; list items are addressed by index (``ae.hiring.0.count``).

    A name that is not in a collection (``channels.webnars.leads_per_month``) is an
    error with the closest existing name as hint, never a new entry by accident; a new
    entry is set whole (``channels.events={leads_per_month: 30}``). A value written
    for a text field stays the text that was written (``meta.name=2027``).
    """
    for key, value, written in overrides:
        where = Location(written)
        parts: list[str | int] = []
        node: Any = data
        segments = key.split(".")
        for depth, part in enumerate(segments):
            last = depth == len(segments) - 1
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise ScenarioError.single(
                        where, f"'{part}' is not an item of the list at "
                        f"{'.'.join(map(str, parts))}",
                        f"use an index from 0 to {len(node) - 1}", key)
                index: str | int = int(part)
            elif isinstance(node, dict):
                index = part
            else:
                raise ScenarioError.single(where, f"{'.'.join(map(str, parts))} is a value, "
                                           "not a section", "", key)
            if not last and isinstance(node, dict) and index not in node \
                    and _is_collection(tuple(parts)):
                _unknown_name(where, key, tuple(parts), str(index), node, segments[depth + 1:])
            parts.append(index)
            if last:
                node[index] = _as_written(value, written, tuple(parts))
            else:
                if isinstance(node, dict) and (index not in node or node[index] is None):
                    node[index] = {}
                node = node[index]
        stale = [p for p in positions if p[: len(parts)] == tuple(parts)]
        for path in stale:
            del positions[path]
        positions[tuple(parts)] = where


def _unknown_name(where: Location, key: str, collection: PathKey, name: str,
                  entries: dict[str, Any], rest: Sequence[str]) -> None:
    dotted = ".".join(map(str, collection))
    known = ", ".join(map(str, entries)) or "none yet"
    close = difflib.get_close_matches(name, [str(k) for k in entries], n=1)
    if close:
        hint = f"did you mean '{'.'.join([dotted, close[0], *rest])}'?"
    else:
        hint = f"to add one, set it whole: --set {dotted}.{name}={{...}}"
    raise ScenarioError.single(where, f"no entry '{name}' in {dotted} (known: {known})",
                               hint, key)


def _as_written(value: Any, written: str, path: PathKey) -> Any:
    """A number, date or yes/no that YAML read from ``--set`` text for a text field is
    put back to the text that was written."""
    if isinstance(value, str) or not isinstance(value, int | float | bool | dt.date):
        return value
    if not written.startswith("--set ") or _annotation_at(path) is not str:
        return value
    return written.partition("=")[2].strip()


# ----------------------------------------------------------------------------- validation


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional to reach the type a field really holds."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _member_with(annotation: Any, field: str) -> Any:
    """In a union of models (a team of any kind), the first member that has ``field``;
    anything else as it is."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    for member in typing.get_args(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel) and \
                field in member.model_fields:
            return member
    return annotation


def model_at(path: PathKey, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
    """The scenario model found at ``path``, or None where the path is not a model."""
    current: Any = root
    pending_container = False
    for part in path:
        current = _unwrap(current)
        if pending_container:
            args = typing.get_args(current)
            current = args[-1] if typing.get_origin(current) is dict else args[0]
            pending_container = False
            continue
        current = _member_with(current, str(part))
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = field.annotation
        inner = _unwrap(current)
        if typing.get_origin(inner) in (dict, tuple, list):
            current = inner
            pending_container = True
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return current
    return None


def _annotation_at(path: PathKey) -> Any:
    """The type the scenario holds at ``path`` (Optional and Annotated removed), or None
    where the path is not part of the scenario's schema."""
    current: Any = Scenario
    for part in path:
        current = _member_with(_unwrap(current), str(part))
        origin = typing.get_origin(current)
        if origin is dict:
            current = typing.get_args(current)[1]
        elif origin in (tuple, list):
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        else:
            return None
    return _unwrap(current)


def _is_collection(path: PathKey) -> bool:
    """Whether ``path`` holds entries by name (segments, channels, stages...)."""
    return bool(path) and typing.get_origin(_annotation_at(path)) is dict


def _clean_loc(loc: tuple[Any, ...], data: Any, error_type: str) -> PathKey:
    """Keep the parts of a pydantic location that are real keys or indexes in the data."""
    parts: list[str | int] = []
    node = data
    for part in loc:
        is_key = isinstance(node, dict) and part in node
        is_index = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if is_key or is_index:
            parts.append(part)
            node = node[part]
        elif (error_type in ("missing", "extra_forbidden") and isinstance(part, str)
              and part.isidentifier() and part == loc[-1]):
            parts.append(part)
            break
    return tuple(parts)


_MESSAGES = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_parsing": "expected a number",
    "float_type": "expected a number",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "string_type": "expected text",
    "dict_type": "expected a mapping (indented 'key: value' lines)",
    "model_type": "expected a mapping (indented 'key: value' lines)",
    "model_attributes_type": "expected a mapping (indented 'key: value' lines)",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "date_from_datetime_parsing": "expected a date written YYYY-MM-DD",
    "date_parsing": "expected a date written YYYY-MM-DD",
    "date_type": "expected a date written YYYY-MM-DD",
}


def _describe(error: Any, path: PathKey) -> tuple[str, str]:
    kind = error["type"]
    context = error.get("ctx") or {}
    value = error.get("input")
    shown = f", got {value!r}" if not isinstance(value, dict | list) and value is not None else ""
    if kind == "extra_forbidden":
        name = str(path[-1]) if path else "?"
        if len(path) == 1 and name in PLANNED_SECTIONS:
            return (f"'{name}' ({PLANNED_SECTIONS[name]}) is not supported yet",
                    "remove the section for now")
        if len(path) == 1 and name == "compensation":
            return ("compensation plans belong to teams",
                    "write 'compensation:' under each team paid by a plan (sdr:, ae:, cs: "
                    "or a team in teams:)")
        model = model_at(path[:-1])
        known = _field_names(model) if model else []
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else (
            f"allowed here: {', '.join(known)}" if known else "")
        return f"unknown field '{name}'", hint
    if kind == "missing":
        return f"missing required field '{path[-1] if path else '?'}'", ""
    if kind == "union_tag_not_found":
        return ("a team needs its kind", f"add 'kind:' with one of {', '.join(KINDS)}")
    if kind == "union_tag_invalid":
        close = difflib.get_close_matches(str(context.get("tag", "")), list(KINDS), n=1)
        return (f"unknown team kind '{context.get('tag', '')}': expected one of "
                f"{', '.join(KINDS)}", f"did you mean '{close[0]}'?" if close else "")
    if kind == "literal_error":
        expected = context.get("expected", "")
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(value), options, n=1)
        return (f"expected one of {expected}{shown}",
                f"did you mean '{close[0]}'?" if close else "")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "more than",
                 "less_than_equal": "at most", "less_than": "less than"}[kind]
        bound = next(iter(context.values()), "")
        return f"must be {words} {bound}{shown}", ""
    if kind in ("too_short", "too_long"):
        return str(error["msg"]).replace("Input", "the value").replace("List", "the list"), ""
    if kind == "string_pattern_mismatch" and path and path[-1] == "currency":
        return f"expected a three-letter currency code such as USD, EUR or JPY{shown}", ""
    if kind in _MESSAGES:
        return _MESSAGES[kind] + shown, ""
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    hint = ""
    if " (did you mean " in message and message.endswith("?)"):
        message, _, hint = message.partition(" (")
        hint = hint.rstrip(")")
    return message, hint


def _drop_missing_explained_by_typos(issues: list[ScenarioIssue]) -> list[ScenarioIssue]:
    """A misspelt required key shows up twice: as an unknown key (with 'did you mean')
    and as the missing one. Keep only the first, which says what to fix."""
    suggested = {
        (issue.path.rpartition(".")[0], issue.hint.removeprefix("did you mean '")[:-2])
        for issue in issues
        if issue.message.startswith("unknown field") and issue.hint.startswith("did you mean")
    }
    return [
        issue for issue in issues
        if not (issue.message.startswith("missing required field")
                and tuple(issue.path.rpartition(".")[::2]) in suggested)
    ]


def _position(path: PathKey, positions: Positions) -> Location:
    for cut in range(len(path), -1, -1):
        where = positions.get(path[:cut])
        if where is not None:
            return where
    return Location("<scenario>")


def validate_data(data: dict[str, Any], positions: Positions) -> Scenario:
    """Validate plain data into a :class:`Scenario`, or raise :class:`ScenarioError`."""
    meta = data.get("meta")
    # Amounts are checked against the scenario's currency, written or default (USD).
    currency = meta.get("currency", Meta.model_fields["currency"].default) if isinstance(
        meta, dict) else None
    context = {"currency": currency if isinstance(currency, str) else None,
               "defer_cross_checks": True}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as error:
        issues: list[ScenarioIssue] = []
        seen: set[tuple[PathKey, str]] = set()
        for item in error.errors():
            path = _clean_loc(item["loc"], data, item["type"])
            message, hint = _describe(item, path)
            if (path, message) in seen:
                continue
            seen.add((path, message))
            issues.append(ScenarioIssue(_position(path, positions), ".".join(map(str, path)),
                                        message, hint))
        issues = _drop_missing_explained_by_typos(issues)
        issues.sort(key=lambda i: (i.location.source, i.location.line, i.location.column))
        raise ScenarioError(issues) from None
    problems = cross_section_problems(scenario)
    if problems:
        raise ScenarioError([
            ScenarioIssue(_position(p.path, positions), ".".join(map(str, p.path)), p.message,
                          p.hint)
            for p in problems
        ])
    return scenario


def load_scenario(path: str | Path,
                  overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """Read, merge (``extends``), override and validate a scenario file.

    ``overrides`` are dotted keys with values, as a mapping (``{"ae.headcount": 24}``)
    or as ``"key=value"`` strings the way ``--set`` takes them. Raises
    :class:`ScenarioError` listing every problem found.
    """
    file = Path(path).resolve()
    try:
        data, positions = _load_tree(file, (), None)
    except ScenarioError as error:
        raise ScenarioError([
            ScenarioIssue(_relative(issue.location), issue.path, issue.message, issue.hint)
            for issue in error.issues
        ]) from None
    for key, where in positions.items():
        positions[key] = _relative(where)
    apply_overrides(data, positions, normalise_overrides(overrides))
    _anchor_company_list(data, positions)
    _anchor_start_state(data, positions)
    scenario = validate_data(data, positions)
    _check_company_list(scenario)
    _check_start_state(scenario)
    return scenario


def _anchor_company_list(data: dict[str, Any], positions: Positions) -> None:
    """A company list is named relative to the file that names it: make it absolute, so
    the scenario finds it wherever it is run from."""
    _anchor_file(data, positions, ("accounts",))


def _anchor_file(data: dict[str, Any], positions: Positions, path: tuple[str, ...]) -> None:
    """Make the ``file:`` of the section at ``path`` absolute, relative to the scenario
    file that names it (not one given with ``--set`` or from a string)."""
    section: Any = data
    for key in path:
        section = section.get(key) if isinstance(section, dict) else None
    if not isinstance(section, dict) or not isinstance(section.get("file"), str):
        return
    where = positions.get((*path, "file"))
    if where is None or where.source.startswith("--set ") or where.source.startswith("<"):
        return
    base = Path(where.source).resolve().parent
    section["file"] = str((base / section["file"]).resolve())


def _anchor_start_state(data: dict[str, Any], positions: Positions) -> None:
    """Start-state files, like a company list, are relative to the scenario file."""
    state = data.get("start_state")
    if not isinstance(state, dict):
        return
    _anchor_file(data, positions, ("start_state", "customers"))
    _anchor_file(data, positions, ("start_state", "open_opportunities"))
    reps = state.get("reps")
    if isinstance(reps, dict):
        for team in reps:
            _anchor_file(data, positions, ("start_state", "reps", str(team)))


def _check_company_list(scenario: Scenario) -> None:
    """A company list is read once when the scenario loads, so that a bad row is
    reported (``file:row``) before anything runs."""
    if scenario.accounts is None or scenario.accounts.generated:
        return
    from salesim.model.accounts import load_company_list_cached

    load_company_list_cached(scenario.accounts, tuple(scenario.segments))


def _check_start_state(scenario: Scenario) -> None:
    """Start-state files are read when the scenario loads, so that a bad row is reported
    (``file:row``) before anything runs."""
    if scenario.start_state is None:
        return
    from salesim.model.start_state import read_start_state

    read_start_state(scenario)


def shown_path(path: Path | str) -> str:
    """A file name as the user would write it: relative to the working directory if inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _relative(where: Location) -> Location:
    if where.source.startswith("--set "):
        return where
    return Location(shown_path(where.source), where.line, where.column)


def loads_scenario(text: str, source: str = "<string>",
                   overrides: Mapping[str, Any] | Iterable[str] | None = None) -> Scenario:
    """Validate a scenario given as YAML text (``extends`` is not available here)."""
    data, positions = parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError.single(positions[()], "a scenario must be a mapping of sections")
    if "extends" in data:
        raise ScenarioError.single(positions[("extends",)],
                                   "extends needs a scenario file, not text", "", "extends")
    apply_overrides(data, positions, normalise_overrides(overrides))
    return validate_data(data, positions)


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    """Plain data (the YAML form) for a scenario; loads back to an equal scenario."""
    return scenario.model_dump(mode="json", exclude_none=True)


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as YAML text, with every default written out."""
    return yaml.safe_dump(scenario_to_data(scenario), allow_unicode=True, sort_keys=False)
