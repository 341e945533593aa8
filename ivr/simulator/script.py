"""What the simulated caller does, and how Twilio misbehaves while delivering the call."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ivr.simulator.audio import wav_duration

HANGUP = "hangup"
"""A scripted answer that makes the caller hang up at this Gather."""

DIAL_STATUSES = frozenset({"completed", "answered", "busy", "no-answer", "failed", "canceled"})
_KEYS = re.compile(r"[0-9*#]+")

RecordFinish = Literal["#", "hangup"]
CallbackOrder = Literal["twilio", "status_last", "shuffled"]


def is_keypad_answer(answer: str) -> bool:
    """True for "" (no input), "hangup", or keys of a phone keypad (0-9, *, #)."""
    return answer in ("", HANGUP) or _KEYS.fullmatch(answer) is not None


@dataclass(frozen=True)
class CallScript:
    """One caller's behaviour, answer by answer.

    ``answers`` are used in order, one per ``<Gather>``: keys such as ``"1"`` or
    ``"6135550142#"``, ``""`` for no input (the Gather times out), ``"hangup"`` to hang
    up there. Running out of answers at a Gather counts as hanging up.
    ``voicemail`` (WAV bytes or a path) is what the caller says at every ``<Record>``;
    ``None`` is silence. ``from_number=None`` withholds the caller id.
    """

    from_number: str | None = "+16135550142"
    to_number: str = "+18005550199"
    answers: list[str] = field(default_factory=list)
    voicemail: bytes | Path | str | None = None
    record_finish: RecordFinish = "#"
    transcription_text: str | None = None
    dial_status: str = "no-answer"

    def __post_init__(self) -> None:
        bad = [answer for answer in self.answers if not is_keypad_answer(answer)]
        if bad:
            raise ValueError(f"answers must be keypad keys, '' or 'hangup', not {bad!r}")
        if self.dial_status not in DIAL_STATUSES:
            raise ValueError(f"dial_status must be one of {sorted(DIAL_STATUSES)}")
        if self.record_finish not in ("#", HANGUP):
            raise ValueError("record_finish must be '#' or 'hangup'")
        if isinstance(self.voicemail, str | Path) and not Path(self.voicemail).is_file():
            raise ValueError(f"voicemail file not found: {self.voicemail}")
        audio = self.voicemail_bytes()
        if audio is not None:
            wav_duration(audio)  # refuse anything that is not a WAV now, not mid-call

    def voicemail_bytes(self) -> bytes | None:
        """The voicemail audio, read from disk when the script names a file."""
        if isinstance(self.voicemail, str | Path):
            return Path(self.voicemail).read_bytes()
        return self.voicemail


@dataclass(frozen=True)
class Faults:
    """How the simulated Twilio delivers requests: realistic by default, hostile on demand.

    ``callbacks_order`` places the callbacks sent when the call ends:
    ``"twilio"`` sends the call status callback first and the recording and transcription
    callbacks after it (Twilio processes media after the call, so they often arrive
    late); ``"status_last"`` sends the status callback after them; ``"shuffled"``
    sends all of them in a random order drawn from ``seed``.
    """

    duplicate_callbacks: bool = False
    replay_actions: bool = False
    callbacks_order: CallbackOrder = "twilio"
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.callbacks_order not in ("twilio", "status_last", "shuffled"):
            raise ValueError("callbacks_order must be 'twilio', 'status_last' or 'shuffled'")
