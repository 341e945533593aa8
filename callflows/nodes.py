"""The node types a call flow is made of (frozen dataclasses, built by `flow.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("en", "fr")
LANGUAGE_TAGS: Mapping[Language, str] = {"en": "en-CA", "fr": "fr-CA"}

CALLBACK_NUMBER_VAR = "callback_number"
"""State var holding the callback number (E.164) captured by a `number` node."""


@dataclass(frozen=True)
class Choice:
    """Where a menu option (or a default path) leads, and what it records on the way."""

    goto: str
    assign: tuple[tuple[str, str], ...] = ()
    clear: tuple[str, ...] = ()
    language: Language | None = None


@dataclass(frozen=True, kw_only=True)
class Node:
    """Fields every node has. `languages` empty means: speak in the caller's language."""

    id: str
    prompts: tuple[str, ...] = ()
    languages: tuple[Language, ...] = ()
    sensitive: bool = False


@dataclass(frozen=True, kw_only=True)
class SayNode(Node):
    """Speaks its prompts, then continues to `next` in the same response."""

    next: str | None = None


@dataclass(frozen=True, kw_only=True)
class MenuNode(Node):
    """A one-digit choice; `repeat_key` repeats, failures re-prompt then take `on_fail`."""

    options: Mapping[str, Choice] = field(default_factory=dict)
    on_fail: Choice | None = None
    retries: int = 2
    timeout: int = 6
    repeat_key: str = "9"
    operator_key: str | None = None
    invalid_prompt: str = "common.invalid"
    no_input_prompt: str = "common.no_input"


@dataclass(frozen=True, kw_only=True)
class NumberNode(Node):
    """A phone number keyed in and ended by `#`, or `own_number_key` for the caller ID."""

    next: str | None = None
    on_fail: Choice | None = None
    retries: int = 2
    timeout: int = 8
    region: str = "CA"
    own_number_key: str = "1"
    withheld_prompts: tuple[str, ...] = ()
    unavailable_prompt: str = "number.unavailable"
    invalid_prompt: str = "number.invalid"
    no_input_prompt: str = "common.no_input"


@dataclass(frozen=True, kw_only=True)
class RecordNode(Node):
    """A voicemail; an empty recording is re-offered `retries` times, then `next`."""

    next: str | None = None
    retries: int = 1
    max_length: int = 300
    timeout: int = 10
    finish_on_key: str = "#"
    empty_prompt: str = "message.empty"


@dataclass(frozen=True, kw_only=True)
class TransferNode(Node):
    """Dials the operators when open; otherwise (or unanswered) says so and goes to `next`."""

    answered: str | None = None
    next: str | None = None
    timeout: int = 20
    closed_prompts: tuple[str, ...] = ()
    unanswered_prompts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class HangupNode(Node):
    """Speaks its prompts and ends the call."""


AnyNode = SayNode | MenuNode | NumberNode | RecordNode | TransferNode | HangupNode
InputNode = MenuNode | NumberNode | RecordNode | TransferNode

NODE_TYPES: Mapping[str, type[AnyNode]] = {
    "say": SayNode,
    "menu": MenuNode,
    "number": NumberNode,
    "record": RecordNode,
    "transfer": TransferNode,
    "hangup": HangupNode,
}


def type_name(node: AnyNode) -> str:
    """The TOML `type` of a node ("menu", "say", ...)."""
    return next(name for name, cls in NODE_TYPES.items() if isinstance(node, cls))


def node_prompt_keys(node: AnyNode) -> tuple[str, ...]:
    """Every prompt key a node may speak, in a stable order (for lint and events)."""
    keys = list(node.prompts)
    if isinstance(node, MenuNode):
        keys += [node.invalid_prompt, node.no_input_prompt]
    elif isinstance(node, NumberNode):
        keys += [*node.withheld_prompts, node.unavailable_prompt]
        keys += [node.invalid_prompt, node.no_input_prompt]
    elif isinstance(node, RecordNode):
        keys.append(node.empty_prompt)
    elif isinstance(node, TransferNode):
        keys += [*node.closed_prompts, *node.unanswered_prompts]
    return tuple(dict.fromkeys(keys))


def edges(node: AnyNode) -> tuple[tuple[str, str], ...]:
    """(label, target) for every way out of a node; labels are digits or outcomes."""
    if isinstance(node, MenuNode):
        out = [(key, choice.goto) for key, choice in sorted(node.options.items())]
        return (*out, *_fail_edge(node.on_fail))
    if isinstance(node, NumberNode):
        return (*_next_edge("valid", node.next), *_fail_edge(node.on_fail))
    if isinstance(node, RecordNode):
        return _next_edge("recorded / empty", node.next)
    if isinstance(node, TransferNode):
        return (
            *_next_edge("answered", node.answered),
            *_next_edge("closed / unanswered", node.next),
        )
    if isinstance(node, SayNode):
        return _next_edge("", node.next)
    return ()


def _next_edge(label: str, target: str | None) -> tuple[tuple[str, str], ...]:
    return () if target is None else ((label, target),)


def _fail_edge(choice: Choice | None) -> tuple[tuple[str, str], ...]:
    return () if choice is None else (("fail", choice.goto),)
