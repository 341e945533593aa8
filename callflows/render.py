"""TwiML for a turn, built only with twilio's voice_response builders (they escape)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from callflows.actions import Action, Dial, Gather, Hangup, Pause, Record, Say
from callflows.nodes import LANGUAGE_TAGS
from callflows.prompts import Prompts
from callflows.state import Turn

RECORDING_EVENTS = "completed absent"


def action_url(base_url: str, verb: str, node: str, seq: int) -> str:
    """Where Twilio posts the answer to an input request: /twilio/{verb}?node=..&seq=.."""
    return f"{base_url.rstrip('/')}/twilio/{verb}?{urlencode({'node': node, 'seq': seq})}"


def render(
    turn: Turn,
    prompts: Prompts,
    *,
    base_url: str,
    voices: Mapping[str, str],
    transcribe: bool = False,
) -> str:
    """The TwiML document (starting with `<?xml`) that performs the turn's actions.

    Gathers and Records are followed by a Redirect to their own action URL, because
    Twilio does not request the action when nothing was pressed or recorded.
    """
    renderer = _Renderer(prompts, base_url.rstrip("/"), voices, transcribe)
    for action in turn.actions:
        renderer.add(action)
    return str(renderer.response.to_xml())


class _Renderer:
    def __init__(
        self, prompts: Prompts, base_url: str, voices: Mapping[str, str], transcribe: bool
    ) -> None:
        self.prompts, self.base_url, self.voices = prompts, base_url, voices
        self.transcribe = transcribe
        self.response = VoiceResponse()

    def add(self, action: Action) -> None:
        if isinstance(action, Say | Pause):
            self.spoken(self.response, action)
        elif isinstance(action, Gather):
            self.gather(action)
        elif isinstance(action, Record):
            self.record(action)
        elif isinstance(action, Dial):
            self.dial(action)
        elif isinstance(action, Hangup):
            self.response.hangup()

    def spoken(self, parent: Any, action: Say | Pause) -> None:
        """A <Say> or <Pause> under `parent` (the Response or a Gather)."""
        if isinstance(action, Pause):
            parent.pause(length=action.seconds)
            return
        tag = LANGUAGE_TAGS[action.language]
        text = self.prompts.text(tag, action.key, **dict(action.params))
        parent.say(text, language=tag, voice=self.voices.get(tag))

    def gather(self, action: Gather) -> None:
        url = action_url(self.base_url, "gather", action.node, action.seq)
        gather = self.response.gather(
            input="dtmf",
            action=url,
            method="POST",
            timeout=action.timeout,
            finish_on_key=action.finish_on_key,
            num_digits=action.num_digits,
        )
        for spoken in action.says:
            self.spoken(gather, spoken)
        self.response.redirect(url, method="POST")

    def record(self, action: Record) -> None:
        url = action_url(self.base_url, "record", action.node, action.seq)
        extra: dict[str, object] = {}
        if self.transcribe:
            extra = {
                "transcribe": True,
                "transcribe_callback": f"{self.base_url}/twilio/transcription",
            }
        self.response.record(
            action=url,
            method="POST",
            max_length=action.max_length,
            finish_on_key=action.finish_on_key,
            play_beep=action.play_beep,
            timeout=action.timeout,
            recording_status_callback=f"{self.base_url}/twilio/recording-status",
            recording_status_callback_method="POST",
            recording_status_callback_event=RECORDING_EVENTS,
            **extra,
        )
        self.response.redirect(url, method="POST")

    def dial(self, action: Dial) -> None:
        url = action_url(self.base_url, "dial", action.node, action.seq)
        dial = self.response.dial(action=url, method="POST", timeout=action.timeout)
        for number in action.numbers:
            dial.number(number)
