"""A Mermaid flowchart of a flow, for documentation and review."""

from __future__ import annotations

from callflows.flow import Flow
from callflows.nodes import (
    AnyNode,
    HangupNode,
    MenuNode,
    RecordNode,
    TransferNode,
    edges,
    type_name,
)

_SHAPES: dict[type, tuple[str, str]] = {
    MenuNode: ("{", "}"),
    HangupNode: ("([", "])"),
    RecordNode: ("[/", "/]"),
    TransferNode: ("[[", "]]"),
}


def graph(flow: Flow) -> str:
    """Mermaid `flowchart TD` text: one box per node, edges labelled by key or outcome."""
    lines = ["flowchart TD", f"    start((start)) --> {_ref(flow.start)}"]
    lines += [f"    {_box(node)}" for node in flow.nodes.values()]
    for node in flow.nodes.values():
        for label, target in edges(node):
            arrow = f'-->|"{_label(node, label)}"|' if label else "-->"
            lines.append(f"    {_ref(node.id)} {arrow} {_ref(target)}")
    return "\n".join(lines) + "\n"


def _ref(node_id: str) -> str:
    """Mermaid ids are prefixed: a node called `end` would otherwise break the chart."""
    return f"n_{node_id}"


def _box(node: AnyNode) -> str:
    opening, closing = _SHAPES.get(type(node), ("[", "]"))
    marker = " (sensitive)" if node.sensitive else ""
    return f'{_ref(node.id)}{opening}"{node.id}<br/>{type_name(node)}{marker}"{closing}'


def _label(node: AnyNode, label: str) -> str:
    if isinstance(node, MenuNode) and label == node.operator_key:
        return f"{label} operator"
    if isinstance(node, MenuNode) and label in node.options:
        assigned = ", ".join(f"{k}={v}" for k, v in node.options[label].assign)
        language = node.options[label].language
        detail = assigned or (f"language={language}" if language else "")
        return f"{label}: {detail}" if detail else label
    return label
