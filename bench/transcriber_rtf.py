"""Real-time factor of the offline engine: decode seconds / audio seconds (< 1 is faster).

``transcripts.get_transcriber("pocketsphinx")`` on mono 16-bit WAV:

* the sample voicemail ``docs/samples/voicemail-en.wav`` (8 kHz, a phone recording), and
  the same audio upsampled to 16 kHz (sox; no content above 4 kHz);
* a synthetic voicemail of about 60 s spoken by espeak-ng (``ivr.simulator.synth_wav``,
  voice ``en-us+klatt4``) at 8 kHz and at 16 kHz (the engine's model rate: no upsampling).

The first call of this process loads the model and is reported on its own; so is the
first call in a brand-new process, which is what every rq work horse of ``worker
--fork`` pays (it forks a horse per job and the decoder is built lazily, per process; the
default worker runs jobs in process and pays it once). Then ``--repeat`` warm runs
of every case, interleaved, give a median and a spread. Wall time and this process's CPU
time are both shown: the machine is shared, and CPU time is the steadier of the two.

Run: ``.venv/bin/python -m bench.transcriber_rtf``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import transcripts
from bench.common import ROOT, machine_line, median, print_table, progress, spread
from ivr.simulator import synth_wav, wav_duration
from ivr.simulator.audio import resample_wav
from transcripts import Transcript
from transcripts.engines.audio import read_wav
from transcripts.engines.sphinx import to_model_rate

ENGINE = "pocketsphinx"
SAMPLE = ROOT / "docs" / "samples" / "voicemail-en.wav"
VOICE = "en-us+klatt4"
SENTENCES = (
    "Hello, I am calling about a man on a chat app who keeps asking my daughter for photos.",
    "She is twelve years old and he says he is fifteen, but I do not believe him.",
    "He sent her a link to a private server and asked her to keep it a secret.",
    "His user name is shadow fox ninety nine and he also writes to her on a game site.",
    "We live in Ottawa and this started about three weeks ago.",
    "I saved the messages and I can send them to you if you need them.",
)

# What a fresh process pays for its first transcription (a work horse of worker --fork).
_COLD = """
import json, sys, time
import transcripts
wav = open(sys.argv[1], "rb").read()
engine = transcripts.get_transcriber(sys.argv[2])
wall, cpu = time.perf_counter(), time.process_time()
result = engine.transcribe(wav, "en")
print(json.dumps({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
                  "status": result.status}))
