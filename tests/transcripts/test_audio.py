"""Reading WAV files, and the 8 -> 16 kHz resampler the offline engine relies on."""

from __future__ import annotations

import math
import struct

import pytest

from tests.transcripts.speech import pcm_wav
from transcripts.engines.audio import AudioError, read_wav, wav_seconds
from transcripts.engines.resample import upsample_2x


def _wav(fmt: bytes, data: bytes, *, extra: bytes = b"", data_size: int | None = None) -> bytes:
    """A hand-made RIFF file: fmt chunk, optional chunks, data chunk."""
    size = len(data) if data_size is None else data_size
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + extra
    body += b"data" + struct.pack("<I", size) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _fmt(tag: int = 1, channels: int = 1, rate: int = 8000, bits: int = 16) -> bytes:
    align = channels * bits // 8
    return struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)


def test_mono_wav() -> None:
    audio = read_wav(pcm_wav([0, 100, -100, 32767], rate=8000))
    assert (audio.samples.tolist(), audio.sample_rate) == ([0, 100, -100, 32767], 8000)
    assert audio.seconds == 4 / 8000


def test_stereo_is_averaged_to_mono() -> None:
    audio = read_wav(pcm_wav([100, 300, -32768, -32768, 5, -5], rate=16000, channels=2))
    assert (audio.samples.tolist(), audio.sample_rate) == ([200, -32768, 0], 16000)


def test_extensible_pcm_and_odd_chunks_and_a_streamed_size() -> None:
    pcm_guid = struct.pack("<H", 1) + bytes.fromhex("000000001000800000aa00389b71")
    fmt = _fmt(tag=0xFFFE) + struct.pack("<HHI", 22, 16, 4) + pcm_guid
    odd_chunk = b"LIST" + struct.pack("<I", 3) + b"abc" + b"\x00"  # padded to even
    data = struct.pack("<3h", 1, 2, 3)
    # Piped writers (sox to stdout) cannot seek back: the data size runs past the end.
    audio = read_wav(_wav(fmt, data, extra=odd_chunk, data_size=0x7FFFF000))
    assert audio.samples.tolist() == [1, 2, 3]


def test_a_truncated_last_frame_is_dropped() -> None:
    audio = read_wav(_wav(_fmt(channels=2), struct.pack("<3h", 10, 20, 30)))
    assert audio.samples.tolist() == [15]


@pytest.mark.parametrize(
    ("wav", "message"),
    [
        (b"", "not a WAV file"),
        (b"\x00\x01garbage bytes that are not audio", "not a WAV file"),
        (b"RIFF\x04\x00\x00\x00WAVE", "without a fmt chunk"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + _fmt(), "without a data chunk"),
        (_wav(_fmt(bits=8), b"\x80\x80"), "8-bit WAV"),
        (_wav(_fmt(bits=24), b"\x00" * 6), "24-bit WAV"),
        (_wav(_fmt(tag=7, bits=8), b"\xff\xff"), "0x0007 is not linear PCM"),
        (_wav(_fmt(channels=0), b""), "implausible"),
        (_wav(b"\x01\x00", b""), "fmt chunk too short"),
    ],
)
def test_unreadable_audio_says_why(wav: bytes, message: str) -> None:
    with pytest.raises(AudioError, match=message):
        read_wav(wav)
    assert wav_seconds(wav) == 0.0


def test_wav_seconds() -> None:
    assert wav_seconds(pcm_wav([0] * 16000, rate=8000, channels=2)) == 1.0


def test_upsampling_keeps_the_samples_and_interpolates_a_tone() -> None:
    rate, hz = 8000, 1000.0
    tone = [round(10000 * math.sin(2 * math.pi * hz * n / rate)) for n in range(800)]
    up = upsample_2x(read_wav(pcm_wav(tone)).samples).tolist()
    assert len(up) == 1600
    assert up[0::2] == tone
    # Away from the edges, the new points lie on the same sine sampled at 16 kHz.
    errors = [up[n] - 10000 * math.sin(2 * math.pi * hz * n / (2 * rate)) for n in range(100, 1500)]
    rms = math.sqrt(sum(e * e for e in errors) / len(errors))
    assert rms < 10000 / 300  # better than 50 dB


def test_upsampling_a_full_scale_square_wave_clips_instead_of_overflowing() -> None:
    square = ([32767] * 4 + [-32768] * 4) * 50
    up = upsample_2x(read_wav(pcm_wav(square)).samples)
    assert max(up) == 32767 and min(up) == -32768


def test_upsampling_nothing() -> None:
    assert len(upsample_2x(read_wav(pcm_wav([])).samples)) == 0
