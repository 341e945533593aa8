"""Static checks of a flow against the prompts, run before a flow goes live."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from callflows.flow import Flow
from callflows.nodes import (
    LANGUAGE_TAGS,
    AnyNode,
    HangupNode,
    MenuNode,
    NumberNode,
    RecordNode,
    SayNode,
    TransferNode,
    edges,
    node_prompt_keys,
)
from callflows.prompts import PLACEHOLDERS, Prompts, placeholders


@dataclass(frozen=True)
class LintProblem:
    """One problem: the node it concerns ("" for the whole flow) and what is wrong."""

    node: str
    message: str

    def __str__(self) -> str:
        return f"{self.node}: {self.message}" if self.node else self.message


def lint(flow: Flow, prompts: Prompts) -> list[LintProblem]:
    """Every problem found in `flow` with `prompts`; an empty list means it is sound."""
    problems = [*_targets(flow), *_exits(flow), *_graph(flow)]
    problems += _prompt_problems(flow, prompts)
    return problems


def _targets(flow: Flow) -> Iterator[LintProblem]:
    if flow.start not in flow.nodes:
        yield LintProblem("", f"start node {flow.start!r} does not exist")
    for node in flow.nodes.values():
        for label, target in edges(node):
            if target not in flow.nodes:
                how = f" (on {label})" if label else ""
                yield LintProblem(node.id, f"goto target {target!r}{how} does not exist")


def _exits(flow: Flow) -> Iterator[LintProblem]:
    for node in flow.nodes.values():
        for message in _node_exit_problems(flow, node):
            yield LintProblem(node.id, message)


def _node_exit_problems(flow: Flow, node: AnyNode) -> Iterator[str]:
    if isinstance(node, MenuNode | NumberNode) and node.on_fail is None:
        yield "no on_fail: nowhere to go after invalid input or no answer"
    if isinstance(node, SayNode | NumberNode | RecordNode | TransferNode) and node.next is None:
        yield f"a {type(node).__name__.removesuffix('Node').lower()} node needs a next"
    if isinstance(node, TransferNode) and node.answered is None:
        yield "a transfer node needs an answered target"
    if isinstance(node, MenuNode) and not node.options:
        yield "a menu needs at least one option"
    if isinstance(node, MenuNode) and node.operator_key is not None:
        target = flow.nodes.get(node.options[node.operator_key].goto)
        if target is not None and not isinstance(target, TransferNode):
            yield "the operator key must lead to a transfer node"
    if isinstance(node, NumberNode) and not node.sensitive:
        yield "a number node captures identifying input: mark it sensitive = true"
    if not isinstance(node, SayNode | HangupNode | TransferNode) and not node.prompts:
        yield "a node that waits for input needs a prompt"


def _reachable(flow: Flow, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        node_id = todo.pop()
        if node_id in flow.nodes and node_id not in seen:
            seen.add(node_id)
            todo += [target for _, target in edges(flow.nodes[node_id])]
    return seen


def _graph(flow: Flow) -> Iterator[LintProblem]:
    reachable = _reachable(flow, flow.start)
    for node_id in flow.nodes:
        if node_id not in reachable:
            yield LintProblem(node_id, "unreachable from the start node")
    ends = {n for n in reachable if isinstance(flow.nodes[n], HangupNode)}
    if not ends:
        yield LintProblem("", "no path ends the call (no reachable hangup node)")
        return
    for node_id in sorted(reachable):
        if not _reachable(flow, node_id) & ends:
            yield LintProblem(node_id, "a call that gets here can never end")
    for node_id in sorted(_silent_loops(flow)):
        yield LintProblem(node_id, "part of a loop that never waits for input")


def _silent_loops(flow: Flow) -> set[str]:
    """Nodes on a cycle of say nodes / closed transfers: the engine would spin."""

    def passes(node_id: str) -> str | None:
        node = flow.nodes.get(node_id)
        return node.next if isinstance(node, SayNode | TransferNode) else None

    looping: set[str] = set()
    for first in flow.nodes:
        path: list[str] = []
        current: str | None = first
        while current is not None and current not in path:
            path.append(current)
            current = passes(current)
        if current == first:
            looping.update(path)
    return looping


def _prompt_problems(flow: Flow, prompts: Prompts) -> Iterator[LintProblem]:
    tags = tuple(LANGUAGE_TAGS.values())
    for tag in tags:
        if tag not in prompts.tags:
            yield LintProblem("", f"no prompts for {tag}")
    reported: set[str] = set()
    for node in flow.nodes.values():
        for key in node_prompt_keys(node):
            for message in _key_problems(prompts, tags, key):
                yield LintProblem(node.id, message)
            reported.add(key)
    every_key = set().union(*(prompts.keys(tag) for tag in tags))
    for key in sorted(every_key - reported):
        for message in _key_problems(prompts, tags, key):
            yield LintProblem("", message)


def _key_problems(prompts: Prompts, tags: tuple[str, ...], key: str) -> Iterator[str]:
    present = [tag for tag in tags if prompts.has(tag, key)]
    for tag in tags:
        if tag not in present:
            yield f"prompt {key!r} is missing in {tag}"
    found = {tag: placeholders(prompts.texts[tag][key]) for tag in present}
    if len(set(found.values())) > 1:
        detail = "; ".join(
            f"{tag} has {{{', '.join(sorted(names))}}}" for tag, names in found.items()
        )
        yield f"prompt {key!r} placeholders differ: {detail}"
    for unknown in sorted(set().union(*found.values()) - PLACEHOLDERS):
        yield f"prompt {key!r} uses unknown placeholder {{{unknown}}}"
