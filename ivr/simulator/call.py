"""One simulated inbound call: fetch TwiML, run it verb by verb, send the callbacks.

``CallSession`` is the engine (documents, fallback, step limit, callbacks); the verbs
themselves live in ``verbs`` and ``record`` and act on the session through its public
methods.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import urljoin

import requests

from ivr.simulator.api import MediaStore
from ivr.simulator.callbacks import PendingCallback, delivery_order
from ivr.simulator.callers import Caller
from ivr.simulator.params import (
    API_VERSION,
    WITHHELD,
    VirtualClock,
    call_parameters,
    new_sid,
    twilio_time,
)
from ivr.simulator.record import record
from ivr.simulator.result import Actor, CallError, CallResult, Event
from ivr.simulator.script import CallScript, Faults
from ivr.simulator.signing import UrlMap
from ivr.simulator.transport import Reply, WebhookClient
from ivr.simulator.twiml import Document, TwimlError, Verb, parse_twiml
from ivr.simulator.verbs import HANDLERS, SPEECH_CHARS_PER_S, CallOver, Handler

APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
_HANDLERS: dict[str, Handler] = {**HANDLERS, "Record": record}
_REPLAYED_KINDS = frozenset({"gather", "record"})

EventListener = Callable[[Event], None]


@dataclass(frozen=True)
class CallContext:
    """What a call needs from the simulator that places it."""

    urls: UrlMap
    account_sid: str
    auth_token: str
    api_base: str
    media: MediaStore
    voice_path: str
    status_path: str | None
    fallback_path: str | None
    max_steps: int
    timeout_s: float


class CallSession:
    """Plays one call against the app; ``run()`` once, then read its ``CallResult``."""

    def __init__(
        self,
        ctx: CallContext,
        script: CallScript,
        *,
        caller: Caller,
        faults: Faults,
        on_event: EventListener | None = None,
    ) -> None:
        self.ctx = ctx
        self.script = script
        self.caller = caller
        self.faults = faults
        self.on_event = on_event
        from_number = script.from_number or WITHHELD
        call_sid = new_sid("CA")
        self.result = CallResult(call_sid, from_number, script.to_number)
        self.params = call_parameters(call_sid, ctx.account_sid, from_number, script.to_number)
        self.clock = VirtualClock(datetime.now(UTC))
        self.voicemail = script.voicemail_bytes()
        self.status = "ringing"
        self.answered = False  # only <Reject> as the very first verb leaves a call unanswered
        self.reject_status = ""
        self.steps = 0
        self.deferred: list[PendingCallback] = []
        self.position: tuple[Document, int] | None = None  # the verb being run
        session = requests.Session()
        session.trust_env = False  # no proxy or .netrc of this machine: Twilio has neither
        self.client = WebhookClient(session, ctx.urls, ctx.auth_token, ctx.timeout_s)

    def run(self) -> CallResult:
        """Place the call, follow the TwiML until someone hangs up, then send callbacks."""
        return self.run_from(None)

    def run_from(self, document: Document | None, index: int = 0) -> CallResult:
        """Play the call from its start (``document`` None) or from verb ``index`` of
        ``document`` (a call resumed where it was paused), to the end and its callbacks.

        An exception the caller raises in ``next_answer`` propagates, callbacks unsent:
        that is how a step-by-step caller pauses the call; ``position`` then holds the
        document and the index of the verb that asked (see ``ivr.simulator.stepped``).
        """
        with self.client.session:
            try:
                if document is None:
                    voice_url = self.ctx.urls.public(self.ctx.voice_path)
                    document = self.fetch("voice", "POST", voice_url)
                self._follow(document, index)
            except CallOver as over:
                self._end(over)
            self.send_callbacks(self._status_callback(), self.deferred)
        return self.result

    def _follow(self, document: Document, index: int = 0) -> NoReturn:
        self.status = "in-progress"
        while True:
            document = self._run_document(document, index)
            index = 0

    def _run_document(self, document: Document, start: int = 0) -> Document:
        if start == 0:
            self.result.warnings.extend(f"{document.url}: {w}" for w in document.warnings)
        for index in range(start, len(document.verbs)):
            verb = document.verbs[index]
            self.position = (document, index)
            self._count_step(document)
            handler = _HANDLERS.get(verb.name)
            if handler is None:
                self.warn(document, f"<{verb.name}> is not simulated: skipped")
                continue
            self.answered = self.answered or verb.name != "Reject"
            following = handler(self, verb, document)
            if following is not None:
                return following
        self.emit("ivr", "hangs up", "end of the document")
        raise CallOver("app")

    def _count_step(self, document: Document) -> None:
        self.steps += 1
        if self.steps > self.ctx.max_steps:
            message = f"more than {self.ctx.max_steps} verbs run: the simulator stops the call"
            self.error(CallError(None, "limit", document.url, message))
            raise CallOver("error")

    def _end(self, over: CallOver) -> None:
        self.result.ended_by = over.ended_by
        self.status = "completed" if self.answered else (self.reject_status or "completed")
        self.result.duration_s = math.ceil(self.clock.elapsed_s) if self.answered else 0

    # --- requesting TwiML ---------------------------------------------------------------

    def fetch(
        self, kind: str, method: str, url: str, extra: dict[str, str] | None = None
    ) -> Document:
        """The next document; on failure the Fallback URL's, or the call ends in error."""
        outcome = self.answer(kind, method, url, extra or {})
        if isinstance(outcome, Document):
            return outcome
        self.error(outcome)
        return self._fallback(outcome, extra or {})

    def answer(
        self, kind: str, method: str, url: str, extra: dict[str, str]
    ) -> Document | CallError:
        """Request TwiML (twice when replaying actions) and parse the answer that counts."""
        params = self.call_params(extra)
        reply = self._send(kind, method, url, params)
        outcome = self._document(reply, url)
        if self.faults.replay_actions and kind in _REPLAYED_KINDS:
            # A Twilio retry: the app answers again and only the second answer is run.
            if isinstance(outcome, CallError):
                self.error(outcome)
            token = reply.record.idempotency_token
            outcome = self._document(self._send(kind, method, url, params, token, True), url)
        return outcome

    def _document(self, reply: Reply, url: str) -> Document | CallError:
        if reply.error is not None:
            return reply.error
        try:
            return parse_twiml(url, reply.body, reply.content_type)
        except TwimlError as exc:
            return CallError(exc.code, reply.record.kind, reply.record.url, exc.message)

    def _fallback(self, error: CallError, extra: dict[str, str]) -> Document:
        if self.ctx.fallback_path is None:
            self._application_error()
        url = self.ctx.urls.public(self.ctx.fallback_path)
        params = self.call_params({**extra, "ErrorCode": str(error.code), "ErrorUrl": error.url})
        outcome = self._document(self._send("fallback", "POST", url, params), url)
        if isinstance(outcome, CallError):
            self.error(outcome)
            self._application_error()
        return outcome

    def _application_error(self) -> NoReturn:
        """What Twilio does when neither the app nor its fallback gave usable TwiML."""
        self.answered = True
        self.emit("ivr", "say", APPLICATION_ERROR, "en-US", "woman")
        self.clock.advance(len(APPLICATION_ERROR) / SPEECH_CHARS_PER_S)
        raise CallOver("error")

    # --- callbacks ------------------------------------------------------------------------

    def _status_callback(self) -> PendingCallback | None:
        if self.ctx.status_path is None:
            return None
        params = {
            "CallDuration": str(self.result.duration_s),
            # The time the callback is sent, as Twilio gives it: real time, not the call's
            # simulated time (ahead of it by the prompts nobody waited for), which would
            # end the call after its report was ready.
            "Timestamp": twilio_time(datetime.now(UTC)),
            "SequenceNumber": "0",
            "CallbackSource": "call-progress-events",
        }
        url = self.ctx.urls.public(self.ctx.status_path)
        return PendingCallback("status", "POST", url, self.call_params(params))

    def send_callbacks(self, status: PendingCallback | None, others: list[PendingCallback]) -> None:
        """Send callbacks now, in the order and number ``faults`` asks for."""
        for callback in delivery_order(status, others, self.faults):
            reply = self._send(
                callback.kind, callback.method, callback.url, callback.params, callback.token
            )
            if reply.error is not None:
                self.error(reply.error)

    # --- for the verbs --------------------------------------------------------------------

    def _send(
        self,
        kind: str,
        method: str,
        url: str,
        params: dict[str, str],
        token: str | None = None,
        replay: bool = False,
    ) -> Reply:
        reply = self.client.send(kind, method, url, params, token=token, replay=replay)
        self.result.requests.append(reply.record)
        return reply

    def call_params(self, extra: dict[str, str]) -> dict[str, str]:
        """The call's parameters with its current ``CallStatus``, plus ``extra``."""
        return {**self.params, "CallStatus": self.status, **extra}

    def method(self, verb: Verb, document: Document, attr: str = "method") -> str:
        """The HTTP method a verb asks for: POST unless it says GET."""
        method = verb.get(attr, "POST").upper()
        if method not in ("GET", "POST"):
            self.warn(document, f"<{verb.name} {attr}={method!r}>: POST used")
            return "POST"
        return method

    def resolve(self, document: Document, url: str) -> str:
        """An absolute URL: relative ones resolve on the document; none means the document."""
        return urljoin(document.url, url) if url else document.url

    def account_url(self) -> str:
        """The account's base on the simulated REST API (recordings, transcriptions)."""
        return f"{self.ctx.api_base}/{API_VERSION}/Accounts/{self.ctx.account_sid}"

    def emit(
        self, actor: Actor, kind: str, text: str = "", language: str = "", voice: str = ""
    ) -> None:
        """Add a moment to the dialogue and tell the listener, if any."""
        event = Event(round(self.clock.elapsed_s, 1), actor, kind, text, language, voice)
        self.result.events.append(event)
        if self.on_event is not None:
            self.on_event(event)

    def warn(self, document: Document, message: str) -> None:
        """Note something Twilio would only warn about."""
        self.result.warnings.append(f"{document.url}: {message}")

    def error(self, error: CallError) -> None:
        """Note a failure Twilio would log as an error."""
        self.result.errors.append(error)
