"""The callbacks sent once a call is over, in the order and number a Faults asks for."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from ivr.simulator.script import Faults


@dataclass(frozen=True)
class PendingCallback:
    """A callback waiting to be sent; duplicates share the idempotency token."""

    kind: str
    method: str
    url: str
    params: dict[str, str]
    token: str = field(default_factory=lambda: str(uuid.uuid4()))


def delivery_order(
    status: PendingCallback | None, deferred: list[PendingCallback], faults: Faults
) -> list[PendingCallback]:
    """Callbacks in sending order: see ``Faults.callbacks_order``; doubled on demand."""
    twilio = faults.callbacks_order == "twilio"
    candidates = [status, *deferred] if twilio else [*deferred, status]
    ordered = [callback for callback in candidates if callback is not None]
    if faults.duplicate_callbacks:
        ordered = [callback for callback in ordered for _ in range(2)]
    if faults.callbacks_order == "shuffled":
        random.Random(faults.seed).shuffle(ordered)
    return ordered
