"""Key 0: a transfer in business hours, otherwise (or unanswered) on to a message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callflows import Flow
from callflows.actions import Dial
from tests.callflows.conftest import CLOSED, OPEN, OPERATOR, make_context
from tests.callflows.walk import keys, walk


@pytest.mark.parametrize(
    "now",
    [
        OPEN,
        datetime(2026, 3, 9, 14, 30, tzinfo=UTC),  # Monday 09:30 CDT (daylight time began Mar 8)
        datetime(2026, 12, 24, 22, 59, tzinfo=UTC),  # Thursday 16:59 CST, the eve of a holiday
        datetime(2026, 7, 15, 21, 30, tzinfo=UTC),  # Wednesday 16:30 CDT
    ],
)
def test_operator_key_dials_in_business_hours(flow: Flow, now: datetime) -> None:
    ctx = make_context(now=now, operator_numbers=(OPERATOR, "+12045550101"))
    call = walk(flow, ctx, "1 0")
    turn = call.last
    assert turn.state.node == "transfer"
    assert keys(turn) == ["transfer.connecting"]
    assert turn.actions[-1] == Dial("transfer", turn.state.seq, (OPERATOR, "+12045550101"), 20)
    assert ("main_menu", "operator") in call.path()


@pytest.mark.parametrize(
    ("now", "operators", "why"),
    [
        (CLOSED, (OPERATOR,), "17:30 CST, after hours"),
        (datetime(2026, 3, 9, 13, 30, tzinfo=UTC), (OPERATOR,), "08:30 CDT, before hours"),
        (datetime(2026, 3, 9, 22, 30, tzinfo=UTC), (OPERATOR,), "17:30 CDT, after hours"),
        (datetime(2026, 12, 25, 16, 0, tzinfo=UTC), (OPERATOR,), "Friday, a holiday"),
        (datetime(2026, 3, 7, 16, 0, tzinfo=UTC), (OPERATOR,), "Saturday"),
        (OPEN, (), "no operator numbers configured"),
    ],
)
def test_operator_key_out_of_hours_goes_on_to_a_message(
    flow: Flow, now: datetime, operators: tuple[str, ...], why: str
) -> None:
    call = walk(flow, make_context(now=now, operator_numbers=operators), "1 0")
    turn = call.last
    assert turn.state.node == "danger", why
    assert turn.state.vars == {"transfer": "closed"}
    assert keys(turn) == ["transfer.closed", "danger.menu"]
    assert not any(isinstance(action, Dial) for action in turn.actions)
    assert ("transfer", "transfer_closed") in call.path()


@pytest.mark.parametrize("status", ["completed", "answered"])
def test_answered_transfer_closes_the_call(flow: Flow, status: str) -> None:
    call = walk(flow, make_context(), f"1 0 dial:{status}")
    turn = call.last
    assert turn.state.finished
    assert turn.state.vars == {"transfer": "answered"}
    assert keys(turn) == ["close.reference", "close.thanks"]
    assert ("transfer", "transfer_answered") in call.path()


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed", "canceled", ""])
def test_unanswered_transfer_goes_on_to_a_message(flow: Flow, status: str) -> None:
    call = walk(flow, make_context(), f"1 0 dial:{status} 2 rec 2")
    middle = call.turns[3]
    assert keys(middle) == ["transfer.unanswered", "danger.menu"]
    assert middle.state.node == "danger"
    assert call.last.state.finished
    assert call.last.state.vars == {
        "transfer": "unanswered",
        "danger": "no",
        "message": "recorded",
        "callback": "anonymous",
    }
