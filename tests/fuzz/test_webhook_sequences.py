"""Fuzzing whole calls: random sequences of webhooks for one CallSid.

Voice requests, answers to the step the call is on (or to stale and made-up steps),
recordings, status callbacks in any order, and duplicates of the previous request.
Whatever the order: no server error, no degraded path, one Call per CallSid, one
Recording per RecordingSid, a final status stays final and a recording's status only
moves forward, and a duplicate changes nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callflows import Flow
from callflows.nodes import MenuNode, NumberNode
from models import Call, Recording
from tests.conftest import ACCOUNT_SID, PUBLIC_BASE_URL, call_params
from tests.fuzz.conftest import WebhookClient, examples
from tests.fuzz.strategies import (
    CALL_STATUSES,
    DIAL_STATUSES,
    NODES,
    RECORDING_STATUSES,
    Request,
    assert_valid_twiml,
    odd_text,
    unique_hex,
)

NUMBERS = ["1", "6132345678", "2045550123", "555", ""]
FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}
RECORDING_FINAL = {"completed", "absent", "failed"}


# --- steps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """Twilio requests the Voice URL (first, or again)."""

    status: str


@dataclass(frozen=True)
class Answer:
    """The caller's answer to the step the call is on (the last action URL).

    With ``pick`` the caller presses one of the step's own keys (so calls go deep into the
    flow), else ``digits``, whatever they are.
    """

    pick: int | None
    digits: str | None
    recording: int | None  # index of the call's RecordingSid; None: no RecordingUrl
    dial_status: str | None


@dataclass(frozen=True)
class Misdirected:
    """An action for another step: stale, made up, or to the wrong endpoint."""

    verb: str
    target: str  # "current", "stale" or "garbage"
    node: str
    seq: str
    digits: str | None


@dataclass(frozen=True)
class RecordingStatus:
    """The recording status callback."""

    recording: int
    status: str
    duration: str | None


@dataclass(frozen=True)
class Transcription:
    """Twilio's transcription callback."""

    recording: int
    status: str
    text: str


@dataclass(frozen=True)
class Status:
    """The call status callback."""

    status: str
    seq: str | None
    duration: str | None


@dataclass(frozen=True)
class Duplicate:
    """The previous request, delivered again."""


Step = Voice | Answer | Misdirected | RecordingStatus | Transcription | Status | Duplicate

keys = st.sampled_from(["1", "2", "3", "4", "1", "2", "8", "9", "0", "#", "*", ""])
answer_digits = st.one_of(
    keys,
    keys,
    st.sampled_from(["2045550123", "6135550142#", "1234", "hangup", "11"]),
    st.none(),
    odd_text,
)
numbers = st.one_of(st.integers(0, 12).map(str), st.none(), odd_text)
answers = st.builds(
    Answer,
    st.none() | st.integers(0, 9) | st.integers(0, 9),
    answer_digits,
    st.none() | st.integers(0, 1) | st.integers(0, 1),
    st.sampled_from(DIAL_STATUSES),
)
steps: st.SearchStrategy[Step] = st.one_of(
    st.builds(Voice, st.sampled_from(["ringing", "in-progress", *CALL_STATUSES])),
    answers,
    answers,
    answers,
    answers,
    answers,
    answers,
    st.builds(
        Misdirected,
        st.sampled_from(["gather", "record", "dial"]),
        st.sampled_from(["current", "stale", "garbage"]),
        st.sampled_from(NODES) | odd_text,
        numbers.map(lambda s: s or ""),
        answer_digits,
    ),
    st.builds(RecordingStatus, st.integers(0, 1), st.sampled_from(RECORDING_STATUSES), numbers),
    st.builds(
        Transcription,
        st.integers(0, 1),
        st.sampled_from(["completed", "failed", "in-progress"]),
        st.text(max_size=40),
    ),
    st.builds(Status, st.sampled_from(CALL_STATUSES), numbers, numbers),
    st.just(Duplicate()),
)

# Lists drawn with a length first: st.lists alone keeps most plans too short to go deep.
plans = st.integers(1, 40).flatmap(lambda n: st.lists(steps, min_size=n, max_size=n))


# --- playing a call --------------------------------------------------------------------


