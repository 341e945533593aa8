"""The loaded call flow and everything it needs from configuration, built once per app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import callflows
from callflows import BusinessHours, Context, Flow, Prompts, Turn


@dataclass(frozen=True)
class FlowRuntime:
    """A flow, its prompts and the settings that the engine takes as context."""

    flow: Flow
    prompts: Prompts
    hours: BusinessHours
    operator_numbers: tuple[str, ...]
    base_url: str
    voices: Mapping[str, str] = field(default_factory=dict)
    transcribe: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FlowRuntime:
        """Load the configured flow and prompts (read from disk once)."""
        return cls(
            flow=callflows.load_flow(config["CALLFLOW"]),
            prompts=callflows.load_prompts(),
            hours=BusinessHours.parse(
                config["BUSINESS_HOURS"], config["BUSINESS_TZ"], tuple(config["HOLIDAYS"])
            ),
            operator_numbers=tuple(config["OPERATOR_NUMBERS"]),
            base_url=config["PUBLIC_BASE_URL"],
            voices={"en-CA": config["VOICE_EN"], "fr-CA": config["VOICE_FR"]},
            transcribe=config["TRANSCRIBER"] == "twilio",
        )

    def context(self, now: datetime, caller_number: str | None, reference: str) -> Context:
        """The engine's context for one request."""
        return Context(
            now=now,
            caller_number=caller_number,
            reference_number=reference,
            hours=self.hours,
            operator_numbers=self.operator_numbers,
        )

    def render(self, turn: Turn) -> str:
        """TwiML for a turn."""
        return callflows.render(
            turn,
            self.prompts,
            base_url=self.base_url,
            voices=self.voices,
            transcribe=self.transcribe,
        )
