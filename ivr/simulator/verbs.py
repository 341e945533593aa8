"""What Twilio does for each verb: speak, wait for keys, redirect, dial, hang up.

A handler returns the next document to run, or ``None`` to go on with the next verb;
it raises ``CallOver`` when the call ends. Simulated time advances as the caller
listens and waits; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

from ivr.simulator.callers import GatherPrompt
from ivr.simulator.params import new_sid
from ivr.simulator.result import EndedBy, GatherInput
from ivr.simulator.script import HANGUP
from ivr.simulator.twiml import Document, Verb

if TYPE_CHECKING:
    from ivr.simulator.call import CallSession

DEFAULT_LANGUAGE = "en-US"
DEFAULT_VOICE = "man"
SPEECH_CHARS_PER_S = 15
PLAY_S = 3.0  # <Play> audio is not fetched; count a short clip
KEY_PRESS_S = 0.3
DIAL_TALK_S = 60  # an answered transfer

Handler = Callable[["CallSession", Verb, Document], Document | None]


class CallOver(Exception):
    """The call has ended; ``ended_by`` says who ended it."""

    def __init__(self, ended_by: EndedBy) -> None:
        super().__init__(ended_by)
        self.ended_by: EndedBy = ended_by


def split_keys(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, str]:
    """(Digits, FinishedOnKey) Twilio reports for keys pressed at a ``<Gather>``.

    Input stops at the finish key (not included in Digits) or once ``num_digits`` keys
    are in; later keys are lost.
    """
    digits = ""
    for key in keys:
        if finish_on_key and key == finish_on_key:
            return digits, key
        digits += key
        if num_digits and len(digits) >= num_digits:
            break
    return digits, ""


def caller_hangs_up(call: CallSession, text: str = "hangs up") -> NoReturn:
    """The caller puts the phone down: the call is over."""
    call.emit("caller", "hangup", text)
    call.status = "completed"
    raise CallOver("caller")


def say(call: CallSession, verb: Verb, document: Document) -> None:
    """``<Say>``: the caller hears the text, about 15 characters a second."""
    if not verb.text:
        call.warn(document, "<Say> without text")
        return
    language = verb.get("language", DEFAULT_LANGUAGE)
    call.emit("ivr", "say", verb.text, language, verb.get("voice", DEFAULT_VOICE))
    call.clock.advance(len(verb.text) / SPEECH_CHARS_PER_S * _loops(verb))


def play(call: CallSession, verb: Verb, document: Document) -> None:
    """``<Play>``: noted, not fetched."""
    call.emit("ivr", "plays", verb.text)
    call.clock.advance(PLAY_S * _loops(verb))


def pause(call: CallSession, verb: Verb, document: Document) -> None:
    """``<Pause length>``: silence on the line."""
    length = verb.int_attr("length", 1)
    call.emit("ivr", "pauses", f"{length} s")
    call.clock.advance(length)


def gather(call: CallSession, verb: Verb, document: Document) -> Document | None:
    """``<Gather>``: play its prompts, take the caller's keys, request the action.

    With no input Twilio does not request the action (unless ``actionOnEmptyResult``)
    and goes on with the next verb.
    """
    for prompt_verb in verb.children:
        HANDLERS[prompt_verb.name](call, prompt_verb, document)
    prompt = GatherPrompt(
        num_digits=verb.int_attr("numDigits", 0) or None,
        finish_on_key=verb.attrs.get("finishOnKey", "#"),
        timeout_s=verb.int_attr("timeout", 5),
    )
    keys = _ask(call, prompt)
    if keys and "dtmf" not in verb.get("input", "dtmf").split():
        call.warn(document, "<Gather> does not take keys here and speech is not simulated")
        keys = ""
    digits, key = split_keys(keys, prompt.num_digits, prompt.finish_on_key)
    complete = bool(key) or bool(prompt.num_digits and len(digits) >= prompt.num_digits)
    call.clock.advance(KEY_PRESS_S * len(keys) + (0 if complete else prompt.timeout_s))
    requested = bool(digits) or verb.get("actionOnEmptyResult") == "true"
    call.result.gathers.append(GatherInput(keys, digits, key, requested))
    if keys:
        call.emit("caller", "press", keys)
    else:
        call.emit("caller", "silence", f"presses nothing ({prompt.timeout_s} s)")
    if not requested:
        return None
    url = call.resolve(document, verb.get("action"))
    params = {"Digits": digits, "FinishedOnKey": key}
    return call.fetch("gather", call.method(verb, document), url, params)


def _ask(call: CallSession, prompt: GatherPrompt) -> str:
    answer = call.caller.next_answer(prompt)
    if answer is None:
        call.result.script_exhausted = True
        caller_hangs_up(call, "hangs up (no scripted answer left)")
    if answer == HANGUP:
        caller_hangs_up(call)
    return answer


def redirect(call: CallSession, verb: Verb, document: Document) -> Document | None:
    """``<Redirect>``: the next document comes from its URL (POST unless GET)."""
    if not verb.text:
        call.warn(document, "<Redirect> without a URL")
        return None
    url = call.resolve(document, verb.text)
    return call.fetch("redirect", call.method(verb, document), url)


def dial(call: CallSession, verb: Verb, document: Document) -> Document | None:
    """``<Dial>``: the transfer ends as the script says; without action, carry on."""
    target = verb.text or ", ".join(noun.text or noun.name for noun in verb.children)
    status = call.script.dial_status
    talk = DIAL_TALK_S if status in ("completed", "answered") else 0
    ringing = verb.int_attr("timeout", 30) if status == "no-answer" else 2
    call.emit("twilio", "dial", f"{target} -> {status}")
    call.clock.advance(talk or ringing)
    if not verb.get("action"):
        return None
    url = call.resolve(document, verb.get("action"))
    params = {
        "DialCallStatus": status,
        "DialCallSid": new_sid("CA"),
        "DialCallDuration": str(talk),
    }
    return call.fetch("dial", call.method(verb, document), url, params)


def hangup(call: CallSession, verb: Verb, document: Document) -> NoReturn:
    """``<Hangup>``: the app ends the call."""
    call.emit("ivr", "hangs up")
    raise CallOver("app")


def reject(call: CallSession, verb: Verb, document: Document) -> NoReturn:
    """``<Reject>``: as the first verb, the call is never answered (busy / no-answer)."""
    reason = verb.get("reason", "rejected")
    if not call.answered:
        call.reject_status = "busy" if reason == "busy" else "no-answer"
    call.emit("ivr", "rejects the call", reason)
    raise CallOver("app")


def _loops(verb: Verb) -> int:
    return max(verb.int_attr("loop", 1), 1)  # loop="0" repeats until input: count once


HANDLERS: dict[str, Handler] = {
    "Say": say,
    "Play": play,
    "Pause": pause,
    "Gather": gather,
    "Redirect": redirect,
    "Dial": dial,
    "Hangup": hangup,
    "Reject": reject,
}
"""Handlers by verb name; ``call`` adds ``Record`` from ``record``."""
