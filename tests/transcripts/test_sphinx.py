"""The offline engine on synthetic telephone speech (espeak-ng, converted by sox)."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.transcripts.speech import pcm_wav, word_share
from transcripts import get_transcriber
from transcripts.engines import sphinx

SENTENCE = "My daughter is twelve years old and she is scared."

# Measured with espeak-ng 1.51 (en-us+klatt4) and pocketsphinx 5.1.1 at 8 kHz: heard as
# "my daughter is twelve years old and she didn't care", 8 of the 9 distinct words (89 %),
# word accuracy 1 - WER = 80 %, the same at 140, 150 and 160 words a minute. Over a 53 s
# message of six everyday sentences 63 % of the distinct words come back at 8 kHz, 74 %
# at 16 kHz; harder sentences drop to 40-50 %.
MIN_SHARE = 0.6


@pytest.fixture(scope="module")
def voicemail(speak: Callable[..., bytes]) -> bytes:
    """The sentence as a phone recording: 8 kHz, mono, 16-bit."""
    return speak(SENTENCE)


def test_a_clear_sentence_is_mostly_recognised(voicemail: bytes) -> None:
    result = get_transcriber("pocketsphinx").transcribe(voicemail, "en")
    assert (result.status, result.engine, result.detail) == ("completed", "pocketsphinx", None)
    assert result.text is not None and result.text == result.text.lower()
    assert word_share(SENTENCE, result.text) >= MIN_SHARE, result.text
    assert 2.0 < result.audio_seconds < 6.0


def test_a_thread_other_than_the_main_one_decodes_in_a_child_process(voicemail: bytes) -> None:
    # The decoder holds the GIL for whole utterances: beside a web server's threads it runs
    # in a process of its own. Its speed is measured by bench/transcriber_rtf.py.
    engine = get_transcriber("pocketsphinx")
    here = engine.transcribe(voicemail, "en")
    with ThreadPoolExecutor(max_workers=1) as pool:
        there = pool.submit(engine.transcribe, voicemail, "en").result()
    assert (there.status, there.text) == ("completed", here.text)
    assert sphinx._pool is not None
    assert sphinx._pool.submit(os.getpid).result() != os.getpid()


def test_the_model_is_loaded_once(voicemail: bytes) -> None:
    engine = get_transcriber("pocketsphinx")
    engine.transcribe(voicemail, "en")
    decoder = sphinx._decoder
    assert decoder is not None
    get_transcriber("pocketsphinx").transcribe(voicemail, "en")
    assert sphinx._decoder is decoder


@pytest.mark.parametrize(("rate", "channels"), [(16000, 1), (8000, 2), (16000, 2)])
def test_wide_band_and_stereo_audio_are_accepted(
    speak: Callable[..., bytes], rate: int, channels: int
) -> None:
    wav = speak(SENTENCE, rate=rate, channels=channels)
    result = get_transcriber("pocketsphinx").transcribe(wav, "en")
    assert result.status == "completed"
    assert result.text is not None and word_share(SENTENCE, result.text) >= MIN_SHARE


def test_concurrent_calls_share_the_decoder_safely(voicemail: bytes) -> None:
    engine = get_transcriber("pocketsphinx")
    alone = engine.transcribe(voicemail, "en").text
    with ThreadPoolExecutor(max_workers=2) as pool:
        texts = list(pool.map(lambda _: engine.transcribe(voicemail, "en").text, range(2)))
    assert texts == [alone, alone]


def test_an_engine_that_cannot_load_fails_with_a_reason(
    voicemail: bytes, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("Failed to initialize PocketSphinx")

    monkeypatch.setattr(sphinx, "_get_decoder", broken)
    result = get_transcriber("pocketsphinx").transcribe(voicemail, "en")
    assert (result.status, result.text) == ("failed", None)
    assert result.detail == "pocketsphinx unavailable: Failed to initialize PocketSphinx"
    assert result.audio_seconds > 2.0
    assert "pocketsphinx is unavailable" in caplog.text


@pytest.mark.parametrize("language", ["fr", "fr-CA"])
def test_french_is_never_decoded_with_the_english_model(voicemail: bytes, language: str) -> None:
    result = get_transcriber("pocketsphinx").transcribe(voicemail, language)
    assert (result.status, result.text, result.detail) == ("no_engine", None, "no engine for fr")
    assert result.audio_seconds > 2.0


@pytest.mark.parametrize("wav", [b"", b"this is not audio at all" * 10, b"RIFF\x00\x00"])
def test_garbage_fails_with_a_reason(wav: bytes) -> None:
    result = get_transcriber("pocketsphinx").transcribe(wav, "en")
    assert (result.status, result.text) == ("failed", None)
    assert result.detail is not None and result.detail.startswith("unreadable audio: ")


def test_an_unsupported_sample_rate_fails_with_a_reason() -> None:
    result = get_transcriber("pocketsphinx").transcribe(pcm_wav([0] * 44100, rate=44100), "en")
    assert (result.status, result.detail) == (
        "failed",
        "unsupported sample rate 44100 Hz (8000 or 16000)",
    )
    assert result.audio_seconds == 1.0


@pytest.mark.parametrize("rate", [8000, 16000])
def test_silence_gives_an_empty_transcript(rate: int) -> None:
    result = get_transcriber("pocketsphinx").transcribe(pcm_wav([0] * rate * 5, rate=rate), "en")
    assert (result.status, result.text, result.audio_seconds) == ("completed", "", 5.0)


def test_an_empty_recording_gives_an_empty_transcript() -> None:
    result = get_transcriber("pocketsphinx").transcribe(pcm_wav([]), "en")
    assert (result.status, result.text, result.audio_seconds) == ("completed", "", 0.0)
