"""What a transcription produced: the text, which engine, and how it went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TranscriptStatus = Literal["completed", "failed", "no_engine", "pending"]


@dataclass(frozen=True, slots=True)
class Transcript:
    """The outcome of transcribing one voicemail.

    ``text`` is ``None`` unless ``status`` is ``completed`` (where it may be ``""`` for
    silence). ``detail`` says why there is no text (``"no engine for fr"``, an unreadable
    file...). ``audio_seconds`` is the length of the audio, ``0.0`` when unknown. Timing
    of the work is measured by the caller.
    """

    text: str | None
    engine: str
    status: TranscriptStatus
    detail: str | None = None
    audio_seconds: float = 0.0

    def to_dict(self) -> dict[str, str | None]:
        """The report JSON's ``transcript`` object: ``{text, engine, status}``."""
        return {"text": self.text, "engine": self.engine, "status": self.status}


def base_language(language: str) -> str:
    """``"en-CA"``, ``"EN"`` or ``"en_US"`` -> ``"en"``: engines are chosen by language."""
    return language.strip().replace("_", "-").split("-")[0].lower()


def no_engine(engine: str, language: str, audio_seconds: float = 0.0) -> Transcript:
    """The transcript of an engine that does not have ``language``."""
    return Transcript(
        text=None,
        engine=engine,
        status="no_engine",
        detail=f"no engine for {base_language(language) or '?'}",
        audio_seconds=audio_seconds,
    )
