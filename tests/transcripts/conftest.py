"""Fixtures for the transcription tests: synthetic speech from espeak-ng and sox."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.transcripts import speech


@pytest.fixture(scope="session")
def speak() -> Callable[..., bytes]:
    """``speech.speak``; fails when espeak-ng or sox is missing (``make test`` installs them)."""
    missing = speech.tools_missing()
    if missing:
        pytest.fail(f"needs {', '.join(missing)}: run 'make system-deps' or apt-get install them")
    return speech.speak
