"""Shared fixtures for the call flow tests: the shipped flow and prompts, a context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from callflows import BusinessHours, Context, Flow, Prompts, load_flow, load_prompts

# Wednesday 2026-03-04 16:00 UTC is 10:00 in Winnipeg (CST): the line is staffed.
OPEN = datetime(2026, 3, 4, 16, 0, tzinfo=UTC)
# The same day at 23:30 UTC is 17:30 in Winnipeg: closed.
CLOSED = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
CALLER = "+16135550123"
OPERATOR = "+12045550100"
REFERENCE = "40112"

MakeContext = Callable[..., Context]


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow()


@pytest.fixture(scope="session")
def prompts() -> Prompts:
    return load_prompts()


def make_context(
    now: datetime = OPEN,
    caller_number: str | None = CALLER,
    operator_numbers: tuple[str, ...] = (OPERATOR,),
    holidays: tuple[str, ...] = ("2026-12-25",),
) -> Context:
    """A context with Winnipeg office hours, mon-fri 09:00-17:00."""
    hours = BusinessHours.parse("mon-fri 09:00-17:00", "America/Winnipeg", holidays)
    return Context(
        now=now,
        caller_number=caller_number,
        reference_number=REFERENCE,
        hours=hours,
        operator_numbers=operator_numbers,
    )


@pytest.fixture
def ctx() -> Context:
    return make_context()
