"""``none``: transcription turned off; every voicemail is kept without a transcript."""

from __future__ import annotations

from transcripts.engines.audio import wav_seconds
from transcripts.registry import register
from transcripts.transcript import Transcript


@register("none")
class NullTranscriber:
    """Transcribes nothing: status ``no_engine``."""

    name = "none"
    languages: frozenset[str] = frozenset()

    def transcribe(self, wav: bytes, language: str) -> Transcript:
        """Status ``no_engine``, with the audio's duration when it can be read."""
        return Transcript(
            text=None,
            engine=self.name,
            status="no_engine",
            detail="transcription is turned off",
            audio_seconds=wav_seconds(wav),
        )
