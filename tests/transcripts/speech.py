"""Synthetic voicemails for the tests: espeak-ng speaks, sox makes it telephone audio.

Only ever harmless sentences. ``en-us+klatt4`` is the voice: the default espeak-ng voice
is so robotic that pocketsphinx recognises almost none of it (0-20 % of the words),
while the Klatt voices come out near a human speaker.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import wave
from array import array
from pathlib import Path

VOICE = "en-us+klatt4"
WORDS_PER_MINUTE = 150


def tools_missing() -> list[str]:
    """The command-line tools the speech tests need and this machine lacks."""
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


def speak(text: str, *, rate: int = 8000, channels: int = 1, voice: str = VOICE) -> bytes:
    """``text`` spoken into a 16-bit PCM WAV at ``rate`` Hz (8000: a phone recording)."""
    with tempfile.TemporaryDirectory() as tmp:
        spoken, out = Path(tmp) / "spoken.wav", Path(tmp) / "out.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(spoken), "--stdin"],
            input=text.encode(),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sox", str(spoken), "-r", str(rate), "-c", str(channels), "-b", "16", str(out)],
            check=True,
            capture_output=True,
        )
        return out.read_bytes()


def pcm_wav(samples: list[int], rate: int = 8000, channels: int = 1) -> bytes:
    """A WAV of the given (interleaved) 16-bit samples, written by the stdlib."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(array("h", samples).tobytes())
    return buffer.getvalue()


def word_share(expected: str, heard: str) -> float:
    """The share of the distinct expected words that were heard."""
    wanted = set(expected.lower().replace(".", "").replace(",", "").split())
    return len(wanted & set(heard.split())) / len(wanted)
