"""The way a demo call goes through the default flow, step by step, and where it ends.

Hang-ups happen at every step: before the language, at the safety notice, at the main
menu, after the information, during a transfer, and after the category at the danger
question, during the message, at the callback question and while keying a number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache
from itertools import accumulate

import callflows
from ivr.demo import profile as p

_ENDINGS = tuple(name for name, _ in p.NO_REPORT_ENDINGS)
_ENDINGS_CUM = tuple(accumulate(w for _, w in p.NO_REPORT_ENDINGS))
_HANGUP = dict(p.REPORT_HANGUPS)


@dataclass(frozen=True)
class Step:
    """One node of the path: its prompt, the key pressed, what happened, seconds spent."""

    node: str
    prompt: str
    input: str | None
    outcome: str
    seconds: float


@dataclass
class Path:
    """A whole call: its steps and what the call row and its report need to know."""

    steps: list[Step] = field(default_factory=list)
    category: str | None = None  # set when the call becomes a report
    danger: bool | None = None
    recorded: int | None = None  # seconds of voicemail
    callback: bool = False
    transfer: str | None = None
    ended_by: str = "caller"


@cache
def _prompts() -> dict[str, str]:
    flow = callflows.load_flow("default")
    return {node_id: ",".join(node.prompts) for node_id, node in flow.nodes.items()}


def _step(rng: random.Random, path: Path, node: str, key: str | None, outcome: str) -> None:
    seconds = p.STEP_SECONDS[node] * rng.uniform(0.7, 1.4)
    path.steps.append(Step(node, _prompts()[node], key, outcome, seconds))


def _opening(rng: random.Random, path: Path, language: str) -> None:
    if language == "en" and rng.random() < 0.05:
        _step(rng, path, "language", None, "default")  # no answer: English
    else:
        _step(rng, path, "language", "1" if language == "en" else "2", "chosen")
    _step(rng, path, "safety", None, "presented")


def walk_without_report(rng: random.Random, language: str) -> Path:
    """A call that ends before saying what it is about (or is handled by a person)."""
    path = Path()
    ending = rng.choices(_ENDINGS, cum_weights=_ENDINGS_CUM)[0]
    if ending == "language":
        _step(rng, path, "language", None, "hangup")
        return path
    _opening(rng, path, language)
    if ending == "safety":
        path.steps[-1] = Step(
            "safety", path.steps[-1].prompt, None, "hangup", path.steps[-1].seconds
        )
    elif ending == "main_menu":
        _step(rng, path, "main_menu", None, "hangup")
    elif ending == "info":
        _step(rng, path, "main_menu", "8", "chosen")
        _step(rng, path, "info", None, "hangup")
    else:
        _transfer(rng, path, answered=ending == "transfer_answered")
    return path


def _transfer(rng: random.Random, path: Path, *, answered: bool) -> None:
    _step(rng, path, "main_menu", "0", "operator")
    if answered:
        path.transfer = "answered"
        _step(rng, path, "transfer", None, "transfer_answered")
        # The conversation with the operator.
        path.steps[-1] = Step(
            "transfer", path.steps[-1].prompt, None, "transfer_answered", rng.uniform(60, 900)
        )
        _step(rng, path, "close", None, "presented")
        path.ended_by = "ivr"
    else:
        path.transfer = "unanswered"
        _step(rng, path, "transfer", None, "transfer_unanswered")
        _step(rng, path, "danger", None, "hangup")


def _hangs_up(rng: random.Random, step: str) -> bool:
    return rng.random() < _HANGUP[step]


def report_path(rng: random.Random, category: str, language: str) -> Path:
    """A call that becomes a report of ``category`` (``unknown``: no key, a message)."""
    path = Path(category=category)
    _opening(rng, path, language)
    if category == "unknown":
        _step(rng, path, "main_menu", None, "default")
    else:
        _step(rng, path, "main_menu", p.MENU_KEY[category], "chosen")
    # Without a category only the message makes a report: no hang-up before it.
    if category != "unknown" and _hangs_up(rng, "danger"):
        _step(rng, path, "danger", None, "hangup")
        return path
    path.danger = rng.random() < p.URGENT_SHARE
    _step(rng, path, "danger", "1" if path.danger else "2", "chosen")
    if path.danger:
        _step(rng, path, "danger_advice", None, "presented")
    path.recorded = max(3, int(rng.lognormvariate(4.0, 0.7)))
    if _hangs_up(rng, "message"):
        path.steps.append(Step("message", _prompts()["message"], None, "hangup", path.recorded))
        return path
    path.steps.append(Step("message", _prompts()["message"], None, "recorded", path.recorded))
    _ending(rng, path)
    return path


def _ending(rng: random.Random, path: Path) -> None:
    if _hangs_up(rng, "callback"):
        _step(rng, path, "callback", None, "hangup")
        return
    wants_callback = rng.random() < p.CALLBACK_SHARE
    _step(rng, path, "callback", "1" if wants_callback else "2", "chosen")
    if wants_callback:
        if _hangs_up(rng, "callback_number"):
            _step(rng, path, "callback_number", None, "hangup")
            return
        _step(rng, path, "callback_number", None, "chosen")  # the digits are never logged
        _step(rng, path, "callback_confirm", "1", "chosen")
        path.callback = True
    _step(rng, path, "close", None, "presented")
    path.ended_by = "ivr"
