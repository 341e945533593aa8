"""Loading flows: the shipped one, and clear errors for malformed files."""

from __future__ import annotations

import pytest

from callflows import FlowError, load_flow, load_flow_text
from callflows.nodes import MenuNode, NumberNode, RecordNode

MINIMAL = """
[flow]
start = "menu"

[nodes.menu]
type = "menu"
prompt = "menu.main"
on_fail = { goto = "bye" }
options.1 = { goto = "bye" }

[nodes.bye]
type = "hangup"
"""


def test_the_default_flow_has_the_documented_shape() -> None:
    flow = load_flow()
    assert flow.start == "language"
    language, main = flow.node("language"), flow.node("main_menu")
    assert isinstance(language, MenuNode) and isinstance(main, MenuNode)
    assert language.retries == 1
    assert language.languages == ("en", "fr")
    assert main.retries == 2
    assert main.operator_key == "0"
    assert sorted(main.options) == ["0", "1", "2", "3", "4", "8"]
    number, message = flow.node("callback_number"), flow.node("message")
    assert isinstance(number, NumberNode) and number.sensitive
    assert isinstance(message, RecordNode) and message.max_length == 300


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('type = "menu"', 'type = "ivr"', "type must be one of"),
        ('type = "menu"', 'type = "menu"\ncolour = "red"', "unknown key(s) colour"),
        ("options.1", "options.12", "one phone key"),
        ("options.1", "options.9", "repeat key"),
        ('goto = "bye" }\noptions', 'goto = "Bye!" }\noptions', "not a node id"),
        ('on_fail = { goto = "bye" }', 'on_fail = { goto = "bye", language = "de" }', "language"),
        ('on_fail = { goto = "bye" }', 'on_fail = { goto = "bye", set = { X = "y" } }', "variable"),
        ('type = "menu"', 'type = "menu"\nretries = 9', "from 0 to 5"),
        ('type = "menu"', 'type = "menu"\nretries = "2"', "whole number"),
        ('prompt = "menu.main"', 'prompt = "Press one!"', "not a prompt key"),
        ('prompt = "menu.main"', 'prompt = "menu.main"\nprompts = ["menu.main"]', "not both"),
        ('start = "menu"', 'start = "menu"\nversion = 2', "unknown key(s) version"),
        ("[nodes.bye]", "[nodes.bye", "invalid TOML"),
        ("[nodes.bye]", "[nodes.Bye]", "lower_snake_case"),
        (
            'type = "menu"',
            'type = "menu"\noperator = { key = "1", goto = "bye" }',
            "also an option",
        ),
    ],
)
def test_malformed_flows_are_refused(old: str, new: str, fragment: str) -> None:
    text = MINIMAL.replace(old, new, 1)
    assert text != MINIMAL
    with pytest.raises(FlowError, match=None) as caught:
        load_flow_text(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("name", ["../flows/default", "nope", "Default", ""])
def test_unknown_flow_names_are_refused(name: str) -> None:
    with pytest.raises(FlowError):
        load_flow(name)


def test_missing_node_lookup_is_a_flow_error() -> None:
    with pytest.raises(FlowError, match="no node 'ghost'"):
        load_flow_text(MINIMAL).node("ghost")
