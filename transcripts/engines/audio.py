"""Reading voicemail audio: 16-bit PCM WAV, any channel count, to mono samples.

Only the standard library: ``audioop`` is deprecated and ``wave`` in Python 3.11 rejects
``WAVE_FORMAT_EXTENSIBLE`` files that many tools write, so the RIFF chunks are read here.
"""

from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass

_PCM = 0x0001
_EXTENSIBLE = 0xFFFE
_MAX_CHANNELS = 8


class AudioError(ValueError):
    """The bytes are not a WAV file this package can read; the message says why."""


@dataclass(frozen=True, slots=True)
class MonoAudio:
    """Mono 16-bit samples and their rate."""

    samples: array[int]
    sample_rate: int

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True, slots=True)
class _Format:
    channels: int
    sample_rate: int
    bits: int


def read_wav(wav: bytes) -> MonoAudio:
    """Decode a 16-bit PCM WAV to mono samples (channels are averaged).

    Raises ``AudioError`` for anything else: not RIFF/WAVE, no ``fmt``/``data`` chunk,
    compressed or non-16-bit audio.
    """
    fmt, data = _chunks(wav)
    frame_bytes = 2 * fmt.channels
    data = data[: len(data) - len(data) % frame_bytes]  # a truncated last frame
    samples = array("h")
    samples.frombytes(data)
    if sys.byteorder == "big":
        samples.byteswap()
    return MonoAudio(_downmix(samples, fmt.channels), fmt.sample_rate)


def wav_seconds(wav: bytes) -> float:
    """Duration of a WAV in seconds, ``0.0`` when it cannot be read."""
    try:
        fmt, data = _chunks(wav)
    except AudioError:
        return 0.0
    return len(data) // (2 * fmt.channels) / fmt.sample_rate


def _chunks(wav: bytes) -> tuple[_Format, bytes]:
    if len(wav) < 12 or wav[:4] != b"RIFF" or wav[8:12] != b"WAVE":
        raise AudioError("not a WAV file (no RIFF/WAVE header)")
    fmt: _Format | None = None
    pos = 12
    while pos + 8 <= len(wav):
        chunk_id = wav[pos : pos + 4]
        (size,) = struct.unpack_from("<I", wav, pos + 4)
        body = wav[pos + 8 : pos + 8 + size]  # streamed WAVs give a size past the end
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioError("WAV data chunk before its fmt chunk")
            return fmt, body
        pos += 8 + size + (size & 1)
    raise AudioError("WAV file without " + ("a data chunk" if fmt else "a fmt chunk"))


def _parse_fmt(body: bytes) -> _Format:
    if len(body) < 16:
        raise AudioError("WAV fmt chunk too short")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _EXTENSIBLE and len(body) >= 26:
        (tag,) = struct.unpack_from("<H", body, 24)  # the sub-format GUID's first field
    if tag != _PCM:
        raise AudioError(f"WAV encoding {tag:#06x} is not linear PCM")
    if bits != 16:
        raise AudioError(f"{bits}-bit WAV; 16-bit PCM expected")
    if not 1 <= channels <= _MAX_CHANNELS or not 1000 <= rate <= 192_000:
        raise AudioError(f"implausible WAV format: {channels} channels at {rate} Hz")
    return _Format(channels, rate, bits)


def _downmix(samples: array[int], channels: int) -> array[int]:
    if channels == 1:
        return samples
    lanes = [samples[c::channels] for c in range(channels)]
    return array("h", (sum(frame) // channels for frame in zip(*lanes, strict=True)))
