"""``twilio``: Twilio transcribes the recording itself and posts the text to a callback.

``<Record transcribe="true" transcribeCallback=...>`` transcribes English recordings of
up to two minutes. The engine therefore has nothing to do at ``transcribe`` time but say
``pending``; ``from_twilio_callback`` turns the callback's ``TranscriptionText`` and
``TranscriptionStatus`` into the result.
"""

from __future__ import annotations

from transcripts.engines.audio import wav_seconds
from transcripts.registry import register
from transcripts.transcript import Transcript, base_language, no_engine

ENGINE = "twilio"


@register(ENGINE)
class TwilioTranscriber:
    """The text arrives later, by Twilio's ``transcribeCallback``."""

    name = ENGINE
    languages = frozenset({"en"})

    def transcribe(self, wav: bytes, language: str) -> Transcript:
        """``pending`` for English (see ``from_twilio_callback``), else ``no_engine``."""
        seconds = wav_seconds(wav)
        if base_language(language) not in self.languages:
            return no_engine(self.name, language, seconds)
        return Transcript(
            text=None,
            engine=self.name,
            status="pending",
            detail="awaiting Twilio's transcription callback",
            audio_seconds=seconds,
        )


def from_twilio_callback(
    text: str | None, status: str, *, audio_seconds: float = 0.0
) -> Transcript:
    """The transcript from Twilio's ``TranscriptionText`` and ``TranscriptionStatus``.

    ``completed`` keeps the text (stripped; empty for a silent recording), ``failed`` and
    any unexpected status give ``failed``; ``in-progress`` stays ``pending``.
    """
    state = status.strip().lower()
    if state == "completed":
        return Transcript((text or "").strip(), ENGINE, "completed", None, audio_seconds)
    if state == "in-progress":
        return Transcript(None, ENGINE, "pending", "Twilio is transcribing", audio_seconds)
    if state == "failed":
        detail = "Twilio could not transcribe the recording"
    else:
        detail = f"unexpected Twilio transcription status {status[:40]!r}"
    return Transcript(None, ENGINE, "failed", detail, audio_seconds)
