"""Loading a call flow from TOML and checking its shape (the graph itself is `lint`'s job).

The schema is documented at the top of `flows/default.toml` and in `README.md`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from typing import Any

from callflows.nodes import LANGUAGES, NODE_TYPES, AnyNode, Choice, Language, MenuNode

NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PROMPT_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
VAR_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FLOW_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
KEYS = "0123456789*#"
COMMON_KEYS = frozenset({"type", "prompt", "prompts", "languages", "sensitive"})
PROMPT_LISTS = ("prompts", "withheld_prompts", "closed_prompts", "unanswered_prompts")


class FlowError(ValueError):
    """A flow file that cannot be loaded (bad TOML, unknown key, wrong value type)."""


@dataclass(frozen=True)
class Flow:
    """A parsed call flow: where calls start and the nodes by id."""

    name: str
    start: str
    language: Language
    nodes: Mapping[str, AnyNode]

    def node(self, node_id: str) -> AnyNode:
        """The node called `node_id`; FlowError if the flow has none (see `lint`)."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise FlowError(f"flow {self.name!r} has no node {node_id!r}") from None


def load_flow(name: str = "default") -> Flow:
    """Load `callflows/flows/{name}.toml`, the flow shipped with the package."""
    if not FLOW_NAME.match(name):
        raise FlowError(f"invalid flow name {name!r}")
    path = resources.files("callflows").joinpath("flows", f"{name}.toml")
    if not path.is_file():
        raise FlowError(f"no flow called {name!r}")
    return load_flow_text(path.read_text(encoding="utf-8"))


