"""``pocketsphinx``: offline English transcription with the model inside the PyPI wheel.

The wheel's ``en-us`` acoustic model is wide-band (16 kHz; its filter bank reaches
6.8 kHz). Telephone audio is 8 kHz, and pocketsphinx cannot decode it as such with this
model: ``samprate=8000`` fails ("upper frequency 6800 is higher than samprate/2") and a
lowered ``upperf`` changes the features the model was trained on (almost nothing is
recognised). So 8 kHz audio is upsampled to 16 kHz (``transcripts.engines.resample``), the way
pocketsphinx's own ``soxflags`` prepare input. The missing 4-8 kHz band costs accuracy.

The decoder is built once per process, on first use, and is not thread-safe: one lock
serialises decoding. It also holds the GIL for the whole of an utterance (seconds, more on a
busy machine), which would starve every other thread of the process: in a web server that
runs jobs in a background thread (the embedded default), callers' webhooks would wait and
gunicorn would kill the worker whose heartbeat stopped. So decoding asked for from any
thread but the main one runs in a child process of its own (spawned once, kept, model
loaded once); an rq worker (or its work horse) decodes in its main thread, in process.

Speech is cut into utterances by pocketsphinx's voice activity detector, which bounds
memory on long messages and gives ``""`` for silence.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import sys
import threading
from array import array
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from transcripts.engines.audio import AudioError, MonoAudio, read_wav, wav_seconds
from transcripts.engines.resample import upsample_2x
from transcripts.registry import register
from transcripts.transcript import Transcript, base_language, no_engine

ENGINE = "pocketsphinx"
MODEL_RATE = 16_000
_ACCEPTED_RATES = (8_000, MODEL_RATE)

log = logging.getLogger(__name__)
_lock = threading.Lock()
_decoder: Any = None
_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


@register(ENGINE)
class SphinxTranscriber:
    """Offline, English only; accepts 8 or 16 kHz, 16-bit PCM WAV, any channels."""

    name = ENGINE
    languages = frozenset({"en"})

    def transcribe(self, wav: bytes, language: str) -> Transcript:
        """Decode ``wav``: ``completed`` with text, ``no_engine`` or ``failed``."""
        if base_language(language) not in self.languages:
            return no_engine(self.name, language, wav_seconds(wav))
        try:
            audio = read_wav(wav)
        except AudioError as exc:
            return Transcript(None, self.name, "failed", f"unreadable audio: {exc}")
        try:
            pcm = to_model_rate(audio)
        except AudioError as exc:
            return Transcript(None, self.name, "failed", str(exc), audio.seconds)
        try:
            text = decode(pcm) if _in_main_thread() else decode_in_child(pcm)
        except (ImportError, RuntimeError) as exc:  # not installed, or the model won't load
            log.exception("pocketsphinx is unavailable")
            detail = f"pocketsphinx unavailable: {exc}"
            return Transcript(None, self.name, "failed", detail, audio.seconds)
        return Transcript(text, self.name, "completed", None, audio.seconds)


def to_model_rate(audio: MonoAudio) -> bytes:
    """16 kHz 16-bit little-endian PCM for the decoder; ``AudioError`` for other rates."""
    if audio.sample_rate not in _ACCEPTED_RATES:
        raise AudioError(f"unsupported sample rate {audio.sample_rate} Hz (8000 or 16000)")
    samples: array[int] = audio.samples
    if audio.sample_rate != MODEL_RATE:
        samples = upsample_2x(samples)
    return _little_endian(samples)


def decode(pcm: bytes) -> str:
    """The words heard in 16 kHz mono PCM, utterance by utterance, joined by spaces."""
    from pocketsphinx import Segmenter  # type: ignore[import-untyped]

    utterances: list[str] = []
    with _lock:
        decoder = _get_decoder()
        for speech in Segmenter(sample_rate=MODEL_RATE).segment(io.BytesIO(pcm)):
            decoder.start_utt()
            try:
                decoder.process_raw(speech.pcm, full_utt=True)
            finally:
                decoder.end_utt()  # a decoder left inside an utterance refuses the next
            hyp = decoder.hyp()
            if hyp is not None and hyp.hypstr:
                utterances.append(hyp.hypstr)
    return " ".join(utterances)


def decode_in_child(pcm: bytes) -> str:
    """:func:`decode` in the engine's child process, so that this one keeps running.

    A child that died (killed, out of memory) raises ``BrokenProcessPool``, a
    ``RuntimeError``; the next call starts a new one.
    """
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        pool = _pool
    try:
        return pool.submit(decode, pcm).result()
    except BrokenProcessPool:
        with _pool_lock:
            if _pool is pool:
                _pool = None
        raise


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _get_decoder() -> Any:
    """The process's decoder, built on first use (about 0.2 s); call with ``_lock`` held."""
    global _decoder
    if _decoder is None:
        from pocketsphinx import Decoder

        _decoder = Decoder(samprate=MODEL_RATE, loglevel="ERROR")
    return _decoder


def _little_endian(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()
