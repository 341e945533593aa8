"""What happened during one simulated call: requests, dialogue, recordings and errors."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

Actor = Literal["ivr", "caller", "twilio"]
EndedBy = Literal["caller", "app", "error"]


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request the simulated Twilio made, and the answer it got.

    ``url`` is the URL as Twilio called it, the one that was signed (for GET it carries
    the parameters in its query); ``sent_to`` is where the simulator really sent it.
    ``status`` is ``None`` when no HTTP answer came back. ``kind`` says why the request
    was made: ``voice``, ``gather``, ``record``, ``dial``, ``redirect``, ``fallback``,
    ``status``, ``recording-status`` or ``transcription``.
    """

    method: str
    url: str
    params: dict[str, str]
    status: int | None
    elapsed_s: float
    response_text: str
    kind: str
    sent_to: str
    idempotency_token: str
    replay: bool = False


@dataclass(frozen=True)
class CallError:
    """A failure Twilio would log in its debugger (``code`` is Twilio's error code).

    ``code`` is ``None`` for the simulator's own stops (the step limit).
    """

    code: int | None
    kind: str
    url: str
    message: str

    def __str__(self) -> str:
        return f"{self.code or 'simulator'} ({self.kind}) {self.url}: {self.message}"


@dataclass(frozen=True)
class RecordingInfo:
    """A voicemail the simulated Twilio recorded and serves on its media API."""

    sid: str
    url: str
    duration_s: int


@dataclass(frozen=True)
class GatherInput:
    """What the caller did at one ``<Gather>``: the scripted answer and what Twilio sent."""

    answer: str
    digits: str
    finished_on_key: str
    action_requested: bool


@dataclass(frozen=True)
class Event:
    """One moment of the dialogue, at ``at_s`` seconds of simulated call time."""

    at_s: float
    actor: Actor
    kind: str
    text: str = ""
    language: str = ""
    voice: str = ""


@dataclass
class CallResult:
    """Everything one simulated call did; ``transcript()`` reads it as a dialogue."""

    call_sid: str
    from_number: str
    to_number: str
    events: list[Event] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    gathers: list[GatherInput] = field(default_factory=list)
    recordings: list[RecordingInfo] = field(default_factory=list)
    errors: list[CallError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ended_by: EndedBy = "app"
    duration_s: int = 0
    script_exhausted: bool = False

    @property
    def heard(self) -> list[tuple[str, str]]:
        """(language, text) of every ``<Say>`` the caller heard, in order."""
        return [(e.language, e.text) for e in self.events if e.kind == "say"]

    def requests_of(self, kind: str) -> list[RequestRecord]:
        """The requests made for one reason (``"status"``, ``"gather"``, ...)."""
        return [r for r in self.requests if r.kind == kind]

    def transcript(self) -> str:
        """The call as readable text, one line per moment of the dialogue."""
        return "\n".join(describe(event) for event in self.events)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view of the result, with ``heard`` and the transcript."""
        data = dataclasses.asdict(self)
        data["heard"] = [list(pair) for pair in self.heard]
        data["transcript"] = self.transcript()
        return data


def describe(event: Event) -> str:
    """One line of transcript: ``>>`` what the IVR does, ``<<`` what the caller does."""
    if event.kind == "say":
        return f">> IVR [{event.language}]: {event.text}"
    if event.actor == "ivr":
        return f">> IVR {event.kind}{': ' + event.text if event.text else ''}"
    if event.kind == "press":
        return f"<< caller presses {event.text}"
    if event.actor == "caller":
        return f"<< caller {event.text or event.kind}"
    return f".. {event.kind}: {event.text}"
