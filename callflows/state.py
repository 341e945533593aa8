"""The values that go in and out of the engine: context, call state, input, events, turn."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from callflows.actions import Action
from callflows.hours import BusinessHours
from callflows.nodes import LANGUAGES, Language

InputKind = Literal["gather", "record", "dial"]


@dataclass(frozen=True)
class Context:
    """What the engine knows about the world for one request (it never reads a clock)."""

    now: datetime
    caller_number: str | None
    reference_number: str
    hours: BusinessHours
    operator_numbers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("Context.now must be timezone-aware")
        if not self.reference_number.isdigit():
            raise ValueError("Context.reference_number must be digits")


@dataclass(frozen=True)
class CallState:
    """Where a call is. Persist it between webhooks with to_dict()/from_dict().

    `node` awaits input (or is the last node once `finished`); `seq` counts the input
    requests sent so far, so a webhook carrying another seq is a replay; `retries` counts
    the re-prompts used at `node`; `vars` holds what the caller chose.
    """

    node: str
    seq: int = 0
    language: Language = "en"
    retries: int = 0
    vars: dict[str, str] = field(default_factory=dict)
    finished: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (vars copied)."""
        return {
            "node": self.node,
            "seq": self.seq,
            "language": self.language,
            "retries": self.retries,
            "vars": dict(self.vars),
            "finished": self.finished,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallState:
        """Rebuild from to_dict() output; ValueError if it was tampered with or is malformed."""
        node, seq, retries = data.get("node"), data.get("seq"), data.get("retries")
        language, variables, finished = data.get("language"), data.get("vars"), data.get("finished")
        if not (isinstance(node, str) and isinstance(variables, dict) and type(finished) is bool):
            raise ValueError("malformed call state")
        if not (type(seq) is int and type(retries) is int and seq >= 0 and retries >= 0):
            raise ValueError("malformed call state: counters")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in variables.items()):
            raise ValueError("malformed call state: vars")
        for known in LANGUAGES:
            if language == known:
                return cls(node, seq, known, retries, dict(variables), finished)
        raise ValueError("malformed call state: unknown language")


@dataclass(frozen=True)
class Input:
    """The caller's answer to the node awaiting input, as Twilio reported it.

    `digits` None means nothing was pressed (the Redirect after a Gather or Record);
    for a Record it holds the key that ended it, or "hangup".
    """

    kind: InputKind
    digits: str | None = None
    recording_url: str | None = None
    recording_sid: str | None = None
    dial_status: str | None = None

    @classmethod
    def gather(cls, digits: str | None) -> Input:
        """Keys pressed at a menu or number node (None: timeout)."""
        return cls("gather", digits=digits or None)

    @classmethod
    def record(
        cls,
        recording_url: str | None,
        *,
        digits: str | None = None,
        recording_sid: str | None = None,
    ) -> Input:
        """The end of a recording (no URL: nothing was recorded)."""
        return cls(
            "record", digits=digits, recording_url=recording_url, recording_sid=recording_sid
        )

    @classmethod
    def dial(cls, dial_status: str | None) -> Input:
        """The end of a transfer: Twilio's DialCallStatus."""
        return cls("dial", dial_status=dial_status)


Outcome = Literal[
    "presented",
    "chosen",
    "operator",
    "repeat",
    "invalid",
    "timeout",
    "default",
    "recorded",
    "empty",
    "hangup",
    "transfer_answered",
    "transfer_unanswered",
    "transfer_closed",
    "ended",
]


@dataclass(frozen=True)
class StepEvent:
    """One step of the IVR path: what `node` offered (`prompt`) and what happened."""

    node: str
    prompt: str
    input: str | None
    outcome: Outcome
    at: datetime


@dataclass(frozen=True)
class Turn:
    """The result of one engine call: the new state, what happened, what to do."""

    state: CallState
    events: tuple[StepEvent, ...]
    actions: tuple[Action, ...]
