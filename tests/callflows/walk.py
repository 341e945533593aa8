"""Drive a call through the engine with a compact script of caller inputs."""

from __future__ import annotations

from dataclasses import dataclass

from callflows import Context, Flow, Input, Say, StepEvent, Turn, advance, start
from callflows.actions import Gather

RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"


@dataclass(frozen=True)
class Call:
    """Every turn of a walked call."""

    turns: tuple[Turn, ...]

    @property
    def last(self) -> Turn:
        return self.turns[-1]

    @property
    def events(self) -> list[StepEvent]:
        return [event for turn in self.turns for event in turn.events]

    def path(self) -> list[tuple[str, str]]:
        """(node, outcome) for every event of the call."""
        return [(event.node, event.outcome) for event in self.events]

    def nodes(self) -> list[str]:
        """The node awaiting input after each turn."""
        return [turn.state.node for turn in self.turns]


def parse(step: str) -> Input:
    """'1' / '6135550123' keys; '-' no input; 'rec' / 'rec#' / 'hangup' / 'empty' for a
    recording; 'dial:<status>' for a transfer."""
    if step == "-":
        return Input.gather(None)
    if step == "rec":
        return Input.record(RECORDING_URL, recording_sid="RE1")
    if step == "rec#":
        return Input.record(RECORDING_URL, digits="#", recording_sid="RE1")
    if step == "hangup":
        return Input.record(RECORDING_URL, digits="hangup", recording_sid="RE1")
    if step == "empty":
        return Input.record(None)
    if step.startswith("dial:"):
        return Input.dial(step.removeprefix("dial:") or None)
    return Input.gather(step)


def walk(flow: Flow, ctx: Context, steps: list[str] | str) -> Call:
    """Start a call and answer each input request with the next step ("1 2 - rec ...")."""
    script = steps.split() if isinstance(steps, str) else steps
    turns = [start(flow, ctx)]
    for step in script:
        assert not turns[-1].state.finished, f"call already over before {step!r}"
        turns.append(advance(flow, turns[-1].state, parse(step), ctx))
    return Call(tuple(turns))


def said(turn: Turn) -> list[tuple[str, str]]:
    """(prompt key, language) of every Say in a turn, inside Gathers too, in order."""
    found: list[tuple[str, str]] = []
    for action in turn.actions:
        says = action.says if isinstance(action, Gather) else (action,)
        found += [(say.key, say.language) for say in says if isinstance(say, Say)]
    return found


def keys(turn: Turn) -> list[str]:
    """The prompt keys said in a turn, in order."""
    return [key for key, _ in said(turn)]
