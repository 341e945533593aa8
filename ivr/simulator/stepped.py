"""A call played one answer at a time, its state kept between steps as plain JSON.

For the console's test call page: each key press is one HTTP request, possibly served by
another process than the last one, so nothing of the call may stay in memory. The call
pauses at each ``<Gather>`` (the caller raises :class:`PauseAtGather`); :class:`CallState`
holds what Twilio would remember (the call's parameters and clock, the document and the
verb it waits on, the callbacks due at the end) and resumes there with the next keys.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from ivr.simulator.call import CallSession
from ivr.simulator.callbacks import PendingCallback
from ivr.simulator.callers import GatherPrompt
from ivr.simulator.params import VirtualClock
from ivr.simulator.result import CallResult, Event, RecordingInfo
from ivr.simulator.script import CallScript
from ivr.simulator.simulator import TwilioSimulator
from ivr.simulator.twiml import Document, Verb


class PauseAtGather(Exception):
    """The call waits for the caller's keys at a ``<Gather>``."""

    def __init__(self, prompt: GatherPrompt) -> None:
        super().__init__("waiting for keys")
        self.prompt = prompt


class StepCaller:
    """Gives this step's keys (if any) at the first ``<Gather>``, pauses at the next."""

    def __init__(self, keys: str | None) -> None:
        self._keys = keys
        self._events: list[Event] = []
        self.answered_after = 0  # events before this index were heard in an earlier step

    def bind(self, session: CallSession) -> None:
        """Watch ``session``'s events (to tell this step's from those heard before)."""
        self._events = session.result.events

    def next_answer(self, prompt: GatherPrompt) -> str | None:
        """The step's keys once; then pause the call."""
        if self._keys is None:
            raise PauseAtGather(prompt)
        keys, self._keys = self._keys, None
        self.answered_after = len(self._events)
        return keys


@dataclass
class CallState:
    """Everything needed to resume a paused call; JSON-able (``to_dict``/``from_dict``)."""

    call_sid: str
    params: dict[str, str]
    started_at: str
    elapsed_s: float
    status: str
    answered: bool
    steps: int
    document: dict[str, Any]
    index: int
    deferred: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallState:
        """The state ``to_dict`` gave (``TypeError``/``KeyError`` for anything else)."""
        return cls(**data)


@dataclass
class Step:
    """What one step did: what the caller heard and did, and the state to resume (None
    once the call is over, its callbacks sent)."""

    events: list[Event]
    state: CallState | None
    prompt: GatherPrompt | None
    result: CallResult


def start_call(sim: TwilioSimulator, script: CallScript) -> Step:
    """Place a call and play it up to its first ``<Gather>`` (or its end)."""
    caller = StepCaller(None)
    session = sim.new_session(script, caller=caller)
    caller.bind(session)
    return _play(session, caller, None, 0)


def continue_call(sim: TwilioSimulator, script: CallScript, state: CallState, keys: str) -> Step:
    """Answer the waiting ``<Gather>`` with ``keys`` (``"hangup"`` hangs up), play on."""
    caller = StepCaller(keys)
    session = sim.new_session(script, caller=caller)
    _restore(session, state)
    caller.bind(session)
    audio = session.voicemail
    for recording in session.result.recordings:  # recorded in an earlier step: serve again
        if audio is not None:
            sim.media.add(recording.sid, state.call_sid, audio, recording.duration_s)
    return _play(session, caller, _document(state.document), state.index)


def _play(session: CallSession, caller: StepCaller, document: Document | None, index: int) -> Step:
    try:
        result = session.run_from(document, index)
    except PauseAtGather as pause:
        events = session.result.events[caller.answered_after :]
        return Step(events, _capture(session), pause.prompt, session.result)
    return Step(result.events[caller.answered_after :], None, None, result)


def _capture(session: CallSession) -> CallState:
    assert session.position is not None
    document, index = session.position
    return CallState(
        call_sid=session.result.call_sid,
        params=dict(session.params),
        started_at=session.clock.start.isoformat(),
        elapsed_s=session.clock.elapsed_s,
        status=session.status,
        answered=session.answered,
        steps=session.steps - 1,  # the paused Gather runs (and counts) again on resume
        document={"url": document.url, "verbs": [asdict(v) for v in document.verbs]},
        index=index,
        deferred=[asdict(c) for c in session.deferred],
        recordings=[asdict(r) for r in session.result.recordings],
    )


def _restore(session: CallSession, state: CallState) -> None:
    session.params = dict(state.params)
    session.result = CallResult(state.call_sid, state.params["From"], state.params["To"])
    session.result.recordings = [RecordingInfo(**r) for r in state.recordings]
    session.clock = VirtualClock(datetime.fromisoformat(state.started_at))
    session.clock.elapsed_s = state.elapsed_s
    session.status = state.status
    session.answered = state.answered
    session.steps = state.steps
    session.deferred = [PendingCallback(**c) for c in state.deferred]


def _verb(data: dict[str, Any]) -> Verb:
    children = tuple(_verb(c) for c in data.get("children", ()))
    return Verb(data["name"], dict(data.get("attrs", {})), data.get("text", ""), children)


def _document(data: dict[str, Any]) -> Document:
    return Document(url=data["url"], verbs=tuple(_verb(v) for v in data["verbs"]))
