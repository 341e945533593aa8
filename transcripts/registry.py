"""Transcription engines behind one small Protocol, registered by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from transcripts.transcript import Transcript


class Transcriber(Protocol):
    """A transcription engine.

    ``transcribe`` never raises for bad audio or a language it lacks: the returned
    ``Transcript`` says ``failed`` or ``no_engine`` with a ``detail``.
    """

    name: str
    languages: frozenset[str]

    def transcribe(self, wav: bytes, language: str) -> Transcript:
        """Transcribe one WAV file (``language`` is ``"en"``, ``"fr"``, ``"en-CA"``...)."""
        ...


Factory = Callable[[], Transcriber]
F = TypeVar("F", bound=Factory)

_REGISTRY: dict[str, Factory] = {}


class UnknownTranscriberError(LookupError):
    """No engine is registered under the name asked for."""


def register(name: str) -> Callable[[F], F]:
    """Class decorator: make the engine available as ``get_transcriber(name)``."""

    def decorate(factory: F) -> F:
        if name in _REGISTRY:
            raise ValueError(f"a transcriber named {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return decorate


def get_transcriber(name: str) -> Transcriber:
    """A new instance of the engine registered as ``name``.

    Instances are cheap: an engine keeps what is expensive (a model) once per process.
    Raises ``UnknownTranscriberError`` naming the engines that exist.
    """
    try:
        factory = _REGISTRY[name]
    except KeyError:
        known = ", ".join(available())
        raise UnknownTranscriberError(
            f"no transcriber named {name!r} (available: {known})"
        ) from None
    return factory()


def available() -> list[str]:
    """The registered engine names, sorted."""
    return sorted(_REGISTRY)
