"""The flow commands as an operator runs them."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

BROKEN_FLOW = """
[flow]
name = "broken"
start = "language"

[nodes.language]
type = "menu"
prompt = "language.menu"
[nodes.language.options]
1 = { goto = "nowhere" }

[nodes.orphan]
type = "hangup"
prompt = "close.thanks"
"""


def test_callflow_check_passes_the_default_flow(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["callflow", "check"])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_callflow_check_fails_on_a_broken_flow(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(BROKEN_FLOW)
    result = app.test_cli_runner().invoke(args=["callflow", "check", str(path)])
    assert result.exit_code == 1
    assert "nowhere" in result.output  # the bad goto
    assert "orphan" in result.output  # the unreachable node
    assert "language" in result.output  # the menu without an exit on timeout/invalid


def test_callflow_check_explains_an_unloadable_file(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[flow\n")
    result = app.test_cli_runner().invoke(args=["callflow", "check", str(path)])
    assert result.exit_code == 1 and "invalid TOML" in result.output


def test_callflow_graph_draws_every_node(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["callflow", "graph"])
    assert result.exit_code == 0
    assert result.output.startswith("flowchart TD")
    for node in ["language", "main_menu", "danger", "message", "callback", "close"]:
        assert f"n_{node}" in result.output