"""


@dataclass
class Case:
    """One audio file to decode, and what its decodes took."""

    name: str
    rate: int
    wav: bytes
    first: tuple[float, float] | None = None  # (wall, cpu) of this process's first call
    cold: list[tuple[float, float]] = field(default_factory=list)  # first call, new process
    warm: list[tuple[float, float]] = field(default_factory=list)
    to_model_rate: list[float] = field(default_factory=list)  # wall s of the conversion
    words: int = 0

    @property
    def seconds(self) -> float:
        return wav_duration(self.wav)


def decode(wav: bytes) -> tuple[float, float, Transcript]:
    """(wall s, CPU s, transcript) of one transcription in this process."""
    engine = transcripts.get_transcriber(ENGINE)
    wall, cpu = time.perf_counter(), time.process_time()
    result = engine.transcribe(wav, "en")
    return time.perf_counter() - wall, time.process_time() - cpu, result


def conversion_seconds(wav: bytes) -> float:
    """Wall seconds the engine spends bringing the audio to 16 kHz (reading included)."""
    started = time.perf_counter()
    to_model_rate(read_wav(wav))
    return time.perf_counter() - started


def decode_in_new_process(path: Path) -> tuple[float, float]:
    """(wall s, CPU s) of the first transcription in a new Python process."""
    out = subprocess.run(
        [sys.executable, "-c", _COLD, str(path), ENGINE],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if data["status"] != "completed":
        raise RuntimeError(f"cold decode of {path.name}: {data['status']}")
    return float(data["wall"]), float(data["cpu"])


def upsample(wav: bytes, rate: int, tmp: Path) -> bytes:
    """``wav`` at ``rate`` with sox (linear interpolation when sox is missing)."""
    sox = shutil.which("sox")
    if sox is None:
        return resample_wav(wav, rate)
    source, target = tmp / "source.wav", tmp / f"up-{rate}.wav"
    source.write_bytes(wav)
    subprocess.run([sox, str(source), "-r", str(rate), str(target)], check=True)
    return target.read_bytes()


def synthetic(seconds: float, rate: int, tmp: Path) -> bytes:
    """A voicemail of about ``seconds`` spoken by espeak-ng at ``rate`` Hz.

    The sentences are cycled until their length, estimated from one reading of all of
    them, reaches ``seconds``.
    """
    text = " ".join(SENTENCES)
    once = synth_wav(text, tmp / "once.wav", rate, voice=VOICE).read_bytes()
    per_char = wav_duration(once) / len(text)
    chosen: list[str] = []
    while sum(len(s) + 1 for s in chosen) * per_char < seconds:
        chosen.append(SENTENCES[len(chosen) % len(SENTENCES)])
    return synth_wav(
        " ".join(chosen), tmp / f"synthetic-{rate}.wav", rate, voice=VOICE
    ).read_bytes()


def build_cases(seconds: float, tmp: Path) -> list[Case]:
    sample = SAMPLE.read_bytes()
    return [
        Case("sample voicemail", 8000, sample),
        Case("sample voicemail (sox to 16 kHz)", 16000, upsample(sample, 16000, tmp)),
        Case(f"synthetic ~{seconds:.0f} s", 8000, synthetic(seconds, 8000, tmp)),
        Case(f"synthetic ~{seconds:.0f} s", 16000, synthetic(seconds, 16000, tmp)),
    ]


def measure(cases: Sequence[Case], repeat: int, cold: int, tmp: Path) -> None:
    wall, cpu, _ = decode(cases[0].wav)  # the model loads here
    cases[0].first = (wall, cpu)
    bar = progress(len(cases) * (repeat + cold + 1) - 1, "decodes")
    try:
        for case in cases[1:]:
            wall, cpu, _ = decode(case.wav)
            case.first = (wall, cpu)
            bar.update()
        for index, case in enumerate(cases):
            path = tmp / f"case-{index}.wav"
            path.write_bytes(case.wav)
            for _ in range(cold):
                case.cold.append(decode_in_new_process(path))
                bar.update()
        for _ in range(repeat):  # interleaved: slow drifts of the machine hit every case
            for case in cases:
                wall, cpu, result = decode(case.wav)
                if result.status != "completed":
                    raise RuntimeError(f"{case.name}: {result.status} {result.detail}")
                case.warm.append((wall, cpu))
                case.to_model_rate.append(conversion_seconds(case.wav))
                case.words = len((result.text or "").split())
                bar.update()
    finally:
        bar.close()


def report(cases: Sequence[Case]) -> None:
    rows = []
    for case in cases:
        audio = case.seconds
        first_wall, _first_cpu = case.first or (float("nan"), float("nan"))
        rows.append(
            [
                case.name,
                f"{case.rate // 1000} kHz",
                f"{audio:.1f}",
                case.words,
                f"{first_wall:.2f}",
                spread([w for w, _ in case.cold], 2),
                spread([w for w, _ in case.warm], 2),
                f"{median(case.to_model_rate):.3f}",
                spread([w / audio for w, _ in case.warm], 3),
                spread([c / audio for _, c in case.warm], 3),
            ]
        )
    print_table(
        "pocketsphinx: seconds per decode; RTF = decode s / audio s (median [min-max])",
        [
            "audio",
            "rate",
            "audio s",
            "words",
            "1st call s",
            "new process s",
            "warm s",
            "to 16 kHz s",
            "RTF wall",
            "RTF CPU",
        ],
        rows,
    )
    first = cases[0]
    if first.first and first.warm:
        load = first.first[0] - median([w for w, _ in first.warm])
        print(
            f"\nModel load (first call of the process minus a warm decode of the same audio):"
            f" {load:.2f} s. '1st call' of the other rows ran after it, warm."
            " 'new process' is the first call in a fresh interpreter (import + model + decode):"
            " what a work horse of `worker --fork` pays for each transcription job."
            " 'to 16 kHz s' is the engine's own conversion (upsampling of 8 kHz audio),"
            " included in the decode times."
        )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="warm decodes of every case")
    parser.add_argument("--cold", type=int, default=3, help="first decodes in new processes")
    parser.add_argument("--seconds", type=float, default=60, help="synthetic message length")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.cold < 0 or not 5 <= args.seconds <= 600:
        parser.error("--repeat >= 1, --cold >= 0, 5 <= --seconds <= 600")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    print(machine_line())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hotline-rtf-") as folder:
        tmp = Path(folder)
        cases = build_cases(args.seconds, tmp)
        measure(cases, args.repeat, args.cold, tmp)
    report(cases)
    print(f"\nwall time {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
