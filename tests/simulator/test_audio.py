"""Voicemail audio for demos and tests: 8 kHz mono 16-bit WAV."""

from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path

import pytest

from ivr.simulator.audio import resample_wav, synth_wav, tone_wav, truncate_wav, wav_duration


def _format(data: bytes) -> tuple[int, int, int]:
    with wave.open(io.BytesIO(data), "rb") as audio:
        return audio.getframerate(), audio.getnchannels(), audio.getsampwidth()


def test_tone_is_a_phone_quality_wav() -> None:
    data = tone_wav(1.5)

    assert _format(data) == (8000, 1, 2)
    assert wav_duration(data) == 1.5


def test_truncate_and_resample_keep_a_valid_wav() -> None:
    data = tone_wav(3.0, rate=22050)

    assert wav_duration(truncate_wav(data, 1)) == 1.0
    resampled = resample_wav(data, 8000)
    assert _format(resampled) == (8000, 1, 2)
    assert wav_duration(resampled) == 3.0


def test_duration_of_something_else_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a WAV"):
        wav_duration(b"ID3 not a wav at all")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_synth_speaks_into_an_8khz_wav(tmp_path: Path) -> None:
    path = synth_wav("The user name is kid helper on a chat site.", tmp_path / "voicemail.wav")

    data = path.read_bytes()
    assert _format(data) == (8000, 1, 2)
    assert 1.0 < wav_duration(data) < 10.0
