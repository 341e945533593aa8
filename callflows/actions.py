"""What the engine asks the telephony layer to do; `render` turns these into TwiML."""

from __future__ import annotations

from dataclasses import dataclass

from callflows.nodes import Language


@dataclass(frozen=True)
class Say:
    """Speak prompt `key` in `language`, with `params` for its placeholders."""

    key: str
    language: Language
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Pause:
    """Silence, e.g. between the English and the French greeting."""

    seconds: int = 1


@dataclass(frozen=True)
class Gather:
    """Collect keypresses for `node`; the answer comes back with this `seq`."""

    node: str
    seq: int
    says: tuple[Say | Pause, ...]
    num_digits: int | None
    finish_on_key: str
    timeout: int


@dataclass(frozen=True)
class Record:
    """Record a voicemail for `node` (a beep first)."""

    node: str
    seq: int
    max_length: int
    finish_on_key: str
    timeout: int
    play_beep: bool = True


@dataclass(frozen=True)
class Dial:
    """Ring the operator `numbers` at once; the outcome comes back with this `seq`."""

    node: str
    seq: int
    numbers: tuple[str, ...]
    timeout: int


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Action = Say | Pause | Gather | Record | Dial | Hangup