@dataclass
class CallPlayer:
    """Plays steps for one CallSid and remembers what Twilio would."""

    client: WebhookClient
    flow: Flow
    call_sid: str = field(default_factory=lambda: "CA" + unique_hex())
    recording_sids: tuple[str, str] = field(
        default_factory=lambda: ("RE" + unique_hex(), "RE" + unique_hex())
    )
    current: str | None = None  # the action URL (path and query) the call waits on
    history: list[str] = field(default_factory=list)
    previous: Request | None = None

    def request(self, step: Step) -> Request:
        """The request a step stands for."""
        base = call_params(self.call_sid)
        if isinstance(step, Duplicate):
            assert self.previous is not None
            return self.previous
        if isinstance(step, Voice):
            return Request("POST", "/twilio/voice", "", {**base, "CallStatus": step.status})
        if isinstance(step, Answer):
            return self._answer(step, base)
        if isinstance(step, Misdirected):
            return self._misdirected(step, base)
        if isinstance(step, RecordingStatus):
            params = {**base, **self._recording(step.recording), "RecordingStatus": step.status}
            params.update(_optional("RecordingDuration", step.duration))
            return Request("POST", "/twilio/recording-status", "", params)
        if isinstance(step, Transcription):
            params = {**base, **self._recording(step.recording)}
            params |= {"TranscriptionStatus": step.status, "TranscriptionText": step.text}
            return Request("POST", "/twilio/transcription", "", params)
        params = {**base, "CallStatus": step.status}
        params.update(_optional("SequenceNumber", step.seq))
        params.update(_optional("CallDuration", step.duration))
        return Request("POST", "/twilio/status", "", params)

    def _recording(self, index: int) -> dict[str, str]:
        sid = self.recording_sids[index]
        url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{sid}"
        return {"RecordingSid": sid, "RecordingUrl": url}

    def _answer(self, step: Answer, base: dict[str, str]) -> Request:
        target = self.current or "/twilio/gather?node=language&seq=1"
        path, _, query = target.partition("?")
        params = dict(base)
        if path.endswith("/dial"):
            params["DialCallStatus"] = step.dial_status or "no-answer"
        else:
            params.update(_optional("Digits", self._keys(query, step)))
        if path.endswith("/record") and step.recording is not None:
            params |= {**self._recording(step.recording), "RecordingDuration": "7"}
        return Request("POST", path, query, params)

    def _keys(self, query: str, step: Answer) -> str | None:
        """The keys pressed: one of the node's own when the step picks, else anything."""
        node = self.flow.nodes.get(parse_qs(query).get("node", [""])[0])
        if step.pick is None or node is None:
            return step.digits
        if isinstance(node, MenuNode):
            keys = sorted(node.options)
            return keys[step.pick % len(keys)]
        if isinstance(node, NumberNode):
            return NUMBERS[step.pick % len(NUMBERS)]
        return "#"

    def _misdirected(self, step: Misdirected, base: dict[str, str]) -> Request:
        if step.target == "stale" and self.history:
            query = self.history[len(step.node) % len(self.history)].partition("?")[2]
        elif step.target == "current" and self.current:
            query = self.current.partition("?")[2]
        else:
            query = urlencode({"node": step.node, "seq": step.seq})
        params = {**base, **_optional("Digits", step.digits)}
        return Request("POST", f"/twilio/{step.verb}", query, params)

    def heard(self, twiml: str) -> str | None:
        """The action URL in an answer (None when the call was hung up)."""
        root = ET.fromstring(twiml)  # the app's own answer
        for verb in root.iter():
            if verb.tag in {"Gather", "Record", "Dial"}:
                url = verb.attrib["action"]
                assert url.startswith(PUBLIC_BASE_URL)
                parts = urlsplit(url)
                return f"{parts.path}?{parts.query}"
        assert root.find("Hangup") is not None, twiml
        return None


def _optional(name: str, value: str | None) -> dict[str, str]:
    return {} if value is None else {name: value}


# --- what the database says ------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """The call's row and its recordings, minus what background jobs and clocks touch."""

    call: dict[str, Any]
    recordings: dict[str, dict[str, Any]]

    @property
    def ended(self) -> bool:
        return self.call["ended_at"] is not None


