"""The priority rules, in one place. Each rule that applies adds its reason.

- A child in immediate danger makes a report urgent, whatever else.
- The category sets the base: luring and exploitation are high (a child may be in
  contact with an offender now), child sexual abuse material is normal, anything else low.
- A repeat caller and a message with details (web addresses, e-mails, phone numbers,
  user names) each raise it one level, up to high: only danger makes a report urgent.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("urgent", "high", "normal", "low")
BASE = {"luring": "high", "exploitation": "high", "csam": "normal"}


@dataclass(frozen=True)
class Priority:
    """A priority and the reasons for it."""

    level: str
    reasons: tuple[str, ...]

    @property
    def rank(self) -> int:
        """0 for urgent ... 3 for low: the queue's order."""
        return LEVELS.index(self.level)


def _raise(level: str) -> str:
    return LEVELS[max(LEVELS.index(level) - 1, LEVELS.index("high"))]


def prioritise(
    *, category: str, immediate_danger: bool | None, repeat_caller: bool, details: bool
) -> Priority:
    """Apply the rules to what is known of a report."""
    if immediate_danger:
        return Priority("urgent", ("caller said a child is in immediate danger",))
    level = BASE.get(category, "low")
    reasons = [f"category {category}: {level}"]
    if repeat_caller:
        level = _raise(level)
        reasons.append("repeat caller: one level up")
    if details:
        level = _raise(level)
        reasons.append("message names addresses, contacts or user names: one level up")
    return Priority(level, tuple(reasons))
