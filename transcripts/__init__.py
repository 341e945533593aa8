"""Transcription backends behind one small interface, and entity extraction from text.

Pure: no Flask, no database, no network. Engines register by name (``pocketsphinx``,
``twilio``, ``none``); ``get_transcriber(name)`` returns one. ``extract_entities(text)``
finds web addresses, e-mails, phone numbers, handles and platforms in written or spoken
text.
"""

from transcripts.engines import from_twilio_callback
from transcripts.entities import Entities, details_present, extract_entities
from transcripts.registry import (
    Transcriber,
    UnknownTranscriberError,
    available,
    get_transcriber,
    register,
)
from transcripts.transcript import Transcript, TranscriptStatus

__all__ = [
    "Entities",
    "Transcriber",
    "Transcript",
    "TranscriptStatus",
    "UnknownTranscriberError",
    "available",
    "details_present",
    "extract_entities",
    "from_twilio_callback",
    "get_transcriber",
    "register",
]
