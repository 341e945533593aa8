"""Fixtures of the report tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.reports.factory import ReportFactory


@pytest.fixture
def make_report(app: Flask) -> Iterator[ReportFactory]:
    """Makes reports (``make_report(...)`` returns the report number); deletes them after."""
    factory = ReportFactory(app)
    try:
        yield factory
    finally:
        factory.cleanup()
