"""WAV helpers: voicemails for demos and tests, and what Twilio reads from a recording.

Audio is 8 kHz mono 16-bit PCM, like a phone recording. Only the stdlib ``wave`` and
``array`` modules are used (``audioop`` is deprecated).
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
import tempfile
import wave
from array import array
from pathlib import Path

ESPEAK_RATE = 22050


def tone_wav(seconds: float, rate: int = 8000, *, frequency: float = 440.0) -> bytes:
    """A valid WAV of a sine tone, for when no speech synthesiser is installed."""
    frames = int(seconds * rate)
    samples = array(
        "h", (int(9000 * math.sin(2 * math.pi * frequency * n / rate)) for n in range(frames))
    )
    return _wav_bytes(samples, rate)


def synth_wav(text: str, path: str | Path, rate: int = 8000, *, voice: str = "en") -> Path:
    """Speak ``text`` with espeak-ng into an 8 kHz (``rate``) mono 16-bit WAV at ``path``.

    ``voice`` is an espeak-ng voice (``"en"``, ``"fr"``...). Resampling uses ``sox``
    when installed, else a plain linear interpolation good enough for a voicemail.
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng); see tone_wav")
    target = Path(path)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "speech.wav"
        subprocess.run(  # noqa: S603 - fixed argv, text goes through stdin
            [espeak, "-v", voice, "-w", str(raw), "--stdin"],
            input=text.encode(),
            check=True,
            capture_output=True,
        )
        sox = shutil.which("sox")
        if sox is not None:
            subprocess.run(  # noqa: S603 - fixed argv built from paths we chose
                [sox, str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(target)],
                check=True,
                capture_output=True,
            )
        else:
            target.write_bytes(resample_wav(raw.read_bytes(), rate))
    return target


def resample_wav(data: bytes, rate: int) -> bytes:
    """A mono 16-bit WAV at another sample rate, by linear interpolation."""
    with wave.open(io.BytesIO(data), "rb") as source:
        if source.getnchannels() != 1 or source.getsampwidth() != 2:
            raise ValueError("resample_wav takes mono 16-bit audio")
        source_rate = source.getframerate()
        samples = _samples(source.readframes(source.getnframes()))
    count = len(samples) * rate // source_rate
    out = array("h")
    for n in range(count):
        position = n * source_rate / rate
        i = int(position)
        following = samples[min(i + 1, len(samples) - 1)]
        out.append(round(samples[i] + (following - samples[i]) * (position - i)))
    return _wav_bytes(out, rate)


def wav_duration(data: bytes) -> float:
    """Length of a WAV in seconds, from its header (``ValueError`` if it is not a WAV)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as audio:
            return audio.getnframes() / audio.getframerate()
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a WAV file: {exc}") from exc


def truncate_wav(data: bytes, seconds: float) -> bytes:
    """The first ``seconds`` of a WAV, as Twilio keeps at most ``maxLength`` seconds."""
    with wave.open(io.BytesIO(data), "rb") as audio:
        params = audio.getparams()
        frames = audio.readframes(int(seconds * audio.getframerate()))
    out = io.BytesIO()
    with wave.open(out, "wb") as clipped:
        clipped.setparams(params)
        clipped.writeframes(frames)
    return out.getvalue()


def _samples(frames: bytes) -> array[int]:
    samples = array("h", frames)
    if sys.byteorder == "big":  # WAV is little-endian
        samples.byteswap()
    return samples


def _wav_bytes(samples: array[int], rate: int) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        audio.writeframes(samples.tobytes())
    return out.getvalue()