def load_flow_text(text: str) -> Flow:
    """Parse a flow from TOML text; FlowError explains the first problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FlowError(f"invalid TOML: {exc}") from exc
    _check_keys("top level", data, {"flow", "nodes"})
    head = _table("flow", data.get("flow"))
    _check_keys("[flow]", head, {"name", "start", "language"})
    raw_nodes = _table("nodes", data.get("nodes"))
    if not raw_nodes:
        raise FlowError("[nodes] is empty")
    nodes = {node_id: _node(node_id, raw) for node_id, raw in raw_nodes.items()}
    return Flow(
        name=_str("flow.name", head.get("name", "unnamed")),
        start=_node_ref("flow.start", head.get("start")),
        language=_language("flow.language", head.get("language", "en")),
        nodes=nodes,
    )


def _node(node_id: str, raw: object) -> AnyNode:
    where = f"nodes.{node_id}"
    if not NODE_ID.match(node_id):
        raise FlowError(f"{where}: node ids are lower_snake_case")
    table = _table(where, raw)
    kind = table.get("type")
    cls = NODE_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise FlowError(f"{where}: type must be one of {', '.join(NODE_TYPES)}")
    names = {f.name for f in fields(cls)} - {"id"}
    allowed = COMMON_KEYS | names | {p[:-1] for p in PROMPT_LISTS if p in names}
    if cls is MenuNode:
        allowed = (allowed - {"operator_key"}) | {"operator"}
    _check_keys(where, table, allowed)
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        if key != "type":
            _convert_field(where, key, value, kwargs)
    if cls is MenuNode and "operator" in kwargs:
        key, choice = kwargs.pop("operator")
        if key in kwargs.get("options", {}):
            raise FlowError(f"{where}: the operator key {key} is also an option")
        kwargs["options"] = {**kwargs.get("options", {}), key: choice}
        kwargs["operator_key"] = key
    _check_menu_keys(where, kwargs)
    return cls(id=node_id, **kwargs)


def _convert_field(where: str, key: str, value: object, out: dict[str, Any]) -> None:
    name = f"{key}s" if f"{key}s" in PROMPT_LISTS else key
    if name in out:
        raise FlowError(f"{where}: give either {key} or {name}, not both")
    out[name] = FIELDS[name](f"{where}.{key}", value)


def _check_menu_keys(where: str, kwargs: Mapping[str, Any]) -> None:
    repeat = kwargs.get("repeat_key", "9")
    if repeat in kwargs.get("options", {}):
        raise FlowError(f"{where}: key {repeat} is the repeat key, it cannot be an option")


def _check_keys(
    where: str, table: Mapping[str, object], allowed: set[str] | frozenset[str]
) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise FlowError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _table(where: str, value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise FlowError(f"{where}: expected a table")
    return value


def _str(where: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise FlowError(f"{where}: expected a non-empty string")
    return value


def _node_ref(where: str, value: object) -> str:
    text = _str(where, value)
    if not NODE_ID.match(text):
        raise FlowError(f"{where}: {text!r} is not a node id")
    return text


def _prompt_key(where: str, value: object) -> str:
    text = _str(where, value)
    if not PROMPT_KEY.match(text):
        raise FlowError(f"{where}: {text!r} is not a prompt key (like 'main.menu')")
    return text


def _prompt_list(where: str, value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(_prompt_key(where, item) for item in items)


def _language(where: str, value: object) -> Language:
    for language in LANGUAGES:
        if value == language:
            return language
    raise FlowError(f"{where}: language must be one of {', '.join(LANGUAGES)}")


def _languages(where: str, value: object) -> tuple[Language, ...]:
    if not isinstance(value, list):
        raise FlowError(f'{where}: expected a list like ["en", "fr"]')
    return tuple(_language(where, item) for item in value)


def _bool(where: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise FlowError(f"{where}: expected true or false")
    return value


def _int_between(low: int, high: int) -> Callable[[str, object], int]:
    def convert(where: str, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise FlowError(f"{where}: expected a whole number from {low} to {high}")
        return value

    return convert


def _key(where: str, value: object) -> str:
    if not isinstance(value, str) or len(value) != 1 or value not in KEYS:
        raise FlowError(f"{where}: expected one phone key (0-9, * or #)")
    return value


def _finish_key(where: str, value: object) -> str:
    return "" if value == "" else _key(where, value)


def _region(where: str, value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        raise FlowError(f'{where}: expected a two-letter region code like "CA"')
    return value


def _choice(where: str, value: object, extra: frozenset[str] = frozenset()) -> Choice:
    table = _table(where, value)
    _check_keys(where, table, {"goto", "set", "clear", "language"} | extra)
    assign = _table(f"{where}.set", table.get("set", {}))
    clear = table.get("clear", [])
    if not isinstance(clear, list):
        raise FlowError(f"{where}.clear: expected a list of variable names")
    language = table.get("language")
    return Choice(
        goto=_node_ref(f"{where}.goto", table.get("goto")),
        assign=tuple((_var(where, k), _str(f"{where}.set.{k}", v)) for k, v in assign.items()),
        clear=tuple(_var(f"{where}.clear", name) for name in clear),
        language=None if language is None else _language(f"{where}.language", language),
    )


def _var(where: str, name: object) -> str:
    if not isinstance(name, str) or not VAR_NAME.match(name):
        raise FlowError(f"{where}: {name!r} is not a variable name (lower_snake_case)")
    return name


def _options(where: str, value: object) -> dict[str, Choice]:
    table = _table(where, value)
    return {_key(f"{where}.{k}", k): _choice(f"{where}.{k}", v) for k, v in table.items()}


def _operator(where: str, value: object) -> tuple[str, Choice]:
    table = _table(where, value)
    key = _key(f"{where}.key", table.get("key", "0"))
    return key, _choice(where, value, frozenset({"key"}))


FIELDS: Mapping[str, Callable[[str, object], Any]] = {
    **dict.fromkeys(PROMPT_LISTS, _prompt_list),
    **dict.fromkeys(("invalid_prompt", "no_input_prompt", "unavailable_prompt"), _prompt_key),
    "empty_prompt": _prompt_key,
    "languages": _languages,
    "sensitive": _bool,
    "next": _node_ref,
    "answered": _node_ref,
    "on_fail": _choice,
    "options": _options,
    "operator": _operator,
    "retries": _int_between(0, 5),
    "timeout": _int_between(1, 60),
    "max_length": _int_between(1, 3600),
    "repeat_key": _key,
    "own_number_key": _key,
    "finish_on_key": _finish_key,
    "region": _region,
}
