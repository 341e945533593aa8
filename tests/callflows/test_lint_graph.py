"""lint() finds what would break a call; graph() draws every node."""

from __future__ import annotations

import pytest

from callflows import Flow, FlowError, Prompts, graph, lint, load_flow_text, load_prompts_text
from tests.callflows.conftest import make_context
from tests.callflows.walk import walk

EN_CA = """
[common]
invalid = "Not a choice."
no_input = "No answer."
[menu]
main = "Press 1."
[bye]
text = "Goodbye, report {reference}."
"""
FR_CA = """
[common]
invalid = "Choix invalide."
no_input = "Aucune réponse."
[menu]
main = "Appuyez sur le 1."
[bye]
text = "Au revoir, signalement {reference}."
"""
PROMPTS = load_prompts_text({"en-CA": EN_CA, "fr-CA": FR_CA})
# An English-only prompt, and one whose placeholders differ between the languages.
BROKEN_PROMPTS = load_prompts_text(
    {
        "en-CA": EN_CA + 'odd = "Goodbye {reference}."\n[extra]\nenglish_only = "Hi."',
        "fr-CA": FR_CA + 'odd = "Au revoir {number}."',
    }
)

SOUND = """
[flow]
start = "menu"

[nodes.menu]
type = "menu"
prompt = "menu.main"
on_fail = { goto = "bye" }
options.1 = { goto = "bye", set = { choice = "one" } }

[nodes.bye]
type = "hangup"
prompt = "bye.text"
"""

BROKEN = """
[flow]
start = "menu"

[nodes.menu]
type = "menu"
prompt = "extra.english_only"
operator = { goto = "bye" }
options.1 = { goto = "nowhere" }
options.2 = { goto = "loop_a" }
options.3 = { goto = "ask_number" }
options.4 = { goto = "bye" }

[nodes.loop_a]
type = "say"
prompt = "menu.main"
next = "loop_b"

[nodes.loop_b]
type = "say"
prompt = "menu.main"
next = "loop_a"

[nodes.ask_number]
type = "number"
prompt = "menu.main"
next = "voicemail"
on_fail = { goto = "bye" }

[nodes.voicemail]
type = "record"
prompt = "menu.main"

[nodes.orphan]
type = "say"
prompt = "menu.main"
next = "bye"

[nodes.bye]
type = "hangup"
prompt = "bye.odd"
"""


def test_the_default_flow_lints_clean(flow: Flow, prompts: Prompts) -> None:
    assert lint(flow, prompts) == []


def test_a_sound_small_flow_lints_clean() -> None:
    assert lint(load_flow_text(SOUND), PROMPTS) == []


@pytest.mark.parametrize(
    ("node", "fragment"),
    [
        ("orphan", "unreachable from the start node"),
        ("menu", "no on_fail"),
        ("menu", "prompt 'extra.english_only' is missing in fr-CA"),
        ("menu", "goto target 'nowhere' (on 1) does not exist"),
        ("menu", "operator key must lead to a transfer node"),
        ("voicemail", "a record node needs a next"),
        ("loop_a", "loop that never waits for input"),
        ("loop_b", "loop that never waits for input"),
        ("loop_a", "can never end"),
        ("ask_number", "mark it sensitive"),
        ("bye", "prompt 'bye.odd' placeholders differ"),
    ],
)
def test_lint_reports_each_problem(node: str, fragment: str) -> None:
    problems = lint(load_flow_text(BROKEN), BROKEN_PROMPTS)
    assert any(p.node == node and fragment in p.message for p in problems), [
        str(p) for p in problems
    ]


@pytest.mark.parametrize(
    ("flow_text", "fragment"),
    [
        (
            SOUND.replace('start = "menu"', 'start = "missing"'),
            "start node 'missing' does not exist",
        ),
        (SOUND.replace('type = "hangup"', 'type = "say"\nnext = "menu"'), "no path ends the call"),
        (SOUND.replace('"bye.text"', '"bye.nope"'), "prompt 'bye.nope' is missing in en-CA"),
    ],
)
def test_lint_reports_flow_level_problems(flow_text: str, fragment: str) -> None:
    problems = [str(p) for p in lint(load_flow_text(flow_text), PROMPTS)]
    assert any(fragment in problem for problem in problems), problems


def test_prompts_missing_a_language_are_reported() -> None:
    english_only = load_prompts_text({"en-CA": EN_CA})
    problems = [str(p) for p in lint(load_flow_text(SOUND), english_only)]
    assert "no prompts for fr-CA" in problems


def test_unknown_placeholders_are_reported() -> None:
    texts = {tag: '[menu]\nmain = "{who}"\n[bye]\ntext = "x"' for tag in ("en-CA", "fr-CA")}
    texts = {tag: text + '\n[common]\ninvalid = "a"\nno_input = "b"' for tag, text in texts.items()}
    problems = [str(p) for p in lint(load_flow_text(SOUND), load_prompts_text(texts))]
    assert problems == ["menu: prompt 'menu.main' uses unknown placeholder {who}"]


def test_lint_problem_reads_well() -> None:
    problems = lint(load_flow_text(BROKEN), BROKEN_PROMPTS)
    assert "orphan: unreachable from the start node" in [str(p) for p in problems]


def test_graph_draws_every_node_and_edge(flow: Flow) -> None:
    chart = graph(flow)
    assert chart.startswith("flowchart TD\n")
    for node_id in flow.nodes:
        assert f"n_{node_id}" in chart
        assert f'"{node_id}<br/>' in chart
    assert 'n_main_menu -->|"0 operator"| n_transfer' in chart
    assert 'n_main_menu -->|"1: category=csam"| n_danger' in chart
    assert 'n_main_menu -->|"fail"| n_danger' in chart
    assert 'n_transfer -->|"answered"| n_close' in chart
    assert "n_safety --> n_main_menu" in chart


def test_graph_survives_a_node_called_end() -> None:
    chart = graph(load_flow_text(SOUND.replace("bye", "end")))
    assert "n_end([" in chart
    assert " end\n" not in chart


@pytest.mark.parametrize(
    ("flow_text", "steps", "fragment"),
    [
        (BROKEN, ["2"], "loop"),
        (BROKEN, ["1"], "no node 'nowhere'"),
        (SOUND.replace('on_fail = { goto = "bye" }\n', ""), ["5", "5", "5"], "no on_fail"),
    ],
)
def test_the_engine_refuses_what_lint_reports(
    flow_text: str, steps: list[str], fragment: str
) -> None:
    broken = load_flow_text(flow_text)
    ctx = make_context()
    with pytest.raises(FlowError, match=fragment):
        walk(broken, ctx, steps)
