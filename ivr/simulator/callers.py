"""Who answers the IVR's questions: a script, or a person at the terminal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from ivr.simulator.script import HANGUP, is_keypad_answer


@dataclass(frozen=True)
class GatherPrompt:
    """What a caller knows when a ``<Gather>`` waits for keys."""

    num_digits: int | None
    finish_on_key: str
    timeout_s: int


class Caller(Protocol):
    """Gives the keys pressed at each ``<Gather>``."""

    def next_answer(self, prompt: GatherPrompt) -> str | None:
        """Keys, ``""`` for no input, ``"hangup"``, or ``None`` when out of answers."""
        ...


class ScriptedCaller:
    """Answers from a list, in order."""

    def __init__(self, answers: list[str]) -> None:
        self._answers = list(answers)

    def next_answer(self, prompt: GatherPrompt) -> str | None:
        """The next scripted answer, or ``None`` when the script is used up."""
        return self._answers.pop(0) if self._answers else None


class InteractiveCaller:
    """Asks a person for keys: an empty line is no input, ``h`` hangs up."""

    def __init__(self, read: Callable[[str], str], write: Callable[[str], None]) -> None:
        self._read = read
        self._write = write

    def next_answer(self, prompt: GatherPrompt) -> str | None:
        """Keys typed at the terminal; end of input hangs up."""
        hint = f"{prompt.num_digits} key(s)" if prompt.num_digits else "keys"
        if prompt.finish_on_key:
            hint += f", end with {prompt.finish_on_key}"
        while True:
            try:
                line = self._read(f"   {hint}; Enter = no input, h = hang up > ").strip()
            except EOFError:
                return HANGUP
            if line.lower() in ("h", HANGUP):
                return HANGUP
            if is_keypad_answer(line):
                return line
            self._write("   use the keys 0-9, * and #")