CALL_FIELDS: tuple[str, ...] = (
    "status",
    "status_seq",
    "ended_at",
    "ended_by",
    "duration_s",
    "started_at",
)
CALL_FIELDS += ("last_step", "flow_state", "language", "category", "immediate_danger")
CALL_FIELDS += ("transfer", "callback_enc", "reference_number", "degraded")
RECORDING_FIELDS = ("call_id", "url", "duration_s", "status", "ended_with")


def snapshot(session: Session, player: CallPlayer) -> Snapshot:
    """Check the counts, then read the call and its recordings."""
    calls = session.scalars(select(Call).where(Call.call_sid == player.call_sid)).all()
    assert len(calls) == 1, f"{len(calls)} Call rows for one CallSid"
    call = calls[0]
    recordings: dict[str, dict[str, Any]] = {}
    for sid in player.recording_sids:
        count = session.scalar(
            select(func.count()).select_from(Recording).where(Recording.recording_sid == sid)
        )
        assert count is not None and count <= 1, f"{count} Recording rows for one RecordingSid"
        row = session.scalar(select(Recording).where(Recording.recording_sid == sid))
        if row is not None:
            assert row.call_id == call.id
            recordings[sid] = {name: getattr(row, name) for name in RECORDING_FIELDS}
    return Snapshot({name: getattr(call, name) for name in CALL_FIELDS}, recordings)


def check_moves_forward(before: Snapshot | None, after: Snapshot) -> None:
    """A final call status is final; status_seq and recording statuses never go back."""
    if before is None:
        return
    if before.ended:
        for name in ("status", "ended_at", "ended_by", "duration_s", "started_at"):
            assert after.call[name] == before.call[name], f"a final call changed its {name}"
    else:
        assert after.call["status_seq"] >= before.call["status_seq"]
    if after.ended:
        assert after.call["status"] in FINAL and after.call["ended_by"] is not None
    for sid, old in before.recordings.items():
        new = after.recordings[sid]
        if old["status"] in RECORDING_FINAL:
            assert new["status"] == old["status"], "a recording's final status changed"
        for name in ("url", "ended_with"):
            assert old[name] is None or new[name] == old[name], f"recording {name} overwritten"


def send(player: CallPlayer, req: Request) -> tuple[bool, str | None]:
    """Send a signed request; whether it was a callback, and the step its answer asks for."""
    resp = player.client.signed(req)
    assert resp.status_code < 500, resp.text
    callback = req.path in {"/twilio/recording-status", "/twilio/transcription", "/twilio/status"}
    assert resp.status_code == (204 if callback else 200), (resp.status_code, resp.text)
    if callback:
        return True, player.current
    assert_valid_twiml(resp.text)
    return False, player.heard(resp.text)


@settings(
    max_examples=examples(90),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(voice_first=st.booleans(), plan=plans)
def test_any_order_of_webhooks_keeps_one_consistent_call(
    webhook_client: WebhookClient, voice_first: bool, plan: list[Step]
) -> None:
    if voice_first:  # as calls start; else callbacks and actions may come first
        plan = [Voice("ringing"), *plan]
    player = CallPlayer(webhook_client, webhook_client.app.extensions["callflow"].flow)
    database = webhook_client.app.extensions["database"]
    spooled = webhook_client.spooled()
    prior: Snapshot | None = None  # before the previous request
    before: Snapshot | None = None  # before this one
    for step in plan:
        if isinstance(step, Duplicate) and player.previous is None:
            continue
        req = player.request(step)
        callback, action = send(player, req)
        assert webhook_client.spooled() == spooled, "the degraded path ran"
        with database.session() as session:
            after = snapshot(session, player)
        check_moves_forward(before, after)
        # A repeated request changes nothing and re-presents the step; except a repeated
        # action that met a call whose flow had not started: the first one started it.
        repeated = isinstance(step, Duplicate) and prior is not None
        if repeated and prior is not None and (callback or prior.call["flow_state"]):
            assert after == before, "a duplicate request changed the call"
            assert action == player.current, "a duplicate did not re-present the step"
        if not callback:
            player.current = action
            player.history += [action] if action else []
        prior, before = before, after
        player.previous = req
    if before is not None:
        event(f"last step {before.call['last_step']}, ended {before.ended}")
