"""Fixtures of the scoring unit tests: the bundled scenarios they score."""

from __future__ import annotations

import pytest

from simulator.scenarios import find_scenario
from simulator.schema import Scenario


@pytest.fixture(scope="session")
def order_ja() -> Scenario:
    return find_scenario("order_with_sizes", "ja")


@pytest.fixture(scope="session")
def complaint_ja() -> Scenario:
    return find_scenario("angry_complaint", "ja")
