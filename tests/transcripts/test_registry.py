"""The registry, the Transcript record and the two engines that do no decoding."""

from __future__ import annotations

import pytest

from tests.transcripts.speech import pcm_wav
from transcripts import (
    Transcript,
    UnknownTranscriberError,
    available,
    from_twilio_callback,
    get_transcriber,
    register,
    registry,
)
from transcripts.transcript import base_language

ONE_SECOND = pcm_wav([0] * 8000)


def test_the_three_engines_are_registered() -> None:
    assert available() == ["none", "pocketsphinx", "twilio"]
    for name in available():
        engine = get_transcriber(name)
        assert engine.name == name
        assert isinstance(engine.languages, frozenset)


def test_unknown_name_says_what_exists() -> None:
    with pytest.raises(UnknownTranscriberError, match=r"'whisper'.*none, pocketsphinx, twilio"):
        get_transcriber("whisper")
    assert issubclass(UnknownTranscriberError, LookupError)


def test_register_adds_an_engine_and_refuses_a_second_of_the_same_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register("echo")
    class Echo:
        name = "echo"
        languages = frozenset({"en", "fr"})

        def transcribe(self, wav: bytes, language: str) -> Transcript:
            return Transcript(f"{len(wav)} bytes", self.name, "completed")

    assert "echo" in available()
    assert get_transcriber("echo").transcribe(b"abc", "fr").text == "3 bytes"
    with pytest.raises(ValueError, match="already registered"):
        register("echo")(Echo)


def test_none_engine_keeps_the_duration_and_transcribes_nothing() -> None:
    result = get_transcriber("none").transcribe(ONE_SECOND, "en")
    assert result == Transcript(None, "none", "no_engine", "transcription is turned off", 1.0)


@pytest.mark.parametrize("language", ["en", "en-CA", "EN_us"])
def test_twilio_engine_waits_for_the_callback_in_english(language: str) -> None:
    result = get_transcriber("twilio").transcribe(ONE_SECOND, language)
    assert (result.status, result.text, result.audio_seconds) == ("pending", None, 1.0)


@pytest.mark.parametrize("language", ["fr", "fr-CA"])
def test_twilio_engine_has_no_french(language: str) -> None:
    result = get_transcriber("twilio").transcribe(ONE_SECOND, language)
    assert (result.status, result.detail, result.text) == ("no_engine", "no engine for fr", None)


@pytest.mark.parametrize(
    ("text", "status", "expected"),
    [
        (" His name is dark wolf 42. ", "completed", ("completed", "His name is dark wolf 42.")),
        ("", "completed", ("completed", "")),
        (None, "completed", ("completed", "")),
        ("", "failed", ("failed", None)),
        ("", "in-progress", ("pending", None)),
        ("text", "absent", ("failed", None)),
    ],
)
def test_from_twilio_callback(
    text: str | None, status: str, expected: tuple[str, str | None]
) -> None:
    result = from_twilio_callback(text, status, audio_seconds=12.5)
    assert (result.status, result.text) == expected
    assert (result.engine, result.audio_seconds) == ("twilio", 12.5)
    assert (result.detail is None) == (result.status == "completed")


def test_unexpected_twilio_status_is_named_in_the_detail() -> None:
    assert (
        from_twilio_callback("x", "absent").detail
        == "unexpected Twilio transcription status 'absent'"
    )


def test_transcript_to_dict_is_the_report_object() -> None:
    transcript = Transcript("hello", "pocketsphinx", "completed", None, 3.0)
    assert transcript.to_dict() == {
        "text": "hello",
        "engine": "pocketsphinx",
        "status": "completed",
    }


@pytest.mark.parametrize(
    ("language", "base"), [("en", "en"), ("en-CA", "en"), ("FR_ca", "fr"), (" fr ", "fr")]
)
def test_base_language(language: str, base: str) -> None:
    assert base_language(language) == base
