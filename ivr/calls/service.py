"""What each Twilio webhook does to the call it belongs to.

Views parse the request and call one of these; each returns the answer (TwiML text or
nothing) and leaves the commit to the request's edge. ``now`` is passed in so that a
request replayed from the spool is filed at the time it was received.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Literal

from sqlalchemy.orm import Session

import callflows
from callflows import Input, Turn
from callflows.nodes import HangupNode
from ivr.calls import store
from ivr.calls.numbers import caller_e164, parse_caller
from ivr.calls.runtime import FlowRuntime
from ivr.calls.store import CallRecord
from ivr.crypto import DataCipher
from ivr.jobs.outbox import schedule
from transcripts import from_twilio_callback

ActionKind = Literal["gather", "record", "dial"]
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# How far a status callback's Timestamp may be from the time it is filed.
TIMESTAMP_SLACK = timedelta(days=7)


class BadWebhook(ValueError):
    """A signed request that lacks what its endpoint needs."""


@dataclass(frozen=True)
class Hotline:
    """What every handler needs besides the request: session, flow and cipher."""

    session: Session
    runtime: FlowRuntime
    cipher: DataCipher

    def call_for(self, params: Mapping[str, str], now: datetime) -> tuple[CallRecord, bool]:
        """The call a webhook belongs to, created on first sight."""
        call_sid = params.get("CallSid", "")
        if not call_sid:
            raise BadWebhook("CallSid is missing")
        return store.get_or_create_call(
            self.session,
            self.cipher,
            call_sid=call_sid[:64],
            account_sid=params.get("AccountSid", "")[:64],
            caller=lambda: parse_caller(params.get("From")),
            to_number=params.get("To", "")[:32] or None,
            flow_name=self.runtime.flow.name,
            now=now,
        )

    def _apply(self, call: CallRecord, turn: Turn) -> str:
        store.save_state(call, turn.state, self.cipher)
        store.add_flow_events(self.session, call, turn.events)
        store.save_call(self.session, call)
        return self.runtime.render(turn)

    def _context(
        self, call: CallRecord, params: Mapping[str, str], now: datetime
    ) -> callflows.Context:
        return self.runtime.context(now, caller_e164(params.get("From")), call.reference_number)

    def answer_call(self, params: Mapping[str, str], now: datetime) -> str:
        """``/twilio/voice``: a new call starts the flow; a repeated request re-presents it."""
        params = without_nul(params)
        call, _created = self.call_for(params, now)
        _note_progress(call, params)
        state = store.load_state(call, self.cipher)
        ctx = self._context(call, params, now)
        if state is None:
            return self._apply(call, callflows.start(self.runtime.flow, ctx))
        store.add_event(self.session, call, "replay", now, node=state.node, outcome="voice")
        return self._apply(call, callflows.present(self.runtime.flow, state, ctx))

    def answer_action(
        self,
        kind: ActionKind,
        node: str | None,
        seq: str | None,
        params: Mapping[str, str],
        now: datetime,
    ) -> str:
        """A ``<Gather>``, ``<Record>`` or ``<Dial>`` action: the caller's answer to a node.

        An answer to anything but the node the call is waiting on (a Twilio retry, a
        replay, a request out of order) changes nothing and re-presents the current node.
        """
        params = without_nul(params)
        call, _created = self.call_for(params, now)
        _note_progress(call, params)
        state = store.load_state(call, self.cipher)
        ctx = self._context(call, params, now)
        if state is None:
            return self._apply(call, callflows.start(self.runtime.flow, ctx))
        if state.finished or node != state.node or seq != str(state.seq):
            # The query is ours only if Twilio sent it: call_events.node holds 64 characters.
            shown = node.replace("\x00", "")[:64] if node is not None else None
            store.add_event(self.session, call, "replay", now, node=shown, outcome=kind)
            return self._apply(call, callflows.present(self.runtime.flow, state, ctx))
        if kind == "record" and params.get("RecordingSid"):
            self._recording_from_action(call, params)
        inp = Input(
            kind=kind,
            digits=params.get("Digits") if kind != "dial" else None,
            recording_url=params.get("RecordingUrl") or None,
            recording_sid=params.get("RecordingSid") or None,
            dial_status=params.get("DialCallStatus") if kind == "dial" else None,
        )
        return self._apply(call, callflows.advance(self.runtime.flow, state, inp, ctx))

    def _recording_from_action(self, call: CallRecord, params: Mapping[str, str]) -> None:
        store.upsert_recording(
            self.session,
            call,
            recording_sid=params["RecordingSid"][:64],
            status="processing",
            url=params.get("RecordingUrl", "")[:512] or None,
            duration_s=_int(params.get("RecordingDuration")),
            ended_with="hangup" if params.get("Digits") == "hangup" else "key",
        )

    def recording_status(self, params: Mapping[str, str], now: datetime) -> None:
        """``/twilio/recording-status``: file the recording, once, whatever the order."""
        params = without_nul(params)
        sid = params.get("RecordingSid", "")
        if not sid:
            raise BadWebhook("RecordingSid is missing")
        call, _created = self.call_for(params, now)
        status = params.get("RecordingStatus", "completed")[:20]
        recording_id, changed = store.upsert_recording(
            self.session,
            call,
            recording_sid=sid[:64],
            status=status,
            url=params.get("RecordingUrl", "")[:512] or None,
            duration_s=_int(params.get("RecordingDuration")),
        )
        if changed:
            store.add_event(self.session, call, "recording", now, outcome=status, detail=sid[:64])
        if changed and status == "completed":
            schedule(self.session, "fetch_recording", recording_id, queue="media")
        elif changed and status in ("absent", "failed") and call.ended_at is not None:
            schedule(self.session, "refresh_report", call.id, queue=_report_queue(call))

    def transcription(self, params: Mapping[str, str], now: datetime) -> None:
        """``/twilio/transcription``: Twilio's transcript, stored encrypted (never logged)."""
        params = without_nul(params)
        sid = params.get("RecordingSid", "")
        if not sid:
            raise BadWebhook("RecordingSid is missing")
        call, _created = self.call_for(params, now)
        recording_id, _changed = store.upsert_recording(
            self.session, call, recording_sid=sid[:64], status="processing"
        )
        result = from_twilio_callback(
            params.get("TranscriptionText"), params.get("TranscriptionStatus", "")
        )
        if store.save_transcript(self.session, self.cipher, recording_id, result, call.language):
            store.add_event(self.session, call, "transcription", now, outcome=result.status)
            if call.ended_at is not None:
                schedule(self.session, "refresh_report", call.id, queue=_report_queue(call))

    def call_status(self, params: Mapping[str, str], now: datetime) -> None:
        """``/twilio/status``: progress, then the final status that closes the call.

        Duplicated and out-of-order callbacks are ignored: a final status is final, and an
        older sequence number never overwrites a newer one.
        """
        params = without_nul(params)
        call, _created = self.call_for(params, now)
        status = params.get("CallStatus", "")[:20]
        seq = _int(params.get("SequenceNumber"))
        seq = -1 if seq is None else seq
        if call.ended_at is not None or (seq <= call.status_seq and status not in FINAL_STATUSES):
            return
        call.status_seq = max(seq, call.status_seq)
        call.status = status
        if status in FINAL_STATUSES:
            self._finish(call, params, now)
            schedule(self.session, "refresh_report", call.id, queue=_report_queue(call))
        store.add_event(self.session, call, "status", now, node=call.last_step, outcome=status)
        store.save_call(self.session, call)

    def _finish(self, call: CallRecord, params: Mapping[str, str], now: datetime) -> None:
        ended_at = _timestamp(params.get("Timestamp"), now) or now
        duration = _int(params.get("CallDuration"))
        call.ended_at = ended_at
        call.duration_s = duration
        if duration is not None and call.started_at > ended_at - timedelta(seconds=duration):
            call.started_at = ended_at - timedelta(seconds=duration)
        state = store.load_state(call, self.cipher)
        if call.status != "completed":
            call.ended_by = call.status
        elif state is not None and state.finished and self._said_goodbye(state.node):
            call.ended_by = "ivr"
        else:
            call.ended_by = "caller"

    def _said_goodbye(self, node_id: str) -> bool:
        """True when the flow ended the call (a hangup node), not the caller."""
        return isinstance(self.runtime.flow.nodes.get(node_id), HangupNode)

    def note_degraded(self, endpoint: str, params: Mapping[str, str], now: datetime) -> None:
        """File a request that was answered by the degraded path (replayed from the spool)."""
        params = without_nul(params)
        call, _created = self.call_for(params, now)
        call.degraded = True
        store.add_event(self.session, call, "fallback", now, outcome=endpoint[:32])
        store.save_call(self.session, call)
        if params.get("RecordingSid"):
            self._recording_from_action(call, params)


def without_nul(params: Mapping[str, str]) -> dict[str, str]:
    """The parameters minus NUL characters, which PostgreSQL text columns refuse.

    Twilio never sends one; a signed request that does must not reach the degraded path.
    """
    return {name: value.replace("\x00", "") for name, value in params.items()}


def _report_queue(call: CallRecord) -> str:
    return "urgent" if call.immediate_danger else "normal"


def _note_progress(call: CallRecord, params: Mapping[str, str]) -> None:
    status = params.get("CallStatus", "")
    if call.ended_at is None and status and status not in FINAL_STATUSES:
        call.status = status[:20]


def _int(value: str | None) -> int | None:
    """A small non-negative integer from a webhook field; anything else is unknown."""
    if not value or len(value) > 10:
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if 0 <= number < 2**31 else None


def _timestamp(value: str | None, now: datetime) -> datetime | None:
    """Twilio's ``Timestamp`` in UTC; None when missing, malformed or far from ``now``.

    A date years away is not the time a callback was sent, and one at the end of time
    (``Fri, 31 Dec 9999 23:59:59 -0100``) overflows when converted to UTC.
    """
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            return None
        parsed = parsed.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return parsed if abs(parsed - now) <= TIMESTAMP_SLACK else None
